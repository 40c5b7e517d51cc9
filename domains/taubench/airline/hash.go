package airline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/simgym/simgym/domains"
)

// Hash returns tau-bench's hash of the database: the hex sha256 of
// Python's str of to_hashable({"flights": ..., "reservations": ...,
// "users": ...}), where to_hashable turns every dict into a tuple of its
// (key, value) pairs sorted by key and every list into a tuple. tau-bench
// rewards an episode when this hash of its final state equals the hash
// after replaying the task's ground-truth actions, so two databases hash
// alike exactly when tau-bench holds them equal.
func Hash(ctx context.Context, db domains.DBTX) (string, error) {
	return (&hasher{}).hashDB(ctx, db)
}

// hashDB reads the records of db and hashes them.
func (hs *hasher) hashDB(ctx context.Context, db domains.DBTX) (string, error) {
	s := hs.start()
	for _, c := range Collections {
		s.collection(c.Name)
		if err := eachRecord(ctx, db, c.Table, s.record); err != nil {
			return "", fmt.Errorf("hash: %w", err)
		}
	}
	return s.sum()
}

// eachRecord calls fn with every record of a table, sorted by key.
// SQLite's default collation compares text byte by byte, which for UTF-8
// is Python's order of str. The record's bytes are valid only during the
// call.
func eachRecord(ctx context.Context, db domains.DBTX, table string, fn func(id string, record []byte) error) error {
	rows, err := db.QueryContext(ctx, `SELECT "id", "record" FROM "`+table+`" ORDER BY "id"`)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var text sql.RawBytes
		if err := rows.Scan(&id, &text); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		if err := fn(id, text); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// hasher computes Hash, optionally remembering each record's hashed
// form by its JSON text, so that hashing many databases that share most
// records (episodes replayed from one initial state) formats only the
// records that differ.
type hasher struct {
	cache map[string][]byte // nil: no caching
}

// stateWriter writes the hashed text collection by collection, record
// by record, into sha256.
type stateWriter struct {
	hs    *hasher
	h     hash.Hash
	w     *bufio.Writer
	buf   bytes.Buffer
	colls int // collections begun
	n     int // records in the current collection
}

func (hs *hasher) start() *stateWriter {
	h := sha256.New()
	s := &stateWriter{hs: hs, h: h, w: bufio.NewWriterSize(h, 1<<16)}
	s.w.WriteByte('(')
	return s
}

// endCollection closes the current collection's tuple of records.
func (s *stateWriter) endCollection() {
	if s.colls == 0 {
		return
	}
	if s.n == 1 {
		s.w.WriteByte(',')
	}
	s.w.WriteString("))")
}

// collection begins the next collection; collections must come in the
// order of their names.
func (s *stateWriter) collection(name string) {
	s.endCollection()
	if s.colls > 0 {
		s.w.WriteString(", ")
	}
	s.colls++
	s.n = 0
	s.buf.Reset()
	s.buf.WriteByte('(')
	writePyString(&s.buf, name)
	s.buf.WriteString(", (")
	s.w.Write(s.buf.Bytes())
}

// record adds a record of the current collection; records must come in
// the order of their keys.
func (s *stateWriter) record(id string, text []byte) error {
	if s.n > 0 {
		s.w.WriteString(", ")
	}
	s.n++
	s.buf.Reset()
	s.buf.WriteByte('(')
	writePyString(&s.buf, id)
	s.buf.WriteString(", ")
	s.w.Write(s.buf.Bytes())
	if r, ok := s.hs.cache[string(text)]; ok {
		s.w.Write(r)
	} else {
		rec, err := decodeValue(text)
		if err != nil {
			return fmt.Errorf("record %s: %w", id, err)
		}
		s.buf.Reset()
		writeRepr(&s.buf, rec)
		s.w.Write(s.buf.Bytes())
		if s.hs.cache != nil {
			s.hs.cache[string(text)] = bytes.Clone(s.buf.Bytes())
		}
	}
	s.w.WriteByte(')')
	return nil
}

// sum ends the text and returns its hash.
func (s *stateWriter) sum() (string, error) {
	s.endCollection()
	if s.colls == 1 {
		s.w.WriteByte(',')
	}
	s.w.WriteByte(')')
	if err := s.w.Flush(); err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	return hex.EncodeToString(s.h.Sum(nil)), nil
}
