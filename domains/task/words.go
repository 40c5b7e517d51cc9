package task

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/simgym/simgym/domains/schema"
)

// mark brackets a stated value while an instruction is rendered, so the
// skeleton and the facts can be read off the text afterwards.
const mark = "\x1f"

// val marks a stated value.
func val(s string) string { return mark + s + mark }

// unmark returns the instruction, its skeleton and the values it states.
func unmark(s string) (text, skeleton string, facts []string) {
	parts := strings.Split(s, mark)
	var t, k strings.Builder
	for i, p := range parts {
		t.WriteString(p)
		if i%2 == 1 {
			k.WriteString("{}")
			facts = append(facts, p)
		} else {
			k.WriteString(p)
		}
	}
	return t.String(), k.String(), facts
}

// human turns an identifier (snake_case, camelCase, kebab-case) into
// lower-case words: "createdAt" and "created_at" both read "created at".
func human(s string) string {
	var b strings.Builder
	prev := rune(0)
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == '.':
			b.WriteByte(' ')
		case unicode.IsUpper(r):
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if i > 0 && prev != '_' && prev != '-' && (unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower)) {
				b.WriteByte(' ')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// fieldWords are how a person names some common fields.
var fieldWords = map[string]string{
	"iban": "IBAN", "beneficiary_iban": "beneficiary IBAN", "created_at": "creation time", "updated_at": "last update time",
	"dob": "date of birth", "isbn": "ISBN", "last_four": "last four digits", "opened_on": "opening date",
	"email": "email address", "phone": "phone number", "url": "web address", "sku": "SKU", "vin": "VIN",
}

// fieldPhrase names a field (a column's JSON key) as a person would.
func fieldPhrase(key string) string {
	if w, ok := fieldWords[key]; ok {
		return w
	}
	h := human(key)
	if w, ok := fieldWords[strings.ReplaceAll(h, " ", "_")]; ok {
		return w
	}
	h = strings.TrimPrefix(h, "is ")
	h = strings.TrimPrefix(h, "has ")
	if strings.HasSuffix(h, " id") {
		h = strings.TrimSuffix(h, " id")
	}
	ws := strings.Fields(h)
	if len(ws) > 1 {
		switch last := ws[len(ws)-1]; last {
		case "at":
			return strings.Join(ws[:len(ws)-1], " ") + " time"
		case "on":
			return strings.Join(ws[:len(ws)-1], " ") + " date"
		case "km", "kg", "cm", "mm", "mb", "gb", "kb", "usd", "eur", "pct", "percent", "minutes", "min", "hours", "days", "seconds", "ms", "m", "g":
			return strings.Join(ws[:len(ws)-1], " ") + " in " + last
		}
	}
	return h
}

// noun names an entity (a table).
func noun(table string) string { return human(table) }

// plural is a noun's plural.
func plural(n string) string {
	switch {
	case strings.HasSuffix(n, "s") || strings.HasSuffix(n, "x") || strings.HasSuffix(n, "ch") || strings.HasSuffix(n, "sh"):
		return n + "es"
	case strings.HasSuffix(n, "y") && len(n) > 1 && !strings.ContainsRune("aeiou", rune(n[len(n)-2])):
		return n[:len(n)-1] + "ies"
	}
	return n + "s"
}

// valueText renders a value as a person would say it: enum codes and
// camelCase humanised, booleans yes/no, numbers without exponents.
func valueText(v any, c *schema.Column) string {
	switch x := v.(type) {
	case string:
		if c != nil && len(c.Enum) > 0 && strings.ToUpper(x) != x {
			return human(x)
		}
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		return scalarText(x)
	case int, int64:
		return fmt.Sprint(x)
	}
	return scalarText(v)
}

// sentence capitalises s and ends it with stop unless it ends already.
func sentence(s, stop string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if strings.HasPrefix(s, mark) {
		// A value opens the sentence: leave it as stated.
	} else {
		r := []rune(s)
		r[0] = unicode.ToUpper(r[0])
		s = string(r)
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += stop
	}
	return s
}

// joinList joins phrases as "a, b and c".
func joinList(ps []string) string {
	switch len(ps) {
	case 0:
		return ""
	case 1:
		return ps[0]
	}
	return strings.Join(ps[:len(ps)-1], ", ") + " and " + ps[len(ps)-1]
}

// syntheticID matches ids the seed generates (schema.IDFor): a table name
// and a zero-padded number. Ids of real data (record locators, user
// names) are things a user knows and may say; these are not.
var syntheticID = regexp.MustCompile(`\b([a-z][a-z0-9_]*?)_(\d{4,})\b`)

// isSyntheticID reports whether s is an id the seed generated for one of
// the tables.
func isSyntheticID(s string, tables map[string]bool) bool {
	m := syntheticID.FindStringSubmatch(s)
	return m != nil && m[0] == s && tables[m[1]]
}

// idsIn returns the generated ids s mentions.
func idsIn(s string, tables map[string]bool) []string {
	var out []string
	for _, m := range syntheticID.FindAllStringSubmatch(s, -1) {
		if tables[m[1]] {
			out = append(out, m[0])
		}
	}
	return out
}

// norm lower-cases text and folds separators, for comparing stated
// values with arguments and outputs.
func norm(s string) string {
	s = strings.ToLower(s)
	s = strings.NewReplacer("_", " ", ",", "", "\u00a0", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// mentions reports whether text (normalised) states v: as a whole word
// for short or numeric values, as a substring otherwise.
func mentions(text, v string) bool {
	v = norm(v)
	if v == "" {
		return false
	}
	t := norm(text)
	idx := 0
	for {
		i := strings.Index(t[idx:], v)
		if i < 0 {
			return false
		}
		i += idx
		before := i == 0 || !isWordRune(rune(t[i-1]))
		end := i + len(v)
		after := end == len(t) || !isWordRune(rune(t[end])) || (t[end] == '.' && (end+1 == len(t) || t[end+1] == ' '))
		if before && after {
			return true
		}
		idx = i + 1
	}
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '@'
}
