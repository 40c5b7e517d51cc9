// Package domains is the runtime of simgym's simulated worlds: the
// registry that generated domain packages add themselves to, the Domain
// and Tool types the gym calls, argument validation, the SQL helpers that
// generated tool functions use, seeded snapshots, and the errors an agent
// reads.
//
// Sub-packages build worlds: domains/schema infers relational models from
// tools, domains/seed fills them with data, and domains/codegen writes the
// Go packages.
package domains

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/simgym/simgym/domains/schema"
)

// DBTX is what tool functions need of a database: a *sql.DB, *sql.Conn
// or *sql.Tx.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Handler runs one tool on decoded-and-validated arguments.
type Handler func(ctx context.Context, db DBTX, args json.RawMessage) (any, error)

// Rule is a hand-written business rule that runs before a tool, in the
// same transaction, after its arguments are validated. A non-nil error
// stops the call; return a *ToolError for a message the agent reads.
type Rule func(ctx context.Context, db DBTX, args map[string]any) error

// Tool is one callable tool of a domain.
type Tool struct {
	// Name is unique within the domain.
	Name string
	// Description is shown to agents.
	Description string
	// Parameters is the JSON Schema of the arguments (an object schema
	// that allows no other properties).
	Parameters json.RawMessage
	// Handler runs the tool.
	Handler Handler

	validator validator
	// overridden marks a hand-written handler, which may do anything.
	overridden bool
	// read marks a tool whose inferred kind only reads (set by Register).
	read bool
}

// Domain is one simulated world: its schema, tools and seed.
type Domain struct {
	// Name is unique among registered domains.
	Name string
	// Description says what the domain is about.
	Description string
	// Model is the relational model behind the tools.
	Model *schema.Model
	// SchemaSQL creates the tables (schema.sql).
	SchemaSQL string
	// Tools, sorted by name.
	Tools []*Tool

	mu        sync.Mutex
	rules     map[string][]Rule
	overrides map[string]Handler
	byName    map[string]*Tool
	snapshots map[snapshotKey][]byte
	pristines map[int64]*sql.DB
	// Loader, when set, fills a fresh database instead of the generated
	// seed (e.g. real data such as tau-bench's airline JSON).
	Loader func(ctx context.Context, db DBTX, seed int64) error
	// StateRules are the lifecycle preconditions of generated tools, by
	// tool name: the states a tool's entity must be in. Generated code
	// fills them from the inferred lifecycles (model.json has the
	// evidence); a hand-written file may refine them in its init, and an
	// Override replaces the generated handler that checks them.
	StateRules map[string]*StateRule
}

// StateRule is the precondition of one lifecycle tool: the row it acts
// on must be in one of From; the tool then leaves it in To.
type StateRule struct {
	// Table and Column hold the entity's state.
	Table, Column string
	// From are the states the tool applies to.
	From []string
	// To is the state it leaves.
	To string
	// Done says what the tool does, as a past participle ("approved").
	Done string
}

// AddRule attaches a business rule to a tool. A rule for a tool the
// domain does not have panics, at Register or at once if the domain is
// registered already, so a rule written against a renamed tool fails at
// start-up.
func (d *Domain) AddRule(tool string, r Rule) {
	if len(d.Tools) > 0 && d.Tool(tool) == nil {
		panic(fmt.Sprintf("domains: rule for unknown tool %s.%s", d.Name, tool))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rules == nil {
		d.rules = map[string][]Rule{}
	}
	d.rules[tool] = append(d.rules[tool], r)
}

// Override replaces a tool's generated handler with a hand-written one,
// for semantics the generator cannot express (a fare computed from
// several tables, a nested record updated in place). Validation of the
// arguments against the tool's schema, rules and the transaction stay.
// Call it from init in a hand-written file beside the generated ones; it
// panics for an unknown tool.
func (d *Domain) Override(tool string, h Handler) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.overrides == nil {
		d.overrides = map[string]Handler{}
	}
	d.overrides[tool] = h
	if len(d.Tools) > 0 {
		d.applyOverrides()
	}
}

// applyOverrides installs hand-written handlers; d.mu is held.
func (d *Domain) applyOverrides() {
	for name, h := range d.overrides {
		found := false
		for _, t := range d.Tools {
			if t.Name == name {
				t.Handler, t.overridden, found = h, true, true
			}
		}
		if !found {
			panic(fmt.Sprintf("domains: override for unknown tool %s.%s", d.Name, name))
		}
	}
}

// Tool returns the named tool, or nil.
func (d *Domain) Tool(name string) *Tool {
	d.mu.Lock()
	if d.byName == nil {
		d.byName = make(map[string]*Tool, len(d.Tools))
		for _, t := range d.Tools {
			d.byName[t.Name] = t
		}
	}
	t := d.byName[name]
	d.mu.Unlock()
	return t
}

// Table returns the named table of the model.
func (d *Domain) Table(name string) *schema.Table {
	return d.Model.Table(name)
}

// ToolError is a failure the agent can read and act on: bad arguments, a
// missing record, a broken business rule. Anything else a tool returns is
// an internal error.
type ToolError struct {
	Msg string
	// Refused marks a call a lifecycle or reference rule refused (the
	// entity is in the wrong state, other rows still reference it).
	Refused bool
}

func (e *ToolError) Error() string { return e.Msg }

// Errorf makes a *ToolError.
func Errorf(format string, args ...any) *ToolError {
	return &ToolError{Msg: fmt.Sprintf(format, args...)}
}

// IsRefused reports whether err is (or wraps) a *ToolError a lifecycle
// or reference rule raised.
func IsRefused(err error) bool {
	var te *ToolError
	return errors.As(err, &te) && te.Refused
}

// IsToolError reports whether err is (or wraps) a *ToolError.
func IsToolError(err error) bool {
	var te *ToolError
	return errors.As(err, &te)
}

// callRead runs a generated read tool outside a transaction.
func (d *Domain) callRead(ctx context.Context, t *Tool, db DBTX, args json.RawMessage) (result json.RawMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Tool: t.Name, Value: r}
			result = nil
		}
	}()
	out, err := t.Handler(ctx, db, args)
	if err != nil {
		return nil, err
	}
	data, ok := out.(json.RawMessage)
	if !ok {
		if data, err = json.Marshal(out); err != nil {
			return nil, fmt.Errorf("%s: encode result: %w", t.Name, err)
		}
	}
	return data, nil
}

// PanicError reports a tool that panicked; Call recovers it so the
// server goes on.
type PanicError struct {
	Tool  string
	Value any
}

func (e *PanicError) Error() string { return fmt.Sprintf("%s: panic: %v", e.Tool, e.Value) }

// Call runs a tool: validates the arguments against its schema, runs its
// rules and the tool in one transaction on db, and returns the JSON
// result. Bad arguments, missing records and broken rules come back as a
// *ToolError with the database unchanged; any other error is internal.
// A panic inside a tool becomes an internal error, never a crash.
//
// A call whose context is already done is refused; once started, a call
// runs to its end (calls on episode databases take microseconds to a few
// milliseconds). Watching the context would cost two goroutines a query,
// one in database/sql and one in the SQLite driver, more than most
// queries themselves.
func (d *Domain) Call(ctx context.Context, db *sql.DB, name string, args json.RawMessage) (result json.RawMessage, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	t := d.Tool(name)
	if t == nil {
		return nil, &ToolError{Msg: fmt.Sprintf("unknown tool %q in domain %s", name, d.Name)}
	}
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	decoded, err := t.validator.validate(t, args)
	if err != nil {
		return nil, err
	}
	cache, _ := ctx.Value(stmtCacheKey{}).(*StmtCache)
	if cache != nil && cache.db != db {
		cache = nil
	}
	if cache != nil {
		cache.prepare(ctx)
	}
	d.mu.Lock()
	rules := d.rules[name]
	d.mu.Unlock()
	if cache != nil && len(rules) == 0 && !t.overridden && t.read {
		// A generated read runs one SELECT: no transaction is needed.
		return d.callRead(ctx, t, cachedDB{db: db, cache: cache}, args)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: begin: %w", name, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Tool: name, Value: r}
			result = nil
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var run DBTX = tx
	if cache != nil {
		run = cachedTx{tx: tx, cache: cache}
	}
	for _, r := range rules {
		if err := r(ctx, run, decoded); err != nil {
			return nil, err
		}
	}
	out, err := t.Handler(ctx, run, args)
	if err != nil {
		return nil, err
	}
	data, ok := out.(json.RawMessage)
	if !ok {
		if data, err = json.Marshal(out); err != nil {
			return nil, fmt.Errorf("%s: encode result: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("%s: commit: %w", name, err)
	}
	return data, nil
}

var (
	registryMu sync.RWMutex
	registry   = map[string]*Domain{}
)

// Register adds a domain to the registry; generated packages call it from
// init. It panics on a duplicate name.
func Register(d *Domain) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[d.Name]; dup {
		panic("domains: duplicate domain " + d.Name)
	}
	sort.Slice(d.Tools, func(i, j int) bool { return d.Tools[i].Name < d.Tools[j].Name })
	d.mu.Lock()
	d.byName = nil
	d.applyOverrides()
	d.mu.Unlock()
	for _, t := range d.Tools {
		if d.Model != nil {
			op := d.Model.Op(t.Name)
			t.read = op != nil && !op.Kind.IsWrite()
		}
	}
	for tool := range d.rules {
		if d.Tool(tool) == nil {
			panic(fmt.Sprintf("domains: rule for unknown tool %s.%s", d.Name, tool))
		}
	}
	registry[d.Name] = d
}

// Lookup returns the registered domain of that name, or nil.
func Lookup(name string) *Domain {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return registry[name]
}

// All returns the registered domains, sorted by name.
func All() []*Domain {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]*Domain, 0, len(registry))
	for _, d := range registry {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// MustModel decodes a generated domain's model.json; generated code calls
// it at init, so a corrupt model stops the program at once.
func MustModel(data []byte) *schema.Model {
	var m schema.Model
	if err := json.Unmarshal(data, &m); err != nil {
		panic(fmt.Sprintf("domains: model: %v", err))
	}
	return &m
}
