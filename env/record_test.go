package env

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/task"

	"github.com/simgym/simgym/env/protocol"
)

// stubWorld is a world whose episodes answer every call with "ok" and
// reward an answer of "yes".
type stubWorld struct{}

func (stubWorld) Info() WorldInfo { return WorldInfo{Name: "stub", TaskIDs: []string{"t1"}} }
func (stubWorld) Start(context.Context, string, *int64) (Run, error) {
	return stubRun{}, nil
}

type stubRun struct{}

func (stubRun) TaskID() string      { return "t1" }
func (stubRun) Instruction() string { return "say yes" }
func (stubRun) Call(context.Context, int, string, json.RawMessage) (json.RawMessage, *task.Step, error) {
	return json.RawMessage(`"ok"`), nil, nil
}
func (stubRun) Finish(_ context.Context, answer string) (Outcome, error) {
	if answer == "yes" {
		return Outcome{Reward: 1, Score: map[string]any{"answer": answer}}, nil
	}
	return Outcome{Score: map[string]any{"answer": answer}}, nil
}
func (stubRun) Fork(context.Context) (Run, error) { return stubRun{}, nil }
func (stubRun) Close()                            {}

// newTestRecorder opens a recorder on a fresh file, logging into a buffer,
// and closes it when the test ends.
func newTestRecorder(t *testing.T) (*Recorder, string, *syncBuffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.db")
	log := &syncBuffer{}
	r, err := NewRecorder(path, RecorderOptions{Log: log})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r, path, log
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// openReader opens the recording file on a connection of its own, as
// another process would.
func openReader(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// hasEpisode reads whether the file holds an episode, and its env.
func hasEpisode(t *testing.T, db *sql.DB, id string) (string, bool) {
	t.Helper()
	var envName string
	err := db.QueryRow(`SELECT env FROM episodes WHERE episode = ?`, id).Scan(&envName)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false
	}
	require.NoError(t, err)
	return envName, true
}

func testRecord(id, envName string) Record {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	return Record{Episode: id, Env: envName, Task: "t1", Instruction: "say yes",
		Turns:  []Turn{{Action: protocol.Action{Tool: "list"}, Observation: json.RawMessage(`"ok"`)}},
		Reward: 0.5, Info: json.RawMessage(`{"k":1}`), Started: t0, Finished: t0.Add(time.Second)}
}

// lockFile holds the file's write lock from another connection until
// the returned function is called: the recorder's writer blocks in its
// transaction meanwhile.
func lockFile(t *testing.T, path string) func() {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	require.NoError(t, err)
	return func() {
		_, err := conn.ExecContext(context.Background(), "COMMIT")
		assert.NoError(t, err)
		conn.Close()
		db.Close()
	}
}

// queue puts records straight on the writer's queue, without waiting.
func queue(r *Recorder, recs ...Record) []chan error {
	var dones []chan error
	for _, rec := range recs {
		p := pending{rec: rec, done: make(chan error, 1)}
		r.ch <- p
		dones = append(dones, p.done)
	}
	return dones
}

// histogram reads a histogram's sample count and sum.
func histogram(t *testing.T, c prometheus.Collector, name string) (uint64, float64) {
	t.Helper()
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(c))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			h := mf.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	t.Fatalf("no histogram %s", name)
	return 0, 0
}

func TestRecorderWriteIsCommittedWhenItReturns(t *testing.T) {
	r, path, log := newTestRecorder(t)
	db := openReader(t, path)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("ep-w%d-%d", w, i)
				if err := r.Write(testRecord(id, "stub")); err != nil {
					errs <- err
					return
				}
				// Another connection sees the row as soon as Write returns.
				var n int
				if err := db.QueryRow(`SELECT count(*) FROM episodes WHERE episode = ?`, id).Scan(&n); err != nil || n != 1 {
					errs <- fmt.Errorf("%s: %d rows after Write returned (%v)", id, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, float64(writers*each), testutil.ToFloat64(r.met.episodes))
	assert.Zero(t, testutil.ToFloat64(r.met.errors))
	assert.Empty(t, log.String())
	count, sum := histogram(t, r.met.batch, "simgym_record_batch_size")
	assert.Equal(t, float64(writers*each), sum, "every record is in one batch")
	assert.LessOrEqual(t, count, uint64(writers*each))
}

func TestRecorderGroupCommit(t *testing.T) {
	r, path, _ := newTestRecorder(t)
	db := openReader(t, path)
	unlock := lockFile(t, path)
	// The writer takes some of these and blocks on the lock; the rest
	// wait in the queue, and go together into the next transaction.
	const n = 40
	var recs []Record
	for i := range n {
		recs = append(recs, testRecord(fmt.Sprintf("ep-g-%d", i), "stub"))
	}
	dones := queue(r, recs...)
	for _, done := range dones {
		select {
		case err := <-done:
			t.Fatalf("a write finished while the file was locked: %v", err)
		default:
		}
	}
	_, found := hasEpisode(t, db, "ep-g-0")
	assert.False(t, found)
	unlock()
	for i, done := range dones {
		require.NoError(t, <-done)
		_, found := hasEpisode(t, db, recs[i].Episode)
		assert.True(t, found, recs[i].Episode)
	}
	count, sum := histogram(t, r.met.batch, "simgym_record_batch_size")
	assert.LessOrEqual(t, count, uint64(2), "the queued records share at most two transactions")
	assert.Equal(t, float64(n), sum)
}

func TestRecorderDuplicateFailsAndIsCounted(t *testing.T) {
	cases := []struct {
		name string
		// write writes the original then the duplicate, and returns the
		// duplicate's error.
		write func(r *Recorder, orig, dup, other Record) error
	}{
		{"in a later transaction", func(r *Recorder, orig, dup, other Record) error {
			if err := r.Write(orig); err != nil {
				return err
			}
			err := r.Write(dup)
			if e := r.Write(other); e != nil {
				return e
			}
			return err
		}},
		{"in the same transaction", func(r *Recorder, orig, dup, other Record) error {
			dones := queue(r, orig, dup, other)
			if err := <-dones[0]; err != nil {
				return err
			}
			err := <-dones[1]
			if e := <-dones[2]; e != nil {
				return e
			}
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, path, log := newTestRecorder(t)
			orig := testRecord("ep-1", "first")
			dup := testRecord("ep-1", "second")
			dup.Reward = 0
			other := testRecord("ep-2", "first")
			err := c.write(r, orig, dup, other)
			require.ErrorIs(t, err, ErrDuplicateEpisode)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), "ep-1")
			assert.Equal(t, 1.0, testutil.ToFloat64(r.met.errors))
			assert.Equal(t, 2.0, testutil.ToFloat64(r.met.episodes))
			lines := strings.Split(strings.TrimSpace(log.String()), "\n")
			require.Len(t, lines, 1, log.String())
			assert.Contains(t, lines[0], path)
			assert.Contains(t, lines[0], "episode ep-1")
			require.ErrorIs(t, r.Close(), ErrDuplicateEpisode, "Close reports the first write error")

			recs, err := ReadRecords(context.Background(), path)
			require.NoError(t, err)
			require.Len(t, recs, 2)
			assert.Equal(t, "ep-1", recs[0].Episode)
			assert.Equal(t, "first", recs[0].Env, "the earlier row is kept")
			assert.Equal(t, 0.5, recs[0].Reward)
			assert.Equal(t, "ep-2", recs[1].Episode)
		})
	}
}

func TestRecorderCloseFlushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.db")
	log := &syncBuffer{}
	r, err := NewRecorder(path, RecorderOptions{Log: log})
	require.NoError(t, err)
	unlock := lockFile(t, path)
	var recs []Record
	for i := range 30 {
		recs = append(recs, testRecord(fmt.Sprintf("ep-c-%d", i), "stub"))
	}
	dones := queue(r, recs...)
	closed := make(chan error)
	go func() { closed <- r.Close() }()
	unlock()
	require.NoError(t, <-closed)
	for _, done := range dones {
		assert.NoError(t, <-done)
	}
	got, err := ReadRecords(context.Background(), path)
	require.NoError(t, err)
	require.Len(t, got, len(recs))
	byID := map[string]Record{}
	for _, g := range got {
		byID[g.Episode] = g
	}
	for _, want := range recs {
		g, ok := byID[want.Episode]
		require.True(t, ok, want.Episode)
		assert.Equal(t, want.Turns, g.Turns)
		assert.JSONEq(t, string(want.Info), string(g.Info))
		assert.True(t, want.Finished.Equal(g.Finished))
	}

	err = r.Write(testRecord("ep-late", "stub"))
	require.ErrorIs(t, err, ErrRecorderClosed)
	assert.Equal(t, 1.0, testutil.ToFloat64(r.met.errors))
	assert.Contains(t, log.String(), "episode ep-late")
}

func TestManagerRecordsBeforeStepReturns(t *testing.T) {
	r, path, _ := newTestRecorder(t)
	db := openReader(t, path)
	m := NewManager(nil, Limits{MaxSteps: 2})
	require.NoError(t, m.AddWorld(stubWorld{}))
	m.OnFinish = r.Add
	ctx := context.Background()
	owner := m.NewOwner()
	cases := []struct {
		name    string
		actions []protocol.Action
		reward  float64
	}{
		{"answer", []protocol.Action{{Tool: "list"}, {Answer: new("yes")}}, 1},
		{"step limit", []protocol.Action{{Tool: "list"}, {Tool: "list"}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := m.Reset(ctx, owner, "stub", "", nil)
			require.NoError(t, err)
			for i, a := range c.actions {
				res, err := m.Step(ctx, owner, e.ID, a)
				require.NoError(t, err)
				envName, found := hasEpisode(t, db, e.ID)
				if i < len(c.actions)-1 {
					assert.False(t, res.Done)
					assert.False(t, found, "recorded before it finished")
					continue
				}
				require.True(t, res.Done)
				assert.True(t, found, "committed when the finishing step returns")
				assert.Equal(t, "stub", envName)
			}
			var reward float64
			var turns string
			require.NoError(t, db.QueryRow(`SELECT reward, turns FROM episodes WHERE episode = ?`, e.ID).Scan(&reward, &turns))
			assert.Equal(t, c.reward, reward)
			var got []Turn
			require.NoError(t, json.Unmarshal([]byte(turns), &got))
			assert.Len(t, got, len(c.actions))
		})
	}
}

func TestEpisodeIDsDifferAcrossManagers(t *testing.T) {
	ctx := context.Background()
	idFormat := regexp.MustCompile(`^ep-[0-9a-f]{8}-[0-9]+$`)
	seen := map[string]bool{}
	for range 3 {
		m := NewManager(nil, Limits{})
		require.NoError(t, m.AddWorld(stubWorld{}))
		owner := m.NewOwner()
		for range 3 {
			e, err := m.Reset(ctx, owner, "stub", "", nil)
			require.NoError(t, err)
			assert.Regexp(t, idFormat, e.ID)
			assert.True(t, strings.HasPrefix(e.ID, "ep-"+m.RunID()+"-"), e.ID)
			assert.False(t, seen[e.ID], "id %s reused", e.ID)
			seen[e.ID] = true
			f, err := m.Fork(ctx, owner, e.ID)
			require.NoError(t, err)
			assert.Regexp(t, idFormat, f.ID)
			assert.False(t, seen[f.ID], "id %s reused", f.ID)
			seen[f.ID] = true
		}
	}
	assert.Len(t, seen, 18)
}
