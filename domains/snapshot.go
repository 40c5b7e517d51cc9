package domains

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/simgym/simgym/domains/seed"
)

type snapshotKey struct {
	seed int64
}

var memSeq atomic.Int64

// OpenMemory opens a private in-memory SQLite database held by exactly
// one connection, so its content lives as long as the *sql.DB.
func OpenMemory() (*sql.DB, error) {
	// A unique name keeps each database private even if the driver ever
	// shares caches between connections.
	dsn := fmt.Sprintf("file:simgym-%d?mode=memory&_pragma=foreign_keys(0)", memSeq.Add(1))
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open memory database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

type serializer interface {
	Serialize() ([]byte, error)
	Deserialize([]byte) error
}

// Serialize returns the bytes of a database opened by OpenMemory.
func Serialize(ctx context.Context, db *sql.DB) ([]byte, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("serialize: %w", err)
	}
	defer conn.Close()
	var out []byte
	err = conn.Raw(func(dc any) error {
		s, ok := dc.(serializer)
		if !ok {
			return fmt.Errorf("driver connection %T cannot serialize", dc)
		}
		var err error
		out, err = s.Serialize()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("serialize: %w", err)
	}
	return out, nil
}

// Deserialize replaces the content of a database opened by OpenMemory
// with a snapshot.
func Deserialize(ctx context.Context, db *sql.DB, snap []byte) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("deserialize: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		s, ok := dc.(serializer)
		if !ok {
			return fmt.Errorf("driver connection %T cannot deserialize", dc)
		}
		// The driver keeps its own copy, so snapshots can be shared.
		return s.Deserialize(snap)
	})
	if err != nil {
		return fmt.Errorf("deserialize: %w", err)
	}
	return nil
}

// Snapshot returns the serialized initial state of the domain for a
// seed: the schema, then the Loader's data or generated rows. Snapshots
// are built once per seed and cached.
func (d *Domain) Snapshot(ctx context.Context, seedValue int64) ([]byte, error) {
	key := snapshotKey{seedValue}
	d.mu.Lock()
	snap, ok := d.snapshots[key]
	d.mu.Unlock()
	if ok {
		return snap, nil
	}
	db, err := OpenMemory()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, d.SchemaSQL); err != nil {
		return nil, fmt.Errorf("domain %s: schema: %w", d.Name, err)
	}
	if d.Loader != nil {
		err = d.Loader(ctx, db, seedValue)
	} else {
		err = seed.Fill(ctx, db, d.Model, seedValue)
	}
	if err != nil {
		return nil, fmt.Errorf("domain %s: seed %d: %w", d.Name, seedValue, err)
	}
	if err := trackChanges(ctx, db, d.Model); err != nil {
		return nil, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	snap, err = Serialize(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	d.mu.Lock()
	if d.snapshots == nil {
		d.snapshots = map[snapshotKey][]byte{}
	}
	if len(d.snapshots) >= 64 {
		// Bound the cache: seeds are usually few; drop all when many.
		clear(d.snapshots)
	}
	d.snapshots[key] = snap
	d.mu.Unlock()
	return snap, nil
}

// NewDB opens a fresh in-memory database holding the domain's initial
// state for a seed. Each call returns an independent database.
func (d *Domain) NewDB(ctx context.Context, seedValue int64) (*sql.DB, error) {
	snap, err := d.Snapshot(ctx, seedValue)
	if err != nil {
		return nil, err
	}
	db, err := openSnapshot(ctx, snap)
	if err != nil {
		return nil, fmt.Errorf("domain %s: %w", d.Name, err)
	}
	return db, nil
}

// Clone copies a database opened by OpenMemory into a new, independent
// one (forks of episodes).
func Clone(ctx context.Context, db *sql.DB) (*sql.DB, error) {
	snap, err := Serialize(ctx, db)
	if err != nil {
		return nil, err
	}
	return openSnapshot(ctx, snap)
}

// openSnapshot opens a new in-memory database holding snap.
func openSnapshot(ctx context.Context, snap []byte) (*sql.DB, error) {
	db, err := OpenMemory()
	if err != nil {
		return nil, err
	}
	if err := Deserialize(ctx, db, snap); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
