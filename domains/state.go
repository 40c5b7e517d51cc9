package domains

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/simgym/simgym/domains/schema"
)

// changeLog is the table, kept inside every snapshot, where triggers note
// the key of each row a write touches. Verification then looks only at
// those rows, so its cost grows with what an episode changed, not with the
// size of the database.
const changeLog = "_simgym_changes"

// trackChanges adds the change log and its triggers to a database whose
// tables exist (and are already filled: the log starts empty).
func trackChanges(ctx context.Context, db DBTX, m *schema.Model) error {
	stmts := []string{fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s ("tbl" TEXT NOT NULL, "pk", PRIMARY KEY ("tbl", "pk")) WITHOUT ROWID`, schema.Quote(changeLog))}
	for _, t := range m.Tables {
		q := schema.Quote(t.Name)
		lit := "'" + strings.ReplaceAll(t.Name, "'", "''") + "'"
		log := func(ref string) string {
			return fmt.Sprintf(`INSERT OR IGNORE INTO %s ("tbl", "pk") VALUES (%s, %s."id");`, schema.Quote(changeLog), lit, ref)
		}
		trig := func(event, body string) string {
			return fmt.Sprintf(`CREATE TRIGGER %s AFTER %s ON %s BEGIN %s END`, schema.Quote("_simgym_"+strings.ToLower(event)+"_"+t.Name), event, q, body)
		}
		stmts = append(stmts,
			trig("INSERT", log("NEW")),
			trig("UPDATE", log("OLD")+" "+log("NEW")),
			trig("DELETE", log("OLD")),
		)
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("track changes: %w", err)
		}
	}
	return nil
}

// RowChange is one row that differs from the initial state: its content
// now, or nil when it was deleted.
type RowChange struct {
	Table string         `json:"table"`
	Key   string         `json:"key"`
	Row   map[string]any `json:"row"`
}

// Changes returns the rows of db that differ from the domain's initial
// state for the seed, sorted by table and key. Only rows some write
// touched are read, so the cost follows the size of the change.
func (d *Domain) Changes(ctx context.Context, db *sql.DB, seedValue int64) ([]RowChange, error) {
	rows, err := db.QueryContext(ctx, `SELECT "tbl", "pk" FROM `+schema.Quote(changeLog)+` ORDER BY "tbl", "pk"`)
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", d.Name, err)
	}
	type touched struct {
		table string
		pk    any
	}
	var ts []touched
	for rows.Next() {
		var t touched
		if err := rows.Scan(&t.table, &t.pk); err != nil {
			rows.Close()
			return nil, fmt.Errorf("changes of %s: %w", d.Name, err)
		}
		if b, ok := t.pk.([]byte); ok {
			t.pk = string(b)
		}
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes of %s: %w", d.Name, err)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	initial, err := d.pristine(ctx, seedValue)
	if err != nil {
		return nil, err
	}
	var out []RowChange
	for _, t := range ts {
		table := d.Table(t.table)
		if table == nil {
			continue
		}
		now, err := readRow(ctx, db, table, t.pk)
		if err != nil {
			return nil, err
		}
		before, err := readRow(ctx, initial, table, t.pk)
		if err != nil {
			return nil, err
		}
		if reflect.DeepEqual(now, before) {
			continue
		}
		out = append(out, RowChange{Table: t.table, Key: fmt.Sprint(t.pk), Row: now})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// readRow reads one row as JSON values, or nil when it does not exist.
func readRow(ctx context.Context, db DBTX, t *schema.Table, pk any) (map[string]any, error) {
	list, err := Rows(ctx, db, t, `WHERE "id" = ?`, pk)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// Rows reads the rows of t that clause selects (e.g. `WHERE "id" = ?`,
// `ORDER BY "id" LIMIT 1 OFFSET ?`), as maps keyed by the columns' JSON
// keys with values as encoding/json decodes them, so they compare the
// same way whether read from a database or from a stored task.
func Rows(ctx context.Context, db DBTX, t *schema.Table, clause string, args ...any) ([]map[string]any, error) {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = schema.Quote(c.Name)
	}
	rows, err := db.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+schema.Quote(t.Name)+" "+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.Name, err)
	}
	list, err := scanRows(t, rows)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.Name, err)
	}
	return list, nil
}

// pristine returns a read-only copy of the initial state for a seed,
// built once and shared.
func (d *Domain) pristine(ctx context.Context, seedValue int64) (*sql.DB, error) {
	d.mu.Lock()
	db := d.pristines[seedValue]
	d.mu.Unlock()
	if db != nil {
		return db, nil
	}
	db, err := d.NewDB(ctx, seedValue)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pristines == nil {
		d.pristines = map[int64]*sql.DB{}
	}
	if other := d.pristines[seedValue]; other != nil {
		db.Close()
		return other, nil
	}
	d.pristines[seedValue] = db
	return db, nil
}

// Fingerprint hashes a list of changes: two databases started from the
// same snapshot are in the same state exactly when their changes have
// the same fingerprint.
func Fingerprint(changes []RowChange) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, c := range changes {
		_ = enc.Encode(c)
	}
	return hex.EncodeToString(h.Sum(nil))
}
