package domains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/simgym/simgym/domains/schema"
)

// StateRulesOf derives the state rules of a model's lifecycles, one per
// transition; generated code holds the same table as Go.
func StateRulesOf(m *schema.Model) map[string]*StateRule {
	out := map[string]*StateRule{}
	for _, t := range m.Tables {
		if t.Lifecycle == nil {
			continue
		}
		for _, tr := range t.Lifecycle.Transitions {
			out[tr.Tool] = &StateRule{Table: t.Name, Column: t.Lifecycle.Column, From: tr.From, To: tr.To, Done: tr.Done}
		}
	}
	return out
}

// Guard checks a lifecycle tool's precondition before it writes, in the
// same transaction: the row whose key is given must be in one of the
// states the tool's StateRule allows. A row in another state is a
// refused *ToolError naming the entity, its state and what the tool
// needs ("transfer transfer_0021 is cancelled; only pending transfers
// can be approved"). A tool without a rule, a missing key or a missing
// row pass: the write that follows reports those.
func (d *Domain) Guard(ctx context.Context, db DBTX, tool string, key any) error {
	r := d.StateRules[tool]
	if r == nil || key == nil {
		return nil
	}
	var state any
	err := db.QueryRowContext(ctx, `SELECT `+schema.Quote(r.Column)+` FROM `+schema.Quote(r.Table)+` WHERE "id" = ?`, key).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: read %s.%s: %w", tool, r.Table, r.Column, err)
	}
	if b, ok := state.([]byte); ok {
		state = string(b)
	}
	if s, ok := state.(string); ok && slices.Contains(r.From, s) {
		return nil
	}
	noun := spaced(r.Table)
	is := "has no " + spaced(r.Column)
	if state != nil {
		is = fmt.Sprintf("is %s", spaced(fmt.Sprint(state)))
	}
	from := make([]string, len(r.From))
	for i, f := range r.From {
		from[i] = spaced(f)
	}
	return &ToolError{Refused: true, Msg: fmt.Sprintf("%s %v %s; only %s %s can be %s",
		noun, key, is, orList(from), plural(noun), r.Done)}
}

func spaced(s string) string { return strings.ReplaceAll(s, "_", " ") }

// orList joins "a", "b" and "c" as "a, b or c".
func orList(ss []string) string {
	if len(ss) <= 1 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " or " + ss[len(ss)-1]
}

// plural makes an English noun phrase plural on its last word.
func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s") || strings.HasSuffix(s, "x") || strings.HasSuffix(s, "ch") || strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

// maxNamed bounds how many referencing rows a refused delete names.
const maxNamed = 3

// deleted applies the reference rules of table to rows just deleted
// (their ids): rows referencing them are refused (restrict), deleted in
// turn (cascade) or unlinked (set null). It runs in the delete's
// transaction, so a refusal undoes the delete.
func (d *Domain) deleted(ctx context.Context, db DBTX, table string, ids []any) error {
	t := d.Table(table)
	if t == nil || len(ids) == 0 {
		return nil
	}
	for _, r := range t.Referrers {
		child := schema.Quote(r.Table)
		col := schema.Quote(r.Column)
		for _, id := range ids {
			switch r.OnDelete {
			case schema.Restrict:
				refs, err := queryIDs(ctx, db, `SELECT "id" FROM `+child+` WHERE `+col+` = ? ORDER BY "id" LIMIT ?`, id, maxNamed+1)
				if err != nil {
					return fmt.Errorf("delete %s: check %s.%s: %w", table, r.Table, r.Column, err)
				}
				if len(refs) > 0 {
					return &ToolError{Refused: true, Msg: fmt.Sprintf("cannot delete %s %v: %s reference%s it; delete or change %s first",
						spaced(table), id, namedRows(spaced(r.Table), refs), map[bool]string{true: "s", false: ""}[len(refs) == 1], map[bool]string{true: "it", false: "them"}[len(refs) == 1])}
				}
			case schema.Cascade:
				gone, err := queryIDs(ctx, db, `DELETE FROM `+child+` WHERE `+col+` = ? RETURNING "id"`, id)
				if err != nil {
					return fmt.Errorf("delete %s: cascade to %s: %w", table, r.Table, err)
				}
				if err := d.deleted(ctx, db, r.Table, gone); err != nil {
					return err
				}
			case schema.SetNull:
				if _, err := db.ExecContext(ctx, `UPDATE `+child+` SET `+col+` = NULL WHERE `+col+` = ?`, id); err != nil {
					return fmt.Errorf("delete %s: unlink %s.%s: %w", table, r.Table, r.Column, err)
				}
			}
		}
	}
	return nil
}

// namedRows names up to maxNamed rows: "order order_0002, order_0011
// and more".
func namedRows(noun string, ids []any) string {
	parts := make([]string, 0, maxNamed)
	for i, id := range ids {
		if i == maxNamed {
			break
		}
		parts = append(parts, fmt.Sprint(id))
	}
	s := noun + " " + strings.Join(parts, ", ")
	if len(ids) > maxNamed {
		s += " and more"
	}
	return s
}

func queryIDs(ctx context.Context, db DBTX, q string, args ...any) ([]any, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id any
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if b, ok := id.([]byte); ok {
			id = string(b)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
