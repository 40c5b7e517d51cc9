package domains

import (
	"context"
	"database/sql"
	"sync"
)

// StmtCache keeps prepared statements of one database, so that a tool's
// SQL is parsed once per database rather than at every call. Episodes
// hold one for their database and pass it to Call through the context
// (WithStmtCache); Close it before closing the database.
//
// A database of an episode has one connection, which a transaction holds,
// so statements cannot be prepared while a tool runs: a statement first
// seen inside a call runs unprepared and is noted, and the next call
// prepares what was noted before it opens its transaction.
type StmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
}

// NewStmtCache makes an empty cache for db.
func NewStmtCache(db *sql.DB) *StmtCache {
	return &StmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// maxCachedStmts bounds a cache; past it, statements run unprepared.
const maxCachedStmts = 512

// stmt returns the prepared statement of query, or nil (noting the
// query for prepare) when it is not prepared yet.
func (c *StmtCache) stmt(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stmts[query]
	if st == nil && len(c.stmts)+len(c.wanted) < maxCachedStmts {
		c.wanted[query] = true
	}
	return st
}

// prepare prepares the noted queries; call it while no transaction holds
// the connection. A query that fails to prepare stays unprepared.
func (c *StmtCache) prepare(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.wanted {
		if st, err := c.db.PrepareContext(ctx, q); err == nil {
			c.stmts[q] = st
		}
		delete(c.wanted, q)
	}
}

// Close closes the cached statements.
func (c *StmtCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

type stmtCacheKey struct{}

// WithStmtCache returns a context under which Call on the cache's
// database uses its prepared statements.
func WithStmtCache(ctx context.Context, c *StmtCache) context.Context {
	return context.WithValue(ctx, stmtCacheKey{}, c)
}

// cachedTx runs a transaction's statements through a StmtCache.
type cachedTx struct {
	tx    *sql.Tx
	cache *StmtCache
}

func (c cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.cache.stmt(query); st != nil {
		return c.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return c.tx.ExecContext(ctx, query, args...)
}

func (c cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.cache.stmt(query); st != nil {
		return c.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return c.tx.QueryContext(ctx, query, args...)
}

func (c cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.cache.stmt(query); st != nil {
		return c.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return c.tx.QueryRowContext(ctx, query, args...)
}

// cachedDB runs statements outside a transaction through a StmtCache,
// preparing them at once (no transaction holds the connection).
type cachedDB struct {
	db    *sql.DB
	cache *StmtCache
}

func (c cachedDB) prepared(ctx context.Context, query string) *sql.Stmt {
	if st := c.cache.stmt(query); st != nil {
		return st
	}
	c.cache.prepare(ctx)
	return c.cache.stmt(query)
}

func (c cachedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, query, args...)
}

func (c cachedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

func (c cachedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, query, args...)
}
