package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"

	"github.com/simgym/simgym/tools"
)

// Format names, as recorded in tools.Source.Format.
const (
	FormatOpenAPI3  = "openapi3"
	FormatSwagger2  = "swagger2"
	FormatOpenAI    = "openai"
	FormatBFCL      = "bfcl"
	FormatToolBench = "toolbench"
)

// ReadDocument reads one document, whatever its format, and returns its
// tools. Problems are reported as skipped entries naming the document
// (and the JSON path or line where possible); a document that yields no
// tool is skipped as a whole.
func ReadDocument(name string, data []byte) ([]*tools.Tool, []tools.Skipped) {
	ts, sk, _ := ReadDocumentRepaired(name, data)
	return ts, sk
}

// ReadDocumentRepaired is ReadDocument that also returns notes on the
// documents that were read only after mending them (see repairOpenAPI):
// their tools are kept, and the note says what the strict reading failed on.
func ReadDocumentRepaired(name string, data []byte) ([]*tools.Tool, []tools.Skipped, []tools.Skipped) {
	ts, sk := readDocument(name, data)
	var skipped, repaired []tools.Skipped
	for _, s := range sk {
		if r, ok := strings.CutPrefix(s.Reason, repairedPrefix); ok {
			s.Reason = r
			repaired = append(repaired, s)
			continue
		}
		skipped = append(skipped, s)
	}
	if len(ts) == 0 && len(skipped) == 0 {
		skipped = append(skipped, tools.Skipped{File: name, Reason: "no tools found"})
	}
	return ts, skipped, repaired
}

func readDocument(name string, data []byte) ([]*tools.Tool, []tools.Skipped) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, []tools.Skipped{{File: name, Reason: "empty document"}}
	}
	if !utf8.Valid(trimmed) {
		return nil, []tools.Skipped{{File: name, Reason: "not UTF-8 text"}}
	}
	// Line numbers count from the top of the file, blank lines included.
	lead := bytes.Count(data[:len(data)-len(bytes.TrimLeftFunc(data, unicode.IsSpace))], []byte("\n"))
	var values []jsonValue
	lined := false
	switch trimmed[0] {
	case '{', '[':
		var err error
		values, lined, err = splitJSON(trimmed, lead)
		if err != nil {
			return nil, []tools.Skipped{{File: name, Reason: err.Error()}}
		}
	default:
		js, err := yamlToJSON(trimmed)
		if err != nil {
			return nil, []tools.Skipped{{File: name, Reason: fmt.Sprintf("neither JSON nor YAML: %v", err)}}
		}
		values = []jsonValue{{raw: js, line: lead + 1}}
	}
	var out []*tools.Tool
	var skipped []tools.Skipped
	for _, v := range values {
		where := name
		if lined || len(values) > 1 {
			where = fmt.Sprintf("%s:%d", name, v.line)
		}
		if v.err != nil {
			skipped = append(skipped, tools.Skipped{File: where, Reason: v.err.Error()})
			continue
		}
		ts, sk := readValue(where, v.raw)
		out = append(out, ts...)
		skipped = append(skipped, sk...)
	}
	if len(out) == 0 && len(skipped) == 0 {
		skipped = append(skipped, tools.Skipped{File: name, Reason: "no tools found"})
	}
	return out, skipped
}

// jsonValue is one top-level JSON value of a document and the line it
// starts on, or, when err is set, a line or value that is not valid JSON.
type jsonValue struct {
	raw  json.RawMessage
	line int
	err  error
}

// splitJSON returns the top-level JSON values of data: one for a plain
// document, one a line for JSONL (lined is then true), or several for a
// stream of concatenated documents. A broken JSONL line is returned as a
// value with its error, and the lines after it are read. A broken value
// in a stream after the first is returned the same way, and ends the
// stream, since nothing says where the next value would start. A broken
// first value fails the whole document. Line numbers start after lead
// lines (the blank lines trimmed off data's top).
func splitJSON(data []byte, lead int) (values []jsonValue, lined bool, err error) {
	if isJSONL(data) {
		return splitLines(data, lead), true, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		var v json.RawMessage
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		// The value starts after the blank space that follows the last.
		for start < int64(len(data)) && strings.IndexByte(" \t\r\n", data[start]) >= 0 {
			start++
		}
		line := lead + 1 + bytes.Count(data[:start], []byte("\n"))
		if err != nil {
			err = fmt.Errorf("invalid JSON at line %d: %w", line, err)
			if len(values) == 0 {
				return nil, false, err
			}
			values = append(values, jsonValue{line: line, err: fmt.Errorf("%w; the rest of the document is not read", err)})
			break
		}
		values = append(values, jsonValue{raw: v, line: line})
	}
	return values, false, nil
}

// isJSONL reports whether data is line-delimited JSON: more than one
// non-blank line, and the first line a complete JSON value on its own; or,
// when the first line is broken, one that opens an object with a key on
// the same line (which pretty-printers never write) followed by a line
// that is a complete object on its own.
func isJSONL(data []byte) bool {
	var first, second []byte
	for len(data) > 0 && second == nil {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0:
		case first == nil:
			first = line
		default:
			second = line
		}
	}
	if second == nil {
		return false
	}
	if json.Valid(first) {
		return true
	}
	return first[0] == '{' && len(bytes.TrimSpace(first[1:])) > 0 &&
		second[0] == '{' && json.Valid(second)
}

// splitLines reads each non-blank line of data as one JSON value.
func splitLines(data []byte, lead int) []jsonValue {
	var values []jsonValue
	for n := lead + 1; len(data) > 0; n++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var v json.RawMessage
		if err := json.Unmarshal(line, &v); err != nil {
			values = append(values, jsonValue{line: n, err: fmt.Errorf("invalid JSON line: %w", err)})
			continue
		}
		values = append(values, jsonValue{raw: v, line: n})
	}
	return values
}

// yamlToJSON converts a YAML document to JSON, turning non-string map keys
// (YAML allows 200: as a key) into strings.
func yamlToJSON(data []byte) (json.RawMessage, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("top level is not a mapping")
	}
	js, err := json.Marshal(jsonable(v, 0))
	if err != nil {
		return nil, err
	}
	return js, nil
}

func jsonable(v any, depth int) any {
	if depth > 256 {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e, depth+1)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e, depth+1)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonable(e, depth+1)
		}
		return x
	default:
		return x
	}
}

// readValue dispatches one top-level JSON value to its reader by shape.
func readValue(where string, v json.RawMessage) ([]*tools.Tool, []tools.Skipped) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, []tools.Skipped{{File: where, Reason: fmt.Sprintf("invalid JSON list: %v", err)}}
		}
		var out []*tools.Tool
		var skipped []tools.Skipped
		for i, it := range items {
			ts, sk := readObject(fmt.Sprintf("%s#/%d", where, i), it)
			out = append(out, ts...)
			skipped = append(skipped, sk...)
		}
		return out, skipped
	}
	return readObject(where, v)
}

// readObject reads one JSON object of any supported shape.
func readObject(where string, v json.RawMessage) ([]*tools.Tool, []tools.Skipped) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(v, &top); err != nil {
		return nil, []tools.Skipped{{File: where, Reason: fmt.Sprintf("not a JSON object: %v", err)}}
	}
	skip := func(reason string) ([]*tools.Tool, []tools.Skipped) {
		return nil, []tools.Skipped{{File: where, Reason: reason}}
	}
	switch {
	case has(top, "openapi"):
		var ver string
		_ = json.Unmarshal(top["openapi"], &ver)
		if !strings.HasPrefix(ver, "3.") {
			return skip(fmt.Sprintf("unsupported OpenAPI version %q at $.openapi", ver))
		}
		return readOpenAPI3(where, v)
	case has(top, "swagger"):
		var ver string
		_ = json.Unmarshal(top["swagger"], &ver)
		if !strings.HasPrefix(ver, "2.") {
			return skip(fmt.Sprintf("unsupported Swagger version %q at $.swagger", ver))
		}
		return readSwagger2(where, v)
	case has(top, "tool_name") && has(top, "api_list"):
		return readToolBench(where, top)
	case has(top, "function"):
		// OpenAI {"type":"function","function":{...}}, or a BFCL question
		// line whose "function" holds a list of function docs.
		return readFunctionField(where, top)
	case has(top, "name") && has(top, "parameters"):
		t, err := readFunction(where, where, v)
		if err != nil {
			return skip(err.Error())
		}
		return []*tools.Tool{t}, nil
	case has(top, "tools"):
		// {"tools": [...]} wrappers, as chat requests carry them.
		return readValue(where+"#/tools", top["tools"])
	}
	return skip("unrecognised document: not OpenAPI, Swagger, OpenAI tool, BFCL or ToolBench JSON")
}

func has(m map[string]json.RawMessage, k string) bool {
	_, ok := m[k]
	return ok
}
