package airline

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/internal/testenv"
)

// minExact is how many of tau-bench's 50 test tasks must replay exactly.
const minExact = 50

// raceWalkEvery is how often, under the race detector, a task's
// database is read in full (diffed row by row and hashed); the others are
// checked through the runtime's change log only. Reading ten megabytes of
// rows through the race-instrumented SQLite fifty times would take most
// of a minute; without -race every task gets the full check.
const raceWalkEvery = 10

var (
	loadOnce sync.Once
	loadErr  error
)

// loadData loads tau-bench's database into the domain once per test
// binary and returns the data folder.
func loadData(t *testing.T) string {
	t.Helper()
	dir := testenv.Data(t, "taubench/airline")
	loadOnce.Do(func() { loadErr = Load(dir) })
	require.NoError(t, loadErr)
	return dir
}

// replayTask is one of tasks_test.json's tasks.
type replayTask struct {
	UserID  string `json:"user_id"`
	Actions []struct {
		Name   string          `json:"name"`
		Kwargs json.RawMessage `json:"kwargs"`
	} `json:"actions"`
}

// expectedFile is expected_test.json: what tau-bench's own tools did.
type expectedFile struct {
	InitialStateSHA256 string `json:"initial_state_sha256"`
	Tasks              []struct {
		TaskIndex        int                   `json:"task_index"`
		Observations     []string              `json:"observations"`
		FinalStateSHA256 string                `json:"final_state_sha256"`
		Changes          map[string]changeList `json:"changes"`
	} `json:"tasks"`
}

// changeList is what one collection gained, changed or lost.
type changeList struct {
	Upserted map[string]json.RawMessage `json:"upserted"`
	Removed  []string                   `json:"removed"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v), path)
}

// walkRows calls fn with every row of every table of db, read straight
// from SQLite in storage order, tau-bench's collections first (in the
// order of their names): the row's columns as unambiguous text, and its
// "record" column. The runtime's own change log (_simgym_*) is left out.
// The bytes are valid only during the call.
func walkRows(ctx context.Context, db *sql.DB, fn func(table, id string, row, record []byte) error) error {
	rows, err := db.QueryContext(ctx, `SELECT "name" FROM "sqlite_master" WHERE "type" = 'table' AND "name" NOT LIKE 'sqlite\_%' ESCAPE '\' AND "name" NOT LIKE '\_simgym\_%' ESCAPE '\' ORDER BY "name"`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, n)
	}
	rows.Close()
	rank := map[string]int{}
	for i, c := range Collections {
		rank[c.Table] = i - len(Collections)
	}
	sort.SliceStable(tables, func(i, j int) bool { return rank[tables[i]] < rank[tables[j]] })
	var buf bytes.Buffer
	for _, tb := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM "`+tb+`"`)
		if err != nil {
			return err
		}
		cols, _ := rows.Columns()
		idCol, recCol := -1, -1
		dest := make([]any, len(cols))
		vals := make([]any, len(cols))
		var record sql.RawBytes
		for i, c := range cols {
			dest[i] = &vals[i]
			switch c {
			case "id":
				idCol = i
			case "record":
				recCol = i
				dest[i] = &record
			}
		}
		if idCol < 0 {
			rows.Close()
			return fmt.Errorf("table %s has no id", tb)
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			buf.Reset()
			for i := range cols {
				v := vals[i]
				if i == recCol {
					v = []byte(record)
					if record == nil {
						v = nil
					}
				}
				// A type letter and a length keep the text unambiguous.
				switch x := v.(type) {
				case []byte:
					fmt.Fprintf(&buf, "s%d:", len(x))
					buf.Write(x)
				case string:
					fmt.Fprintf(&buf, "s%d:%s", len(x), x)
				case nil:
					buf.WriteString("n")
				default:
					fmt.Fprintf(&buf, "%T:%v", x, x)
				}
				buf.WriteByte(0)
			}
			id := fmt.Sprint(vals[idCol])
			if b, ok := vals[idCol].([]byte); ok {
				id = string(b)
			}
			if err := fn(tb, id, buf.Bytes(), record); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// dbState is a database's content: each row as text, by table and key.
type dbState map[string]map[string]string

// readState reads a whole database.
func readState(ctx context.Context, db *sql.DB) (dbState, error) {
	st := dbState{}
	err := walkRows(ctx, db, func(table, id string, row, _ []byte) error {
		if st[table] == nil {
			st[table] = map[string]string{}
		}
		st[table][id] = string(row)
		return nil
	})
	return st, err
}

// tableDiff is what changed in one table: the rows that appeared or
// changed (with their record), and the rows that went.
type tableDiff struct {
	upserted map[string]string // id -> record
	removed  []string
}

// diffState reads a database, compares every row with the state before
// and hashes tau-bench's collections as tau-bench does.
func diffState(ctx context.Context, db *sql.DB, before dbState, hs *hasher) (map[string]*tableDiff, string, error) {
	out := map[string]*tableDiff{}
	seen := map[string]map[string]bool{}
	colls := map[string]string{}
	for _, c := range Collections {
		colls[c.Table] = c.Name
	}
	type idRecord struct{ id, record string }
	records := map[string][]idRecord{}
	err := walkRows(ctx, db, func(table, id string, row, record []byte) error {
		if out[table] == nil {
			out[table] = &tableDiff{upserted: map[string]string{}}
			seen[table] = map[string]bool{}
		}
		seen[table][id] = true
		if old, ok := before[table][id]; !ok || old != string(row) {
			out[table].upserted[id] = string(record)
		}
		if _, ok := colls[table]; ok {
			records[table] = append(records[table], idRecord{id, string(record)})
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	sw := hs.start()
	for _, c := range Collections {
		sw.collection(c.Name)
		list := records[c.Table]
		sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
		for _, r := range list {
			if err := sw.record(r.id, []byte(r.record)); err != nil {
				return nil, "", err
			}
		}
	}
	for table, rows := range before {
		if out[table] == nil {
			out[table] = &tableDiff{upserted: map[string]string{}}
		}
		for id := range rows {
			if !seen[table][id] {
				out[table].removed = append(out[table].removed, id)
			}
		}
		sort.Strings(out[table].removed)
	}
	hash, err := sw.sum()
	return out, hash, err
}

// exactJSON reports whether two JSON texts are the same up to
// insignificant white space: same keys in the same order, same number
// literals, same escapes. Call's output escapes <, > and & for HTML, so
// the expected text is escaped alike.
func exactJSON(want, got []byte) bool {
	var w, g bytes.Buffer
	if json.Compact(&w, want) != nil || json.Compact(&g, got) != nil {
		return false
	}
	var we bytes.Buffer
	json.HTMLEscape(&we, w.Bytes())
	return bytes.Equal(we.Bytes(), g.Bytes())
}

// sameJSON reports whether two JSON texts hold equal values (objects
// compared as maps, numbers by value).
func sameJSON(want, got []byte) bool {
	var w, g any
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil {
		return false
	}
	return reflect.DeepEqual(w, g)
}

// match is how an observation or record compares: exactly, equal as
// JSON values only, or not at all.
type match int

const (
	mismatch match = iota
	sameValue
	exact
)

// compareObservation compares what the tool answered (its JSON result,
// or its error's text) with tau-bench's observation, a string that is
// JSON text or plain text. JSON is compared as JSON (exact: same text up
// to white space; else same value); plain text must equal the error's
// text or the JSON string the tool returned.
func compareObservation(want string, got json.RawMessage, callErr error) match {
	if callErr != nil {
		if callErr.Error() == want {
			return exact
		}
		return mismatch
	}
	if json.Valid([]byte(want)) {
		switch {
		case exactJSON([]byte(want), got):
			return exact
		case sameJSON([]byte(want), got):
			return sameValue
		}
		return mismatch
	}
	var s string
	if json.Unmarshal(got, &s) == nil && s == want {
		return exact
	}
	return mismatch
}

// taskResult is how one task replayed.
type taskResult struct {
	exact, same bool
	problems    []string
}

func (r *taskResult) note(m match, format string, args ...any) {
	switch m {
	case mismatch:
		r.exact, r.same = false, false
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	case sameValue:
		r.exact = false
		r.problems = append(r.problems, "(same value, different text) "+fmt.Sprintf(format, args...))
	}
}

// TestReplayTaubenchTasks replays the ground-truth actions of tau-bench's
// 50 airline test tasks through Domain.Call, each on a fresh database,
// and compares every observation, every changed record (found by reading
// every row of every table after the task and diffing it with the
// initial state, not by asking the tools) and the final database hash
// with what tau-bench's own tools recorded. It also checks that the
// runtime's change log, which simgym's rewards use, sees the same rows.
// Under the race detector only every raceWalkEvery-th task is read in
// full; the others are compared through the change log.
func TestReplayTaubenchTasks(t *testing.T) {
	dir := loadData(t)
	var tasks []replayTask
	readJSON(t, filepath.Join(dir, "tasks_test.json"), &tasks)
	var want expectedFile
	readJSON(t, filepath.Join(dir, "expected_test.json"), &want)
	require.Len(t, want.Tasks, len(tasks))
	ctx := context.Background()

	start := time.Now()
	db0, err := domain.NewDB(ctx, 0)
	require.NoError(t, err)
	before, err := readState(ctx, db0)
	require.NoError(t, err)
	hs := &hasher{cache: map[string][]byte{}}
	h0, err := hs.hashDB(ctx, db0)
	require.NoError(t, err)
	require.NoError(t, db0.Close())
	require.Equal(t, want.InitialStateSHA256, h0, "initial database hash")
	t.Logf("initial state: %v", time.Since(start).Round(time.Millisecond))

	tables := map[string]string{}
	for _, c := range Collections {
		tables[c.Table] = c.Name
	}
	nExact, nSame, calls, walked := 0, 0, 0, 0
	start = time.Now()
	for i, task := range tasks {
		exp := want.Tasks[i]
		require.Equal(t, i, exp.TaskIndex)
		r := &taskResult{exact: true, same: true}
		db, err := domain.NewDB(ctx, 0)
		require.NoError(t, err)
		k := 0
		for _, a := range task.Actions {
			if a.Name == "respond" {
				continue
			}
			calls++
			got, callErr := domain.Call(ctx, db, a.Name, a.Kwargs)
			if callErr != nil && !domains.IsToolError(callErr) {
				t.Fatalf("task %d: %s: internal error: %v", i, a.Name, callErr)
			}
			if k >= len(exp.Observations) {
				r.note(mismatch, "action %d %s: no recorded observation", k, a.Name)
				continue
			}
			r.note(compareObservation(exp.Observations[k], got, callErr), "action %d %s: observation\nwant %.600s\n got %.600s (err %v)", k, a.Name, exp.Observations[k], got, callErr)
			k++
		}
		if k != len(exp.Observations) {
			r.note(mismatch, "%d observations, tau-bench recorded %d", k, len(exp.Observations))
		}
		runtimeChanges := runtimeDiff(t, db)
		if !testenv.RaceEnabled || i%raceWalkEvery == 0 {
			changes, hash, err := diffState(ctx, db, before, hs)
			require.NoError(t, err)
			if hash != exp.FinalStateSHA256 {
				r.note(mismatch, "final database hash %s, tau-bench's %s", hash, exp.FinalStateSHA256)
			}
			compareChanges(r, tables, changes, exp.Changes)
			sameRows(r, changes, runtimeChanges)
			walked++
		} else {
			compareChanges(r, tables, runtimeChanges, exp.Changes)
		}
		require.NoError(t, db.Close())
		if r.exact {
			nExact++
		}
		if r.same {
			nSame++
		}
		if len(r.problems) > 0 {
			t.Errorf("task %d:\n  %s", i, strings.Join(r.problems, "\n  "))
		}
	}
	elapsed := time.Since(start)
	t.Logf("replayed %d tasks (%d tool calls) in %v: %d/%d match exactly (observations, changed records, final hash), %d/%d as JSON values; %d databases read in full",
		len(tasks), calls, elapsed.Round(time.Millisecond), nExact, len(tasks), nSame, len(tasks), walked)
	require.GreaterOrEqual(t, nExact, minExact, "tasks replaying exactly")
}

// compareChanges compares the rows that changed with tau-bench's
// recorded changes. Tables holding tau-bench's collections must change
// exactly in the recorded records; other tables must not change.
func compareChanges(r *taskResult, tables map[string]string, got map[string]*tableDiff, want map[string]changeList) {
	seen := map[string]bool{}
	for tb, d := range got {
		upserted := sortedKeys(d.upserted)
		coll, isColl := tables[tb]
		if !isColl {
			if len(upserted)+len(d.removed) > 0 {
				r.note(mismatch, "table %s changed (%v upserted, %v removed); tau-bench has no such state", tb, upserted, d.removed)
			}
			continue
		}
		seen[coll] = true
		exp := want[coll]
		wantIDs := sortedKeys(exp.Upserted)
		if !reflect.DeepEqual(nonNil(upserted), nonNil(wantIDs)) {
			r.note(mismatch, "%s: records %v changed, tau-bench changed %v", coll, upserted, wantIDs)
		}
		if !reflect.DeepEqual(nonNil(d.removed), nonNil(sorted(exp.Removed))) {
			r.note(mismatch, "%s: records %v removed, tau-bench removed %v", coll, d.removed, exp.Removed)
		}
		for _, id := range upserted {
			w, ok := exp.Upserted[id]
			if !ok {
				continue
			}
			rec := d.upserted[id]
			m := mismatch
			switch {
			case exactJSON(w, []byte(rec)):
				m = exact
			case sameJSON(w, []byte(rec)):
				m = sameValue
			}
			r.note(m, "%s %s: record\nwant %.800s\n got %.800s", coll, id, w, rec)
		}
	}
	for coll, c := range want {
		if !seen[coll] && len(c.Upserted)+len(c.Removed) > 0 {
			r.note(mismatch, "tau-bench changed collection %s, which has no table", coll)
		}
	}
}

// runtimeDiff returns the rows the runtime's change log says differ
// from the initial state (what simgym's rewards compare), with their
// records read back from the database.
func runtimeDiff(t *testing.T, db *sql.DB) map[string]*tableDiff {
	t.Helper()
	ctx := context.Background()
	rc, err := domain.Changes(ctx, db, 0)
	require.NoError(t, err)
	out := map[string]*tableDiff{}
	for _, c := range rc {
		d := out[c.Table]
		if d == nil {
			d = &tableDiff{upserted: map[string]string{}}
			out[c.Table] = d
		}
		if c.Row == nil {
			d.removed = append(d.removed, c.Key)
			continue
		}
		var rec sql.NullString
		if _, ok := c.Row["record"]; ok {
			err := db.QueryRowContext(ctx, `SELECT "record" FROM "`+c.Table+`" WHERE "id" = ?1`, c.Key).Scan(&rec)
			require.NoError(t, err)
		}
		d.upserted[c.Key] = rec.String
	}
	return out
}

// sameRows checks that the runtime's change log saw the rows the full
// diff found.
func sameRows(r *taskResult, full, runtime map[string]*tableDiff) {
	list := func(m map[string]*tableDiff) []string {
		out := []string{}
		for tb, d := range m {
			for id := range d.upserted {
				out = append(out, tb+"/"+id)
			}
			for _, id := range d.removed {
				out = append(out, tb+"/"+id+" (removed)")
			}
		}
		sort.Strings(out)
		return out
	}
	if a, b := list(full), list(runtime); !reflect.DeepEqual(a, b) {
		r.note(mismatch, "the full diff found %v, the runtime's change log %v", a, b)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}
