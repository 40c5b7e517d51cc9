// Package schema infers a relational model for a domain of tools: the
// entities (tables) its tools read and write, their columns, keys and
// references, and how each tool maps onto them (read, create, update or
// delete, and which argument fills which column or filter).
//
// Inference is deterministic: the same tools give the same model, and the
// model renders to the same schema.sql byte for byte.
package schema

import (
	"fmt"
	"strings"

	"github.com/simgym/simgym/domains/value"
)

// Kind classifies what a tool does to its entity.
type Kind string

// The tool kinds.
const (
	// Get reads one row by its key.
	Get Kind = "get"
	// List reads rows matching filters.
	List Kind = "list"
	// Create inserts a row.
	Create Kind = "create"
	// Update changes a row found by its key.
	Update Kind = "update"
	// Delete removes a row found by its key.
	Delete Kind = "delete"
)

// IsWrite reports whether the kind changes state.
func (k Kind) IsWrite() bool { return k == Create || k == Update || k == Delete }

// SQL column types.
const (
	TypeText    = "TEXT"
	TypeInteger = "INTEGER"
	TypeReal    = "REAL"
)

// Model is a domain's relational schema and the mapping of its tools.
type Model struct {
	// Domain is the domain's name.
	Domain string `json:"domain"`
	// Tables, sorted by name.
	Tables []*Table `json:"tables"`
	// Ops, one per tool, sorted by tool name.
	Ops []*Op `json:"ops"`
}

// Table is one entity.
type Table struct {
	// Name is the SQL table name: the entity's singular snake_case noun.
	Name string `json:"name"`
	// Columns, the primary key "id" first, then sorted by name.
	Columns []*Column `json:"columns"`
	// Rows is how many rows seeding creates.
	Rows int `json:"rows"`
	// Lifecycle is the entity's state machine, when its tools move it
	// between states (confirm, cancel, refund, ...).
	Lifecycle *Lifecycle `json:"lifecycle,omitempty"`
	// Referrers are the references to this table from other tables'
	// columns, each with what deleting a referenced row does to the rows
	// that reference it. Sorted by table, then column.
	Referrers []*Reference `json:"referrers,omitempty"`
}

// Lifecycle is the state machine of an entity: the column holding its
// state, the states, and which tool moves it from which states to which.
type Lifecycle struct {
	// Column holds the state.
	Column string `json:"column"`
	// States are the column's values, in the order the spec lists them.
	States []string `json:"states"`
	// Initial is the state a new entity starts in.
	Initial string `json:"initial,omitempty"`
	// Terminal are the states no tool moves the entity out of.
	Terminal []string `json:"terminal,omitempty"`
	// Transitions, sorted by tool.
	Transitions []*Transition `json:"transitions"`
}

// Transition is what one tool does to an entity's state.
type Transition struct {
	// Tool is the tool's name.
	Tool string `json:"tool"`
	// From are the states the entity must be in for the tool to apply.
	From []string `json:"from"`
	// To is the state the tool leaves it in; empty for an update that
	// needs a state but changes none ("modify_pending_order_address").
	To string `json:"to"`
	// Done says what the tool does in an agent's words, as a past
	// participle: "approved", "checked in".
	Done string `json:"done"`
	// Evidence says where From came from: "errors" (its documented
	// failures name the states), "name" (the tool's name does:
	// "cancel_pending_order"), "description" (its description does) or
	// "verb" (what the verb means, over the states' order).
	Evidence string `json:"evidence"`
}

// Transition returns the transition of the given tool, or nil.
func (l *Lifecycle) Transition(tool string) *Transition {
	if l == nil {
		return nil
	}
	for _, t := range l.Transitions {
		if t.Tool == tool {
			return t
		}
	}
	return nil
}

// OnDelete is what deleting a referenced row does to the rows that
// reference it.
type OnDelete string

// The reference rules.
const (
	// Restrict refuses the delete while rows reference the row.
	Restrict OnDelete = "restrict"
	// Cascade deletes the referencing rows too.
	Cascade OnDelete = "cascade"
	// SetNull empties the referencing column.
	SetNull OnDelete = "set_null"
)

// Reference is one column of a table that references another table.
type Reference struct {
	// Table and Column are the referencing table and its column.
	Table  string `json:"table"`
	Column string `json:"column"`
	// OnDelete is the rule a delete of the referenced row follows.
	OnDelete OnDelete `json:"on_delete"`
	// Why says what chose the rule: "spec" (a delete tool says so),
	// "owned" (the referencing table nests under the referenced one in
	// the tools' paths), "required" (the tools always set the column)
	// or "optional".
	Why string `json:"why"`
}

// Column is one column of a table.
type Column struct {
	// Name is the SQL column name (snake_case identifier).
	Name string `json:"name"`
	// Key is the JSON key the column is shown under in results.
	Key string `json:"key"`
	// Type is the SQL type: TEXT, INTEGER or REAL.
	Type string `json:"type"`
	// JSONType is the JSON Schema type the column holds: string,
	// integer, number, boolean, object or array (the last two stored as
	// JSON text).
	JSONType string `json:"json_type"`
	// Format is the JSON Schema format (date, date-time, email, ...).
	Format string `json:"format,omitempty"`
	// Enum lists allowed values, when known.
	Enum []any `json:"enum,omitempty"`
	// Min and Max bound numbers, when known.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// MaxLength bounds strings, when known.
	MaxLength *int `json:"max_length,omitempty"`
	// Pattern is the regular expression strings match, when known.
	Pattern string `json:"pattern,omitempty"`
	// Example is a value the spec documents.
	Example any `json:"example,omitempty"`
	// Description is what the spec says the column holds.
	Description string `json:"description,omitempty"`
	// Semantic is what the column means (person_name, iban,
	// check-in date, ...), inferred from all of the above, the name and
	// the table; seeding draws values of this type.
	Semantic string `json:"semantic,omitempty"`
	// PK marks the primary key.
	PK bool `json:"pk,omitempty"`
	// Ref names the table this column references (a foreign key to its
	// id), when it does.
	Ref string `json:"ref,omitempty"`
}

// Op maps one tool onto the model.
type Op struct {
	// Tool is the tool's name.
	Tool string `json:"tool"`
	// Kind is what the tool does.
	Kind Kind `json:"kind"`
	// Table is the entity it acts on.
	Table string `json:"table"`
	// Args maps each argument to its role.
	Args []*Arg `json:"args"`
	// Sets are fixed column values a write applies, e.g. status =
	// "cancelled" for a cancel action.
	Sets []*Set `json:"sets,omitempty"`
}

// Role says how an argument is used.
type Role string

// Argument roles.
const (
	// RoleKey selects the row by primary key (get, update, delete, or
	// the new row's id on create).
	RoleKey Role = "key"
	// RoleColumn is a column value written by create/update.
	RoleColumn Role = "column"
	// RoleFilter narrows a list (or checks a parent on get/update).
	RoleFilter Role = "filter"
	// RoleSearch is free text matched against the table's text columns.
	RoleSearch Role = "search"
	// RoleLimit bounds how many rows a list returns.
	RoleLimit Role = "limit"
	// RoleOffset skips rows of a list.
	RoleOffset Role = "offset"
	// RoleIgnored is accepted and validated but does not touch state
	// (sorting hints, formats, flags the simulation has no use for).
	RoleIgnored Role = "ignored"
)

// Arg is one argument of a tool and its role.
type Arg struct {
	// Name is the argument's name as the tool's schema has it.
	Name string `json:"name"`
	// Role is how the argument is used.
	Role Role `json:"role"`
	// Column is the column it reads or writes, for key, column and
	// filter roles.
	Column string `json:"column,omitempty"`
}

// Set is a fixed value a write stores in a column.
type Set struct {
	Column string `json:"column"`
	Value  any    `json:"value"`
}

// Table returns the table of the given name, or nil.
func (m *Model) Table(name string) *Table {
	for _, t := range m.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Op returns the op of the given tool, or nil.
func (m *Model) Op(tool string) *Op {
	for _, o := range m.Ops {
		if o.Tool == tool {
			return o
		}
	}
	return nil
}

// Column returns the column of the given name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// PK returns the primary-key column.
func (t *Table) PK() *Column {
	for _, c := range t.Columns {
		if c.PK {
			return c
		}
	}
	return nil
}

// Quote quotes an SQL identifier.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// DDL renders the model as SQLite CREATE TABLE statements, the content of
// a domain's schema.sql.
func (m *Model) DDL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- Code generated by simgym. DO NOT EDIT.\n-- Schema of domain %s.\n", m.Domain)
	for _, t := range m.Tables {
		fmt.Fprintf(&b, "\nCREATE TABLE %s (\n", Quote(t.Name))
		for i, c := range t.Columns {
			fmt.Fprintf(&b, "  %s %s", Quote(c.Name), c.Type)
			if c.PK {
				b.WriteString(" PRIMARY KEY NOT NULL")
			}
			if c.Ref != "" {
				fmt.Fprintf(&b, " REFERENCES %s(%s)", Quote(c.Ref), Quote("id"))
			}
			if i < len(t.Columns)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(");\n")
		for _, c := range t.Columns {
			if c.Ref != "" {
				fmt.Fprintf(&b, "CREATE INDEX %s ON %s(%s);\n", Quote("idx_"+t.Name+"_"+c.Name), Quote(t.Name), Quote(c.Name))
			}
		}
	}
	return b.String()
}

// IDFor formats the n-th text id of a table: "patient_0007". Seeding and
// creates both use it, so ids look alike whoever made the row.
func IDFor(table string, n int64) string {
	return fmt.Sprintf("%s_%04d", table, n)
}

// Hints returns what the column's spec says, for inferring and drawing
// its values; table is the entity it belongs to.
func (c *Column) Hints(table string) value.Hints {
	return value.Hints{
		Name: c.Name, Table: table, JSONType: c.JSONType, Format: c.Format, Pattern: c.Pattern,
		Enum: c.Enum, Example: c.Example, Description: c.Description,
		Min: c.Min, Max: c.Max, MaxLength: c.MaxLength,
	}
}
