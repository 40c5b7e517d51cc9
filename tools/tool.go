// Package tools holds simgym's one model of a callable tool, read from many
// kinds of API specification, and the catalog that gathers them.
//
// Readers for each specification format live in tools/spec; the parameter
// similarity graph and its Louvain clustering into domains live in
// tools/graph.
package tools

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Tool is one callable operation in the normalized model shared by every
// reader, whatever format it came from.
type Tool struct {
	// Name is unique across a catalog and a valid identifier
	// ([A-Za-z_][A-Za-z0-9_]*); see Catalog.Finalize.
	Name string `json:"name"`
	// OriginalName is the name the source gave (operationId, function
	// name, ...), before it was made unique.
	OriginalName string `json:"original_name"`
	// Description is the source's summary and description, trimmed.
	Description string `json:"description,omitempty"`
	// Parameters is an object schema whose properties are the arguments.
	Parameters *Schema `json:"parameters"`
	// Result is the schema of a successful result, when the spec has one.
	Result *Schema `json:"result,omitempty"`
	// Method and Path are set for HTTP operations.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	// Source says where the tool came from.
	Source Source `json:"source"`
	// Categories are the source's own category labels, when it has any.
	// They are kept for scoring clusters, never used to form them.
	Categories []string `json:"categories,omitempty"`
	// Errors are the failures the source documents (an HTTP operation's
	// 4xx responses), sorted by status: what preconditions the tool has.
	Errors []Response `json:"errors,omitempty"`
}

// Response is one documented outcome of a tool.
type Response struct {
	// Status is the HTTP status code, e.g. "409".
	Status string `json:"status"`
	// Description is what the source says the outcome means.
	Description string `json:"description,omitempty"`
}

// Source locates a tool in its input.
type Source struct {
	// File is the path of the input file; for an archive member it is
	// "archive.tar.gz!member/path.json".
	File string `json:"file"`
	// Format names the reader: openapi3, swagger2, openai, bfcl,
	// toolbench.
	Format string `json:"format"`
	// Operation identifies the tool inside the file: "GET /pets/{id}",
	// a function name, or a JSON path.
	Operation string `json:"operation"`
	// Spec is the title of the API or tool collection, when known.
	Spec string `json:"spec,omitempty"`
}

// Skipped records an input that could not be read, and why.
type Skipped struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Catalog is the set of tools read from one or more inputs.
type Catalog struct {
	// Specs counts the input documents read successfully.
	Specs int `json:"specs"`
	// Tools are all tools read, in input order until Finalize sorts them.
	Tools []*Tool `json:"tools"`
	// Skipped lists inputs (or parts of inputs) that were not read.
	Skipped []Skipped `json:"skipped"`
	// Repaired lists inputs read only after mending what a strict reader
	// refused (dangling $refs, mistyped keywords); their tools are kept.
	Repaired []Skipped `json:"repaired,omitempty"`
}

// Finalize sorts the tools into a deterministic order (by source file,
// operation, then original name) and gives each a unique identifier name.
// Names derive only from the tools themselves, so the same input always
// yields the same names.
func (c *Catalog) Finalize() {
	sort.SliceStable(c.Tools, func(i, j int) bool {
		a, b := c.Tools[i], c.Tools[j]
		if a.Source.File != b.Source.File {
			return a.Source.File < b.Source.File
		}
		if a.Source.Operation != b.Source.Operation {
			return a.Source.Operation < b.Source.Operation
		}
		return a.OriginalName < b.OriginalName
	})
	for _, list := range [][]Skipped{c.Skipped, c.Repaired} {
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].File != list[j].File {
				return list[i].File < list[j].File
			}
			return list[i].Reason < list[j].Reason
		})
	}
	taken := make(map[string]bool, len(c.Tools))
	next := make(map[string]int)
	for _, t := range c.Tools {
		base := Identifier(t.OriginalName)
		if base == "" {
			base = Identifier(t.Method + "_" + t.Path)
		}
		if base == "" {
			base = "tool"
		}
		name := base
		for n := max(next[base], 1); taken[name]; {
			n++
			name = fmt.Sprintf("%s_%d", base, n)
			next[base] = n
		}
		taken[name] = true
		t.Name = name
	}
}

// Identifier turns s into a snake_case identifier made of ASCII letters,
// digits and underscores, not starting with a digit. It returns "" when s
// holds no letter or digit.
func Identifier(s string) string {
	words := Words(s)
	if len(words) == 0 {
		return ""
	}
	id := strings.Join(words, "_")
	if id[0] >= '0' && id[0] <= '9' {
		id = "n" + id
	}
	return id
}

// Words splits s into lower-case ASCII words at case changes, digits
// boundaries and any non-alphanumeric rune: "getPetByID" gives
// [get pet by id], "order_items2" gives [order items 2]. Letters outside
// ASCII are dropped, so the words are safe in identifiers.
func Words(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			flush()
			continue
		}
		if len(cur) > 0 {
			prev := cur[len(cur)-1]
			switch {
			case unicode.IsDigit(r) != unicode.IsDigit(prev):
				flush()
			case unicode.IsUpper(r) && unicode.IsLower(prev):
				flush()
			case unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
				// "HTTPServer": split before the S.
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}
