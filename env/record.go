package env

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Record is one finished episode as the recorder stores it.
type Record struct {
	Episode     string          `json:"episode"`
	Env         string          `json:"env"`
	Task        string          `json:"task"`
	Instruction string          `json:"instruction"`
	Turns       []Turn          `json:"turns"`
	Reward      float64         `json:"reward"`
	Info        json.RawMessage `json:"info"`
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
}

// Errors of a recorder's writes, for errors.Is.
var (
	// ErrDuplicateEpisode: the file already holds an episode of that id.
	// The earlier row is kept; the new one is not written.
	ErrDuplicateEpisode = errors.New("episode already recorded")
	// ErrRecorderClosed: the episode finished after the recorder closed.
	ErrRecorderClosed = errors.New("recorder closed")
)

// Recorder writes finished episodes to a SQLite file.
//
// Durability: Add returns only once the transaction holding its episode
// has committed, so a server that replies after Add never tells a client
// an episode is done that the file does not hold. The file is in WAL mode
// with synchronous=NORMAL: a commit is in the operating system's hands
// when it returns, which survives the server process being killed
// (SIGKILL, a crash) but not a power cut or a kernel crash, where the
// last commits may be lost (the file stays consistent).
//
// Group commit: one writer goroutine takes every episode queued while the
// previous transaction committed and writes them in one transaction, so
// many finishing episodes share a commit.
//
// Episodes are inserted, never replaced: an id already in the file fails
// with ErrDuplicateEpisode. Every failed write is logged (one line naming
// the file and the episode) and counted in simgym_record_errors_total.
type Recorder struct {
	path     string
	log      io.Writer
	maxBatch int
	db       *sql.DB
	insert   *sql.Stmt

	mu     sync.RWMutex // guards closed against sends on ch
	closed bool
	ch     chan pending
	wg     sync.WaitGroup

	errMu sync.Mutex
	err   error // the first write error
	once  sync.Once

	met recordMetrics
}

// RecorderOptions configure NewRecorder. The zero value is the default.
type RecorderOptions struct {
	// Log receives one line per failed write (default: os.Stderr).
	Log io.Writer
	// MaxBatch bounds the episodes of one transaction (default 512).
	MaxBatch int
}

// pending is a queued episode and where its writer reports the outcome.
type pending struct {
	rec  Record
	done chan error
}

type recordMetrics struct {
	episodes prometheus.Counter
	errors   prometheus.Counter
	batch    prometheus.Histogram
	commit   prometheus.Histogram
}

const recordSchema = `CREATE TABLE IF NOT EXISTS episodes (
  episode TEXT PRIMARY KEY,
  env TEXT NOT NULL,
  task TEXT NOT NULL,
  instruction TEXT NOT NULL,
  turns TEXT NOT NULL,
  reward REAL NOT NULL,
  info TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL
)`

// insertRecord is a plain INSERT: a duplicate id fails, it never replaces.
const insertRecord = `INSERT INTO episodes (episode, env, task, instruction, turns, reward, info, started, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// OpenRecorder opens (or creates) a recording file with the default
// options: failed writes are logged to os.Stderr.
func OpenRecorder(path string) (*Recorder, error) {
	return NewRecorder(path, RecorderOptions{})
}

// NewRecorder opens (or creates) a recording file and starts its writer.
func NewRecorder(path string, opt RecorderOptions) (*Recorder, error) {
	if opt.Log == nil {
		opt.Log = os.Stderr
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 512
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open record %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(recordSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open record %s: %w", path, err)
	}
	insert, err := db.Prepare(insertRecord)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open record %s: %w", path, err)
	}
	r := &Recorder{path: path, log: opt.Log, maxBatch: opt.MaxBatch, db: db, insert: insert,
		ch: make(chan pending, opt.MaxBatch), met: newRecordMetrics()}
	r.wg.Add(1)
	go r.loop()
	return r, nil
}

func newRecordMetrics() recordMetrics {
	return recordMetrics{
		episodes: prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_record_episodes_total",
			Help: "Finished episodes committed to the recording file."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_record_errors_total",
			Help: "Finished episodes the recording file failed to take (duplicate id, write or commit error)."}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "simgym_record_batch_size",
			Help:    "Episodes per recording transaction (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10)}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "simgym_record_commit_seconds",
			Help:    "Time to write and commit one recording transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14)}),
	}
}

// Collectors are the recorder's metrics, for a Prometheus registry.
func (r *Recorder) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.met.episodes, r.met.errors, r.met.batch, r.met.commit}
}

// Add records a finished episode and returns once it is committed to the
// file (or its write failed, which is logged and counted). It suits
// Manager.OnFinish, which the manager calls before a step's reply.
func (r *Recorder) Add(e *Episode) {
	_ = r.Write(recordOf(e, time.Now()))
}

// recordOf is what the recorder stores of a finished episode.
func recordOf(e *Episode, finished time.Time) Record {
	out := e.Outcome()
	rec := Record{Episode: e.ID, Env: e.EnvName, Task: e.TaskID(), Instruction: e.Instruction(), Turns: e.Turns(), Started: e.Start, Finished: finished}
	rec.Info = json.RawMessage("{}")
	if out != nil {
		rec.Reward = out.Reward
		switch {
		case out.Result != nil:
			rec.Info, _ = json.Marshal(out.Result.Info)
		case out.Score != nil:
			rec.Info, _ = json.Marshal(out.Score)
		}
	}
	return rec
}

// Write queues a record for the writer and waits until the transaction
// holding it has committed. A failed write is logged and counted, and
// returned: ErrDuplicateEpisode if the id is already in the file,
// ErrRecorderClosed after Close.
func (r *Recorder) Write(rec Record) error {
	p := pending{rec: rec, done: make(chan error, 1)}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		err := fmt.Errorf("record %s: episode %s: %w", r.path, rec.Episode, ErrRecorderClosed)
		r.failed(err)
		return err
	}
	r.ch <- p
	r.mu.RUnlock()
	return <-p.done
}

// loop is the writer: it commits what is queued, batch after batch,
// until the queue is closed and drained.
func (r *Recorder) loop() {
	defer r.wg.Done()
	batch := make([]pending, 0, r.maxBatch)
	for p := range r.ch {
		batch = append(batch[:0], p)
	fill:
		for len(batch) < r.maxBatch {
			select {
			case p, ok := <-r.ch:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		r.commit(batch)
	}
}

// commit writes a batch in one transaction and tells each waiter its
// outcome once the transaction has committed (or failed).
func (r *Recorder) commit(batch []pending) {
	t0 := time.Now()
	errs := make([]error, len(batch))
	err := r.writeBatch(batch, errs)
	r.met.commit.Observe(time.Since(t0).Seconds())
	r.met.batch.Observe(float64(len(batch)))
	for i, p := range batch {
		e := errs[i]
		if e == nil && err != nil {
			e = err
		}
		if e != nil {
			e = fmt.Errorf("record %s: episode %s: %w", r.path, p.rec.Episode, e)
			r.failed(e)
		} else {
			r.met.episodes.Inc()
		}
		p.done <- e
	}
}

// writeBatch inserts the batch in one transaction. A row's own failure
// (its id is taken) goes to errs[i] and leaves the others in the
// transaction; any other failure fails the whole batch and is returned.
func (r *Recorder) writeBatch(batch []pending, errs []error) error {
	ctx := context.Background()
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	stmt := tx.StmtContext(ctx, r.insert)
	for i, p := range batch {
		rec := p.rec
		turns, err := json.Marshal(rec.Turns)
		if err != nil {
			errs[i] = fmt.Errorf("turns: %w", err)
			continue
		}
		info := rec.Info
		if len(info) == 0 {
			info = json.RawMessage("{}")
		}
		_, err = stmt.ExecContext(ctx, rec.Episode, rec.Env, rec.Task, rec.Instruction, string(turns), rec.Reward, string(info),
			rec.Started.UTC().Format(time.RFC3339Nano), rec.Finished.UTC().Format(time.RFC3339Nano))
		var se *sqlite.Error
		switch {
		case err == nil:
		case errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			// A constraint failure undoes only its own statement.
			errs[i] = fmt.Errorf("%w: %w", ErrDuplicateEpisode, err)
		case errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT:
			errs[i] = err
		default:
			_ = tx.Rollback()
			return fmt.Errorf("insert: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// failed logs and counts a failed write and keeps the first for Close.
func (r *Recorder) failed(err error) {
	r.met.errors.Inc()
	fmt.Fprintf(r.log, "simgym: %v\n", err)
	r.errMu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.errMu.Unlock()
}

// Close commits what is queued and closes the file; it returns the first
// write error, if any. Writes after Close fail with ErrRecorderClosed.
func (r *Recorder) Close() error {
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		close(r.ch)
		r.mu.Unlock()
		r.wg.Wait()
		err := errors.Join(r.insert.Close(), r.db.Close())
		r.errMu.Lock()
		if err != nil && r.err == nil {
			r.err = fmt.Errorf("close record %s: %w", r.path, err)
		}
		r.errMu.Unlock()
	})
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

// ReadRecords reads every episode of a recording file, oldest first.
func ReadRecords(ctx context.Context, path string) ([]Record, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT episode, env, task, instruction, turns, reward, info, started, finished FROM episodes ORDER BY finished, episode`)
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", path, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var rec Record
		var turns, info, started, finished string
		if err := rows.Scan(&rec.Episode, &rec.Env, &rec.Task, &rec.Instruction, &turns, &rec.Reward, &info, &started, &finished); err != nil {
			return nil, fmt.Errorf("read record %s: %w", path, err)
		}
		if err := json.Unmarshal([]byte(turns), &rec.Turns); err != nil {
			return nil, fmt.Errorf("read record %s: episode %s: %w", path, rec.Episode, err)
		}
		rec.Info = json.RawMessage(info)
		rec.Started, _ = time.Parse(time.RFC3339Nano, started)
		rec.Finished, _ = time.Parse(time.RFC3339Nano, finished)
		out = append(out, rec)
	}
	return out, rows.Err()
}
