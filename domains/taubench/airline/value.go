package airline

// Values as tau-bench's Python tools hold them. tau-bench keeps its
// database as Python dicts and lists loaded from JSON, and its tools
// return json.dumps of them, so two Python behaviours show in what an
// agent reads and in the database hash: dicts keep their keys in
// insertion order, and numbers are ints or floats (2 and 2.0 print
// differently). The types here keep both, so records round-trip byte for
// byte and arithmetic on amounts follows Python's int/float rules.
//
// A value is one of: *object (a dict), []any (a list), string, num, bool
// or nil.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// object is a JSON object that keeps its keys in insertion order, as a
// Python dict does: setting an existing key keeps its place, a new key
// goes last.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

// set sets key k to v.
func (o *object) set(k string, v any) *object {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

// get returns the value of k, or nil.
func (o *object) get(k string) any { return o.vals[k] }

// has reports whether k is set.
func (o *object) has(k string) bool {
	_, ok := o.vals[k]
	return ok
}

// del removes k.
func (o *object) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, x := range o.keys {
		if x == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// str returns the string value of k, or "".
func (o *object) str(k string) string {
	s, _ := o.vals[k].(string)
	return s
}

// obj returns the object value of k, or nil.
func (o *object) obj(k string) *object {
	x, _ := o.vals[k].(*object)
	return x
}

// list returns the list value of k, or nil.
func (o *object) list(k string) []any {
	x, _ := o.vals[k].([]any)
	return x
}

// number returns the number value of k, and whether it is one.
func (o *object) number(k string) (num, bool) {
	x, ok := o.vals[k].(num)
	return x, ok
}

// num is a Python number: an int or a float.
type num struct {
	i     int64
	f     float64
	float bool
}

func intNum(i int64) num { return num{i: i} }

// parseNum reads a JSON number literal the way Python's json module
// does: a fraction or exponent makes a float, anything else an int.
func parseNum(s string) (num, error) {
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return num{}, fmt.Errorf("number %s: %w", s, err)
		}
		return num{f: f, float: true}, nil
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return num{}, fmt.Errorf("number %s: %w", s, err)
	}
	return num{i: i}, nil
}

func (n num) toFloat() float64 {
	if n.float {
		return n.f
	}
	return float64(n.i)
}

// arith applies an operator with Python's rule: int op int is an int,
// anything with a float is a float.
func (n num) arith(m num, fi func(a, b int64) int64, ff func(a, b float64) float64) num {
	if !n.float && !m.float {
		return num{i: fi(n.i, m.i)}
	}
	return num{f: ff(n.toFloat(), m.toFloat()), float: true}
}

func (n num) add(m num) num {
	return n.arith(m, func(a, b int64) int64 { return a + b }, func(a, b float64) float64 { return a + b })
}

func (n num) sub(m num) num {
	return n.arith(m, func(a, b int64) int64 { return a - b }, func(a, b float64) float64 { return a - b })
}

func (n num) mul(m num) num {
	return n.arith(m, func(a, b int64) int64 { return a * b }, func(a, b float64) float64 { return a * b })
}

func (n num) neg() num {
	if n.float {
		return num{f: -n.f, float: true}
	}
	return num{i: -n.i}
}

// cmp compares numerically: -1, 0 or +1.
func (n num) cmp(m num) int {
	if !n.float && !m.float {
		switch {
		case n.i < m.i:
			return -1
		case n.i > m.i:
			return 1
		}
		return 0
	}
	a, b := n.toFloat(), m.toFloat()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (n num) isZero() bool { return n.cmp(intNum(0)) == 0 }

// String is Python's str of the number: "150", "150.0", "1e+16".
func (n num) String() string {
	if n.float {
		return pyFloat(n.f)
	}
	return strconv.FormatInt(n.i, 10)
}

// pyFloat formats a float as Python's repr does: the shortest digits
// that round-trip, in fixed notation for exponents from -4 to 15 and
// with ".0" on whole numbers, else in scientific notation.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	sign := ""
	if math.Signbit(f) {
		sign = "-"
		f = -f
	}
	if f == 0 {
		return sign + "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	if exp >= -4 && exp < 16 {
		if exp < 0 {
			return sign + "0." + strings.Repeat("0", -exp-1) + digits
		}
		if len(digits) <= exp+1 {
			return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		}
		return sign + digits[:exp+1] + "." + digits[exp+1:]
	}
	m := digits[:1]
	if len(digits) > 1 {
		m += "." + digits[1:]
	}
	es := "+"
	if exp < 0 {
		es, exp = "-", -exp
	}
	return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
}

// decodeValue reads one JSON document into a value, keeping key order
// and Python's int/float distinction.
func decodeValue(data []byte) (any, error) {
	d := &jsonReader{data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, fmt.Errorf("decode JSON: data after the value at offset %d", d.pos)
	}
	return v, nil
}

// decodeObject reads a JSON object.
func decodeObject(data []byte) (*object, error) {
	v, err := decodeValue(data)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*object)
	if !ok {
		return nil, errors.New("decode JSON: not an object")
	}
	return o, nil
}

// maxDepth bounds nesting, so hostile arguments cannot exhaust the stack.
const maxDepth = 200

// jsonReader is a small JSON parser for values (encoding/json's token
// reader is many times slower, and records are read on every call).
type jsonReader struct {
	data []byte
	pos  int
}

func (d *jsonReader) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *jsonReader) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.errorf("nested too deeply")
	}
	d.space()
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		d.pos++
		o := newObject()
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			d.pos++
			return o, nil
		}
		for {
			d.space()
			if d.pos >= len(d.data) || d.data[d.pos] != '"' {
				return nil, d.errorf("want a key")
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.space()
			if d.pos >= len(d.data) || d.data[d.pos] != ':' {
				return nil, d.errorf("want ':'")
			}
			d.pos++
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			o.set(k, v)
			d.space()
			if d.pos < len(d.data) && d.data[d.pos] == ',' {
				d.pos++
				continue
			}
			if d.pos < len(d.data) && d.data[d.pos] == '}' {
				d.pos++
				return o, nil
			}
			return nil, d.errorf("want ',' or '}'")
		}
	case c == '[':
		d.pos++
		list := []any{}
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			return list, nil
		}
		for {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			d.space()
			if d.pos < len(d.data) && d.data[d.pos] == ',' {
				d.pos++
				continue
			}
			if d.pos < len(d.data) && d.data[d.pos] == ']' {
				d.pos++
				return list, nil
			}
			return nil, d.errorf("want ',' or ']'")
		}
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		start := d.pos
		for d.pos < len(d.data) && strings.IndexByte("+-0123456789.eE", d.data[d.pos]) >= 0 {
			d.pos++
		}
		text := string(d.data[start:d.pos])
		if !json.Valid(d.data[start:d.pos]) {
			return nil, d.errorf("invalid number %q", text)
		}
		return parseNum(text)
	}
	for _, lit := range []struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if bytes.HasPrefix(d.data[d.pos:], []byte(lit.text)) {
			d.pos += len(lit.text)
			return lit.v, nil
		}
	}
	return nil, d.errorf("unexpected %q", d.data[d.pos])
}

// str reads a string; d.pos is at its opening quote.
func (d *jsonReader) str() (string, error) {
	d.pos++
	start := d.pos
	// Fast path: no escapes.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			d.pos++
			return validUTF8(s), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.pos++
	}
	var b strings.Builder
	b.Write(d.data[start:d.pos])
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return validUTF8([]byte(b.String())), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c != '\\':
			b.WriteByte(c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(d.data) {
			break
		}
		e := d.data[d.pos+1]
		d.pos += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := d.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) && bytes.HasPrefix(d.data[d.pos:], []byte("\\u")) {
				save := d.pos
				d.pos += 2
				r2, err := d.hex4()
				if err == nil {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b.WriteRune(dec)
						continue
					}
				}
				d.pos = save
			}
			b.WriteRune(r)
		default:
			return "", d.errorf("invalid escape \\%c", e)
		}
	}
	return "", d.errorf("unterminated string")
}

// validUTF8 returns s as a string with each byte that is not part of
// valid UTF-8 replaced by U+FFFD, as encoding/json does.
func validUTF8(s []byte) string {
	if utf8.Valid(s) {
		return string(s)
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.Write(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

func (d *jsonReader) hex4() (rune, error) {
	if d.pos+4 > len(d.data) {
		return 0, d.errorf("short \\u escape")
	}
	n, err := strconv.ParseUint(string(d.data[d.pos:d.pos+4]), 16, 32)
	if err != nil {
		return 0, d.errorf("invalid \\u escape")
	}
	d.pos += 4
	return rune(n), nil
}

// encodeValue writes a value as compact JSON, escaping strings as
// Python's json.dumps does (every non-ASCII character as \uXXXX).
func encodeValue(v any) []byte {
	var b bytes.Buffer
	writeJSON(&b, v)
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *object:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJSON(b, x.vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case string:
		writeJSONString(b, x)
	case num:
		switch {
		case !x.float:
			b.WriteString(strconv.FormatInt(x.i, 10))
		case math.IsNaN(x.f):
			b.WriteString("NaN")
		case math.IsInf(x.f, 1):
			b.WriteString("Infinity")
		case math.IsInf(x.f, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloat(x.f))
		}
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("airline: cannot encode %T", v))
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}

// writeRepr writes Python's str of to_hashable(v), the form tau-bench
// hashes its database in: a dict becomes a tuple of (key, value) pairs
// sorted by key, a list a tuple, and scalars print as Python prints
// them.
func writeRepr(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *object:
		keys := append([]string(nil), x.keys...)
		sort.Strings(keys)
		b.WriteByte('(')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			writePyString(b, k)
			b.WriteString(", ")
			writeRepr(b, x.vals[k])
			b.WriteByte(')')
		}
		if len(keys) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case []any:
		b.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		if len(x) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case string:
		writePyString(b, x)
	case num:
		b.WriteString(x.String())
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case nil:
		b.WriteString("None")
	default:
		panic(fmt.Sprintf("airline: cannot hash %T", v))
	}
}

// writePyString writes Python's repr of a string: single quotes unless
// the text holds a single quote and no double quote, backslash escapes
// for the quote, backslash, \t \n \r, and \x, \u or \U escapes for
// characters that are not printable.
func writePyString(b *bytes.Buffer, s string) {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x7f || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			fmt.Fprintf(b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
}
