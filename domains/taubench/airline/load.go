package airline

// Loading tau-bench's database, and reading and writing its records.
//
// tau-bench keeps three JSON objects: users (user id -> profile with
// nested payment methods, saved passengers and reservation ids),
// reservations (reservation id -> booking with nested flights,
// passengers and payment history) and flights (flight number ->
// schedule with a status, seats and prices per date). The schema the
// generator inferred from the tools' arguments (schema.sql) has a table
// for each of these entities but columns for only a few of their fields,
// so this hand-written loader extends it:
//
//   - "user", "reservation" and "flight" get a "record" column holding
//     tau-bench's record as JSON text (keys in tau-bench's order) and a
//     "seq" column giving the record's position in tau-bench's object,
//     so that iteration follows Python's dict order. The record is the
//     source of truth; the hand-written tools read and write it.
//   - The inferred columns mirror the record, rewritten on every write
//     (reservation: user_id, origin, destination, flight_type, cabin,
//     payment_id = the last payment's method, total_baggages,
//     nonfree_baggages, insurance, status; flight: origin, destination).
//     Queries and task samplers that read the model's columns see current
//     values. Nested fields (a reservation's flights, passengers and
//     payment history; a flight's dates) live in the record only, and
//     their inferred columns stay NULL.
//   - "airport" gets a "city" column and one row per airport the flights
//     serve.
//   - The domain's model (domain.Model) gets the same columns at init, so
//     the runtime's readers (Domain.Changes, hence task rewards) see the
//     records: a change to a user's payment methods shows as a change of
//     the user's "record".
//
// The other inferred tables (agent, calculate, certificate, think) stay
// empty: tau-bench keeps no state for those tools, and a certificate
// lives in its user's payment methods.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// Table names of the records, and the names tau-bench gives the same
// collections.
const (
	userTable        = "user"
	reservationTable = "reservation"
	flightTable      = "flight"
	airportTable     = "airport"
)

// Collection maps one of tau-bench's database collections onto the
// table holding its records.
type Collection struct {
	// Name is tau-bench's name: "flights", "reservations" or "users".
	Name string
	// Table is the SQL table; its "record" column holds each record as
	// JSON and its "id" column the record's key.
	Table string
	// File is the JSON file the collection is loaded from.
	File string
}

// Collections lists tau-bench's collections in the order of their names.
var Collections = []Collection{
	{Name: "flights", Table: flightTable, File: "flights.json"},
	{Name: "reservations", Table: reservationTable, File: "reservations.json"},
	{Name: "users", Table: userTable, File: "users.json"},
}

// extraColumns are the columns the loader adds, by table.
var extraColumns = map[string][]*schema.Column{
	userTable:        {recordColumn(), seqColumn()},
	reservationTable: {recordColumn(), seqColumn()},
	flightTable:      {recordColumn(), seqColumn()},
	airportTable:     {{Name: "city", Key: "city", Type: schema.TypeText, JSONType: "string"}},
}

func recordColumn() *schema.Column {
	return &schema.Column{Name: "record", Key: "record", Type: schema.TypeText, JSONType: "object"}
}

func seqColumn() *schema.Column {
	return &schema.Column{Name: "seq", Key: "seq", Type: schema.TypeInteger, JSONType: "integer"}
}

// DataDir is where the domain finds tau-bench's data when Load was not
// called: $SIMGYM_DATA/taubench/airline.
func DataDir() (string, error) {
	root := os.Getenv("SIMGYM_DATA")
	if root == "" {
		return "", errors.New("airline: no data: call airline.Load with tau-bench's airline folder, or set SIMGYM_DATA")
	}
	return filepath.Join(root, "taubench", "airline"), nil
}

func init() {
	for table, cols := range extraColumns {
		t := domain.Model.Table(table)
		if t == nil {
			panic("airline: the generated model has no table " + table)
		}
		t.Columns = append(t.Columns, cols...)
	}
	// Without Load, the first database reads the data from SIMGYM_DATA.
	domain.Loader = func(ctx context.Context, db domains.DBTX, seed int64) error {
		dir, err := DataDir()
		if err != nil {
			return err
		}
		ds, err := dataFrom(dir)
		if err != nil {
			return err
		}
		return ds.fill(ctx, db, seed)
	}
}

// extendSQL adds what the loader and the hand-written tools need to the
// generated schema.
const extendSQL = `
ALTER TABLE "user" ADD COLUMN "record" TEXT;
ALTER TABLE "user" ADD COLUMN "seq" INTEGER;
ALTER TABLE "reservation" ADD COLUMN "record" TEXT;
ALTER TABLE "reservation" ADD COLUMN "seq" INTEGER;
ALTER TABLE "flight" ADD COLUMN "record" TEXT;
ALTER TABLE "flight" ADD COLUMN "seq" INTEGER;
ALTER TABLE "airport" ADD COLUMN "city" TEXT;
`

// row is one record ready to insert.
type row struct {
	id  string
	rec *object
}

// dataset is tau-bench's database, parsed once.
type dataset struct {
	dir  string
	rows map[string][]row // by table
}

var (
	loadMu sync.Mutex
	loaded *dataset
)

// Load reads tau-bench's airline database from dir (the folder holding
// users.json, flights.json and reservations.json, e.g.
// $SIMGYM_DATA/taubench/airline) and makes it the domain's initial state:
// it sets the domain's Loader, so every NewDB starts from tau-bench's
// data. Without Load, the domain reads $SIMGYM_DATA/taubench/airline
// when it builds its first database. Call Load before the domain's first
// NewDB (the runtime caches initial states) and not concurrently with
// it; loading again from the same dir does nothing.
func Load(dir string) error {
	ds, err := dataFrom(dir)
	if err != nil {
		return err
	}
	domain.Loader = ds.fill
	return nil
}

// dataFrom returns the dataset read from dir, reading it on first use;
// one process holds one dataset.
func dataFrom(dir string) (*dataset, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if loaded != nil {
		if loaded.dir == dir {
			return loaded, nil
		}
		return nil, fmt.Errorf("airline: already loaded from %s, not loading %s", loaded.dir, dir)
	}
	ds, err := readDataset(dir)
	if err != nil {
		return nil, err
	}
	loaded = ds
	return ds, nil
}

// readDataset parses the three JSON files.
func readDataset(dir string) (*dataset, error) {
	ds := &dataset{dir: dir, rows: map[string][]row{}}
	for _, c := range Collections {
		path := filepath.Join(dir, c.File)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("airline: load %s: %w", c.Name, err)
		}
		top, err := decodeObject(data)
		if err != nil {
			return nil, fmt.Errorf("airline: load %s: %w", path, err)
		}
		rows := make([]row, 0, len(top.keys))
		for _, k := range top.keys {
			rec, ok := top.vals[k].(*object)
			if !ok {
				return nil, fmt.Errorf("airline: load %s: record %s is not an object", path, k)
			}
			rows = append(rows, row{id: k, rec: rec})
		}
		ds.rows[c.Table] = rows
	}
	return ds, nil
}

// fill is the domain's Loader: it extends the schema and inserts the
// records. The seed is ignored: tau-bench has one initial state.
func (ds *dataset) fill(ctx context.Context, db domains.DBTX, _ int64) (err error) {
	if _, err := db.ExecContext(ctx, extendSQL); err != nil {
		return fmt.Errorf("airline: extend schema: %w", err)
	}
	// One transaction and one prepared statement per table, when db
	// offers them (a *sql.DB does), make loading several times faster.
	if b, ok := db.(interface {
		BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
	}); ok {
		tx, err := b.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("airline: load: %w", err)
		}
		defer func() {
			if err != nil {
				_ = tx.Rollback()
			}
		}()
		if err := ds.insert(ctx, tx); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("airline: load: %w", err)
		}
		return nil
	}
	return ds.insert(ctx, db)
}

// insertRows runs an insert for each row of values, prepared once when db
// can prepare.
func insertRows(ctx context.Context, db domains.DBTX, what, query string, ids []string, rows [][]any) error {
	exec := func(args ...any) error {
		_, err := db.ExecContext(ctx, query, args...)
		return err
	}
	if p, ok := db.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	}); ok {
		stmt, err := p.PrepareContext(ctx, query)
		if err != nil {
			return fmt.Errorf("airline: load %s: %w", what, err)
		}
		defer stmt.Close()
		exec = func(args ...any) error {
			_, err := stmt.ExecContext(ctx, args...)
			return err
		}
	}
	for i, r := range rows {
		if err := exec(r...); err != nil {
			return fmt.Errorf("airline: load %s %s: %w", what, ids[i], err)
		}
	}
	return nil
}

// insert adds the records and the airports.
func (ds *dataset) insert(ctx context.Context, db domains.DBTX) error {
	var ids []string
	var rows [][]any
	for i, r := range ds.rows[userTable] {
		ids = append(ids, r.id)
		rows = append(rows, []any{r.id, string(encodeValue(r.rec)), i + 1})
	}
	if err := insertRows(ctx, db, "user", `INSERT INTO "user" ("id", "record", "seq") VALUES (?1, ?2, ?3)`, ids, rows); err != nil {
		return err
	}
	ids, rows = nil, nil
	for i, r := range ds.rows[reservationTable] {
		ids = append(ids, r.id)
		rows = append(rows, append([]any{r.id, string(encodeValue(r.rec)), i + 1}, reservationMirror(r.rec)...))
	}
	if err := insertRows(ctx, db, "reservation", insertReservationSQL, ids, rows); err != nil {
		return err
	}
	ids, rows = nil, nil
	airports := map[string]bool{}
	for i, r := range ds.rows[flightTable] {
		origin, dest := r.rec.str("origin"), r.rec.str("destination")
		airports[origin], airports[dest] = true, true
		ids = append(ids, r.id)
		rows = append(rows, []any{r.id, origin, dest, string(encodeValue(r.rec)), i + 1})
	}
	if err := insertRows(ctx, db, "flight", `INSERT INTO "flight" ("id", "origin", "destination", "record", "seq") VALUES (?1, ?2, ?3, ?4, ?5)`, ids, rows); err != nil {
		return err
	}
	codes := make([]string, 0, len(airports))
	for c := range airports {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	rows = nil
	for _, c := range codes {
		rows = append(rows, []any{c, cities[c]})
	}
	return insertRows(ctx, db, "airport", `INSERT INTO "airport" ("id", "city") VALUES (?1, ?2)`, codes, rows)
}

// cities names the city each airport of tau-bench's flights serves.
var cities = map[string]string{
	"ATL": "Atlanta", "BOS": "Boston", "CLT": "Charlotte", "DEN": "Denver",
	"DFW": "Dallas", "DTW": "Detroit", "EWR": "Newark", "IAH": "Houston",
	"JFK": "New York", "LAS": "Las Vegas", "LAX": "Los Angeles", "LGA": "New York",
	"MCO": "Orlando", "MIA": "Miami", "MSP": "Minneapolis", "ORD": "Chicago",
	"PHL": "Philadelphia", "PHX": "Phoenix", "SEA": "Seattle", "SFO": "San Francisco",
}

// getRecord reads the record with key id from table; it returns nil and
// no error when there is none.
func getRecord(ctx context.Context, db domains.DBTX, table, id string) (*object, error) {
	var text sql.NullString
	err := db.QueryRowContext(ctx, `SELECT "record" FROM "`+table+`" WHERE "id" = ?1`, id).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", table, id, err)
	}
	if !text.Valid {
		return nil, fmt.Errorf("read %s %s: no record (the domain was not loaded with airline.Load)", table, id)
	}
	rec, err := decodeObject([]byte(text.String))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", table, id, err)
	}
	return rec, nil
}

// exists reports whether table has a row with key id.
func exists(ctx context.Context, db domains.DBTX, table, id string) (bool, error) {
	var one int
	err := db.QueryRowContext(ctx, `SELECT 1 FROM "`+table+`" WHERE "id" = ?1`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up %s %s: %w", table, id, err)
	}
	return true, nil
}

// saveUser writes a user's record.
func saveUser(ctx context.Context, db domains.DBTX, id string, rec *object) error {
	if _, err := db.ExecContext(ctx, `UPDATE "user" SET "record" = ?2 WHERE "id" = ?1`, id, string(encodeValue(rec))); err != nil {
		return fmt.Errorf("write user %s: %w", id, err)
	}
	return nil
}

// reservationColumns are the inferred columns a reservation's record
// mirrors, in the order reservationMirror returns their values. The
// nested fields (flights, passengers, payment history) are in the record
// only; their inferred columns stay NULL.
const reservationColumns = `"user_id", "origin", "destination", "flight_type", "cabin", "payment_id", "total_baggages", "nonfree_baggages", "insurance", "status"`

// reservationMirror returns the values of reservationColumns for a
// record.
func reservationMirror(rec *object) []any {
	scalar := func(k string) any {
		switch v := rec.get(k).(type) {
		case string:
			return v
		case num:
			if v.float {
				return v.f
			}
			return v.i
		}
		return nil
	}
	var lastPayment any
	if h := rec.list("payment_history"); len(h) > 0 {
		if p, ok := h[len(h)-1].(*object); ok {
			lastPayment = p.str("payment_id")
		}
	}
	return []any{
		scalar("user_id"), scalar("origin"), scalar("destination"), scalar("flight_type"), scalar("cabin"),
		lastPayment, scalar("total_baggages"), scalar("nonfree_baggages"), scalar("insurance"), scalar("status"),
	}
}

// insertReservationSQL adds a reservation: its id, record, position
// (seq) and reservationColumns.
const insertReservationSQL = `INSERT INTO "reservation" ("id", "record", "seq", ` + reservationColumns + `)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)`

// insertReservation adds a reservation at position seq.
func insertReservation(ctx context.Context, db domains.DBTX, id string, rec *object, seq int64) error {
	args := append([]any{id, string(encodeValue(rec)), seq}, reservationMirror(rec)...)
	_, err := db.ExecContext(ctx, insertReservationSQL, args...)
	if err != nil {
		return fmt.Errorf("insert reservation %s: %w", id, err)
	}
	return nil
}

// addReservation adds a new reservation after all others, as a new key
// goes last in a Python dict.
func addReservation(ctx context.Context, db domains.DBTX, id string, rec *object) error {
	var seq int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX("seq"), 0) + 1 FROM "reservation"`).Scan(&seq); err != nil {
		return fmt.Errorf("insert reservation %s: %w", id, err)
	}
	return insertReservation(ctx, db, id, rec, seq)
}

// saveReservation rewrites a reservation's record and its mirrored
// columns.
func saveReservation(ctx context.Context, db domains.DBTX, id string, rec *object) error {
	args := append([]any{id, string(encodeValue(rec))}, reservationMirror(rec)...)
	_, err := db.ExecContext(ctx, `UPDATE "reservation" SET "record" = ?2, (`+reservationColumns+`)
= (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) WHERE "id" = ?1`, args...)
	if err != nil {
		return fmt.Errorf("write reservation %s: %w", id, err)
	}
	return nil
}
