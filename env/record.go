package env

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
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

// Recorder writes finished episodes to a SQLite file in WAL mode: each
// episode is committed on its own, so what was recorded survives a crash
// of the server.
type Recorder struct {
	db   *sql.DB
	ch   chan Record
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
	once sync.Once
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

// OpenRecorder opens (or creates) a recording file.
func OpenRecorder(path string) (*Recorder, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open record %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(recordSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open record %s: %w", path, err)
	}
	r := &Recorder{db: db, ch: make(chan Record, 1024)}
	r.wg.Add(1)
	go r.loop()
	return r, nil
}

func (r *Recorder) loop() {
	defer r.wg.Done()
	for rec := range r.ch {
		turns, _ := json.Marshal(rec.Turns)
		_, err := r.db.Exec(`INSERT OR REPLACE INTO episodes (episode, env, task, instruction, turns, reward, info, started, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rec.Episode, rec.Env, rec.Task, rec.Instruction, string(turns), rec.Reward, string(rec.Info),
			rec.Started.UTC().Format(time.RFC3339Nano), rec.Finished.UTC().Format(time.RFC3339Nano))
		if err != nil {
			r.mu.Lock()
			if r.err == nil {
				r.err = fmt.Errorf("record episode %s: %w", rec.Episode, err)
			}
			r.mu.Unlock()
		}
	}
}

// Add queues a finished episode for writing.
func (r *Recorder) Add(e *Episode) {
	out := e.Outcome()
	rec := Record{Episode: e.ID, Env: e.EnvName, Task: e.TaskID(), Instruction: e.Instruction(), Turns: e.Turns(), Started: e.Start, Finished: time.Now()}
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
	r.ch <- rec
}

// Close writes what is queued and closes the file; it returns the first
// write error, if any.
func (r *Recorder) Close() error {
	r.once.Do(func() {
		close(r.ch)
		r.wg.Wait()
		if err := r.db.Close(); err != nil && r.err == nil {
			r.err = err
		}
	})
	r.mu.Lock()
	defer r.mu.Unlock()
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
