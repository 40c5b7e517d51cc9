package gateway

import (
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// openDB opens a SQLite file (":memory:" for one in memory) in WAL mode
// over one connection, with schema applied.
func openDB(path, schema string) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)"
	if path == ":memory:" {
		dsn = ":memory:"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

const cacheSchema = `CREATE TABLE IF NOT EXISTS answers (
	key      TEXT PRIMARY KEY,
	answer   BLOB NOT NULL,
	stored   INTEGER NOT NULL, -- Unix nanoseconds
	fallback INTEGER NOT NULL  -- 1: the offline answer of a failed call
)`

// cache holds the answers of the providers, keyed by normalised
// request, in a SQLite file shared by every episode (and by later runs
// reusing the file). Offline answers of failed calls are kept for
// negTTL only, so a query that failed is not asked again and again
// within a GRPO group but is asked again later.
type cache struct {
	path        string
	db          *sql.DB
	get, put    *sql.Stmt
	ttl, negTTL time.Duration
	now         func() time.Time
}

func openCache(path string, ttl, negTTL time.Duration, now func() time.Time) (*cache, error) {
	db, err := openDB(path, cacheSchema)
	if err != nil {
		return nil, fmt.Errorf("open web cache %s: %w", path, err)
	}
	c := &cache{path: path, db: db, ttl: ttl, negTTL: negTTL, now: now}
	if c.get, err = db.Prepare(`SELECT answer, stored, fallback FROM answers WHERE key = ?`); err == nil {
		c.put, err = db.Prepare(`INSERT OR REPLACE INTO answers (key, answer, stored, fallback) VALUES (?, ?, ?, ?)`)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open web cache %s: %w", path, err)
	}
	return c, nil
}

// lookup returns the fresh answer under key: a provider's within ttl
// (0: for ever), a fallback's within negTTL.
func (c *cache) lookup(key string) ([]byte, bool, error) {
	var answer []byte
	var stored int64
	var fallback bool
	err := c.get.QueryRow(key).Scan(&answer, &stored, &fallback)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("web cache %s: read %s: %w", c.path, key, err)
	}
	age := c.now().Sub(time.Unix(0, stored))
	ttl := c.ttl
	if fallback {
		ttl = c.negTTL
	}
	if ttl > 0 && age >= ttl {
		return nil, false, nil
	}
	return answer, true, nil
}

func (c *cache) store(key string, answer []byte, fallback bool) error {
	if fallback && c.negTTL <= 0 {
		return nil
	}
	if _, err := c.put.Exec(key, answer, c.now().UnixNano(), fallback); err != nil {
		return fmt.Errorf("web cache %s: write %s: %w", c.path, key, err)
	}
	return nil
}

func (c *cache) close() error { return c.db.Close() }

const recordSchema = `CREATE TABLE IF NOT EXISTS exchanges (
	seq      INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL, -- Unix nanoseconds
	provider TEXT NOT NULL,
	method   TEXT NOT NULL,
	url      TEXT NOT NULL,
	key      TEXT NOT NULL,
	attempt  INTEGER NOT NULL,
	status   INTEGER NOT NULL,  -- 0: no reply
	kind     TEXT NOT NULL,     -- "" on success, else the failure kind
	seconds  REAL NOT NULL,
	request  BLOB,
	response BLOB
);
CREATE TABLE IF NOT EXISTS answers (
	seq    INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	key    TEXT NOT NULL,
	source TEXT NOT NULL, -- provider, cache, fallback or replay
	answer BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_key ON answers (key, seq)`

// exchange is one attempt sent to a provider, as the record file keeps it.
type exchange struct {
	at                time.Time
	provider, method  string
	url, key          string
	attempt, status   int
	kind              string
	seconds           float64
	request, response []byte
}

// answerRow is one answer the gateway gave.
type answerRow struct {
	at          time.Time
	key, source string
	answer      []byte
}

// recorder writes every exchange and answer to a SQLite file from one
// goroutine, many rows to a transaction; close writes what is queued.
type recorder struct {
	path string
	db   *sql.DB
	ch   chan any
	wg   sync.WaitGroup
	mu   sync.RWMutex // guards closed against sends on ch
	done bool

	errMu sync.Mutex
	err   error
}

func openRecorder(path string) (*recorder, error) {
	db, err := openDB(path, recordSchema)
	if err != nil {
		return nil, fmt.Errorf("open web record %s: %w", path, err)
	}
	r := &recorder{path: path, db: db, ch: make(chan any, 1024)}
	r.wg.Add(1)
	go r.loop()
	return r, nil
}

func (r *recorder) add(row any) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.done {
		r.ch <- row
	}
}

func (r *recorder) loop() {
	defer r.wg.Done()
	for row := range r.ch {
		rows := []any{row}
	more:
		for len(rows) < 512 {
			select {
			case row, ok := <-r.ch:
				if !ok {
					break more
				}
				rows = append(rows, row)
			default:
				break more
			}
		}
		if err := r.write(rows); err != nil {
			r.errMu.Lock()
			if r.err == nil {
				r.err = err
			}
			r.errMu.Unlock()
		}
	}
}

func (r *recorder) write(rows []any) error {
	tx, err := r.db.Begin()
	if err != nil {
		return fmt.Errorf("web record %s: %w", r.path, err)
	}
	defer tx.Rollback()
	for _, row := range rows {
		switch x := row.(type) {
		case exchange:
			_, err = tx.Exec(`INSERT INTO exchanges (at, provider, method, url, key, attempt, status, kind, seconds, request, response) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
				x.at.UnixNano(), x.provider, x.method, x.url, x.key, x.attempt, x.status, x.kind, x.seconds, x.request, x.response)
		case answerRow:
			_, err = tx.Exec(`INSERT INTO answers (at, key, source, answer) VALUES (?,?,?,?)`, x.at.UnixNano(), x.key, x.source, x.answer)
		}
		if err != nil {
			return fmt.Errorf("web record %s: write: %w", r.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("web record %s: commit: %w", r.path, err)
	}
	return nil
}

// close writes the queued rows and closes the file, returning the first
// write error.
func (r *recorder) close() error {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return nil
	}
	r.done = true
	close(r.ch)
	r.mu.Unlock()
	r.wg.Wait()
	cerr := r.db.Close()
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return errors.Join(r.err, cerr)
}

// replay serves the answers of a record file: the n-th call under a key
// gets the n-th answer recorded under it (the last one once they run
// out), byte for byte.
type replay struct {
	path string
	db   *sql.DB
	get  *sql.Stmt

	mu   sync.Mutex
	seqs map[string][]int64
	next map[string]int
}

func openReplay(path string) (*replay, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open web replay %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	rp := &replay{path: path, db: db, seqs: map[string][]int64{}, next: map[string]int{}}
	if err := rp.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open web replay %s: %w", path, err)
	}
	if rp.get, err = db.Prepare(`SELECT answer FROM answers WHERE seq = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open web replay %s: %w", path, err)
	}
	return rp, nil
}

func (rp *replay) load() error {
	rows, err := rp.db.Query(`SELECT seq, key FROM answers ORDER BY seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var key string
		if err := rows.Scan(&seq, &key); err != nil {
			return err
		}
		rp.seqs[key] = append(rp.seqs[key], seq)
	}
	return rows.Err()
}

// answer returns the next recorded answer under key, if any.
func (rp *replay) answer(key string) ([]byte, bool, error) {
	rp.mu.Lock()
	seqs := rp.seqs[key]
	if len(seqs) == 0 {
		rp.mu.Unlock()
		return nil, false, nil
	}
	i := min(rp.next[key], len(seqs)-1)
	rp.next[key]++
	rp.mu.Unlock()
	var b []byte
	if err := rp.get.QueryRow(seqs[i]).Scan(&b); err != nil {
		return nil, false, fmt.Errorf("web replay %s: answer %d of %s: %w", rp.path, seqs[i], key, err)
	}
	return b, true, nil
}

func (rp *replay) close() error { return rp.db.Close() }
