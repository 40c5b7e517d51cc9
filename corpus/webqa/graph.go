package webqa

import (
	"fmt"
	"strconv"
	"strings"
)

// Graph is a knowledge graph whose entities each have an article: what
// Sample draws tasks from. Entities are numbered from 0 to Len()-1.
// Every fact of an entity is shown in its article as a line "Key: value"
// (the predicate's Key, and the object's title or the value's String), so
// that a reader of the article can check it.
type Graph interface {
	// Len is the number of entities.
	Len() int
	// Entity describes entity e.
	Entity(e int) Entity
	// Noun is Entity(e).Noun, without building the rest.
	Noun(e int) string
	// Predicates describes the predicates that Fact.Predicate indexes.
	Predicates() []Predicate
	// Facts calls yield with each fact whose subject is e, in the order
	// of e's article, until yield returns false. An entity has at most
	// one fact per predicate.
	Facts(e int, yield func(Fact) bool)
	// Referrers calls yield with each fact whose object is entity e,
	// until yield returns false: for each predicate, in the order that
	// e's article lists them.
	Referrers(e int, yield func(Fact) bool)
	// Homonyms returns the entities whose Name is e's, e among them.
	Homonyms(e int) []int
}

// Entity describes one entity of a Graph.
type Entity struct {
	// ID is the article's document ID.
	ID string `json:"id"`
	// Title is the article's title, unique in the graph.
	Title string `json:"title"`
	// Name is what text calls the entity; entities may share a name
	// (their titles then differ by a qualifier).
	Name string `json:"name"`
	// Kind is the entity's type: "person", "city", "company"...
	Kind string `json:"kind"`
	// Noun is how a description names the entity: "novelist",
	// "city", "publishing house". It is more specific than Kind.
	Noun string `json:"noun"`
}

// ValueType says what a predicate's objects are.
type ValueType uint8

// Value types.
const (
	// TypeEntity objects are entities of the graph.
	TypeEntity ValueType = iota
	// TypeText values are words ("novelist", a currency name).
	TypeText
	// TypeYear values are years; Value.Num is the year.
	TypeYear
	// TypeDate values are days; Value.Num is year*10000+month*100+day.
	TypeDate
	// TypeNumber values are counts or measures; Value.Num is the number.
	TypeNumber
)

var typeNames = [...]string{"entity", "text", "year", "date", "number"}

func (t ValueType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type" + strconv.Itoa(int(t))
}

// MarshalText writes the type's name.
func (t ValueType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a type's name.
func (t *ValueType) UnmarshalText(b []byte) error {
	for i, n := range typeNames {
		if n == string(b) {
			*t = ValueType(i)
			return nil
		}
	}
	return fmt.Errorf("unknown value type %q", b)
}

// Value is a literal object of a fact.
type Value struct {
	Type ValueType
	// Num is the year, the date (yyyymmdd) or the number.
	Num int64
	// Text is the text of a TypeText value.
	Text string
}

// Year returns the year of a TypeYear or TypeDate value.
func (v Value) Year() int {
	if v.Type == TypeDate {
		return int(v.Num / 10000)
	}
	return int(v.Num)
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December"}

// MonthName returns the English name of month m (1-12).
func MonthName(m int) string {
	if m < 1 || m > 12 {
		return ""
	}
	return monthNames[m-1]
}

// String is the value as an article prints it: "1873", "12 March 1841",
// "45,200", or the text.
func (v Value) String() string {
	switch v.Type {
	case TypeYear:
		return strconv.FormatInt(v.Num, 10)
	case TypeDate:
		y, m, d := v.Num/10000, v.Num/100%100, v.Num%100
		return fmt.Sprintf("%d %s %d", d, MonthName(int(m)), y)
	case TypeNumber:
		return FormatNumber(v.Num)
	}
	return v.Text
}

// FormatNumber writes n with thousands separators: 45200 -> "45,200".
func FormatNumber(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// aliases are other ways to write the value that an answer may use.
func (v Value) aliases() []string {
	switch v.Type {
	case TypeDate:
		y, m, d := v.Num/10000, v.Num/100%100, v.Num%100
		return []string{
			fmt.Sprintf("%s %d, %d", MonthName(int(m)), d, y),
			fmt.Sprintf("%04d-%02d-%02d", y, m, d),
		}
	case TypeNumber:
		if v.Num >= 1000 || v.Num <= -1000 {
			return []string{strconv.FormatInt(v.Num, 10)}
		}
	}
	return nil
}

// Fact is one edge or attribute of the graph: the subject's article
// states it on the line "Key: object".
type Fact struct {
	Subject   int
	Predicate int
	// Object is the object entity, or -1 when the object is Value.
	Object int
	Value  Value
}

// Predicate describes a kind of fact and how questions phrase it. In
// the phrases, {s} stands for the subject and {o} for the object: an
// entity's description or name, or a value phrase ("in 1873", "on 12
// March 1841", "in the early 1870s", "between 40,000 and 50,000").
type Predicate struct {
	// Name is the predicate in triples: "born_in".
	Name string `json:"name"`
	// Key labels the fact in the subject's article: "Place of birth".
	Key string `json:"key"`
	// Type is what the objects are.
	Type ValueType `json:"type"`
	// Symmetric relations (spouses) hold both ways; a question states
	// them once.
	Symmetric bool `json:"symmetric,omitempty"`
	// Clause states the fact: "{s} was born in {o}".
	Clause string `json:"clause"`
	// Reverse states a relation starting from its object, to introduce
	// the subject: "{o} is the birthplace of {s}". Empty means Clause.
	Reverse string `json:"reverse,omitempty"`
	// Describe qualifies a subject by a value: "born {o}". Empty means
	// the value is never used to describe an entity.
	Describe string `json:"describe,omitempty"`
	// Ask asks for the value: "When was {s} born?". Empty means the value
	// is never asked for.
	Ask string `json:"ask,omitempty"`
	// Event names the moment a year or date value marks, for questions
	// that count years between two: "the birth of {s}".
	Event string `json:"event,omitempty"`
}

// Triple is a fact in flat form, for export and for MemGraph.
type Triple struct {
	// Subject is the subject entity's ID.
	Subject   string `json:"subject"`
	Predicate string `json:"predicate"`
	// Object is the object entity's ID for a relation, else the value as
	// the article prints it.
	Object string    `json:"object"`
	Type   ValueType `json:"type"`
	// Num is the number behind a year, date or number value.
	Num int64 `json:"num,omitempty"`
}

// Entities calls yield with every entity of g in order.
func Entities(g Graph, yield func(Entity) bool) {
	for e := range g.Len() {
		if !yield(g.Entity(e)) {
			return
		}
	}
}

// Triples calls yield with every fact of g as a triple, subjects in
// order and each subject's facts in its article's order.
func Triples(g Graph, yield func(Triple) bool) {
	preds := g.Predicates()
	ids := func(e int) string { return g.Entity(e).ID }
	for e := range g.Len() {
		subject := ids(e)
		ok := true
		g.Facts(e, func(f Fact) bool {
			t := Triple{Subject: subject, Predicate: preds[f.Predicate].Name, Type: preds[f.Predicate].Type}
			if f.Object >= 0 {
				t.Object = ids(f.Object)
			} else {
				t.Object, t.Num = f.Value.String(), f.Value.Num
			}
			ok = yield(t)
			return ok
		})
		if !ok {
			return
		}
	}
}
