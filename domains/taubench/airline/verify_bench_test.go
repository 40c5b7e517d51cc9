package airline

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/internal/testenv"
)

// verifyFixture is one tau-bench task replayed into an episode database,
// with its ground truth recorded both ways.
type verifyFixture struct {
	d       *domains.Domain
	episode *sql.DB
	actions []replayAction
	changes string // fingerprint of the ground truth's changes
	hash    string // tau-bench's whole-database hash of the ground truth
}

type replayAction struct {
	tool string
	args json.RawMessage
}

var (
	fixtureOnce sync.Once
	fixture     *verifyFixture
	fixtureErr  error
)

// benchFixture replays the first task of tasks_test.json that writes.
func benchFixture(b *testing.B) *verifyFixture {
	b.Helper()
	dir := testenv.Data(b, "taubench/airline")
	fixtureOnce.Do(func() {
		ctx := context.Background()
		if fixtureErr = Load(dir); fixtureErr != nil {
			return
		}
		var tasks []replayTask
		readJSONB(b, filepath.Join(dir, "tasks_test.json"), &tasks)
		d := domains.Lookup("airline")
		for _, t := range tasks {
			var acts []replayAction
			writes := false
			for _, a := range t.Actions {
				if a.Name == "respond" {
					continue
				}
				acts = append(acts, replayAction{a.Name, a.Kwargs})
				if op := d.Model.Op(a.Name); op != nil && op.Kind.IsWrite() {
					writes = true
				}
			}
			if !writes {
				continue
			}
			db, err := d.NewDB(ctx, 0)
			if err != nil {
				fixtureErr = err
				return
			}
			for _, a := range acts {
				if _, err := d.Call(ctx, db, a.tool, a.args); err != nil && !domains.IsToolError(err) {
					fixtureErr = err
					return
				}
			}
			ch, err := d.Changes(ctx, db, 0)
			if err != nil {
				fixtureErr = err
				return
			}
			h, err := Hash(ctx, db)
			if err != nil {
				fixtureErr = err
				return
			}
			fixture = &verifyFixture{d: d, episode: db, actions: acts, changes: domains.Fingerprint(ch), hash: h}
			return
		}
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	if fixture == nil {
		b.Fatal("no task of tasks_test.json writes")
	}
	return fixture
}

func readJSONB(b *testing.B, path string, v any) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkVerifyIncremental is simgym's end-of-episode state check:
// read only the rows the episode touched (the triggers' change log),
// diff them against the initial state, and compare fingerprints.
func BenchmarkVerifyIncremental(b *testing.B) {
	f := benchFixture(b)
	ctx := context.Background()
	for b.Loop() {
		ch, err := f.d.Changes(ctx, f.episode, 0)
		if err != nil {
			b.Fatal(err)
		}
		if domains.Fingerprint(ch) != f.changes {
			b.Fatal("fingerprint differs")
		}
	}
}

// BenchmarkVerifyFullReplay is tau-bench's check on the same data: hash
// the whole database, replay the ground truth on a fresh copy, hash that
// too, and compare.
func BenchmarkVerifyFullReplay(b *testing.B) {
	f := benchFixture(b)
	ctx := context.Background()
	for b.Loop() {
		got, err := Hash(ctx, f.episode)
		if err != nil {
			b.Fatal(err)
		}
		fresh, err := f.d.NewDB(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range f.actions {
			if _, err := f.d.Call(ctx, fresh, a.tool, a.args); err != nil && !domains.IsToolError(err) {
				b.Fatal(err)
			}
		}
		want, err := Hash(ctx, fresh)
		fresh.Close()
		if err != nil {
			b.Fatal(err)
		}
		if got != want || got != f.hash {
			b.Fatal("hash differs")
		}
	}
}
