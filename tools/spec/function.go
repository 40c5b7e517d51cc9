package spec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/simgym/simgym/tools"
)

// maxSchemaDepth bounds how deep nested schemas are kept; deeper levels
// keep their type only.
const maxSchemaDepth = 6

// maxDescription bounds descriptions, in bytes, cut at a rune boundary.
const maxDescription = 1024

// bfclTypes maps the Python-flavoured type names of BFCL (and of other
// function-calling sets) to JSON Schema types. Names marked true appear
// only in BFCL-style docs and identify the format.
var bfclTypes = map[string]struct {
	json string
	bfcl bool
}{
	"dict":    {"object", true},
	"float":   {"number", true},
	"tuple":   {"array", true},
	"any":     {"", true},
	"list":    {"array", true},
	"int":     {"integer", true},
	"str":     {"string", true},
	"bool":    {"boolean", true},
	"object":  {"object", false},
	"number":  {"number", false},
	"integer": {"integer", false},
	"string":  {"string", false},
	"boolean": {"boolean", false},
	"array":   {"array", false},
	"null":    {"null", false},
}

// readFunctionField reads {"type":"function","function":{...}} (OpenAI)
// and BFCL question lines whose "function" is a list of function docs.
func readFunctionField(where string, top map[string]json.RawMessage) ([]*tools.Tool, []tools.Skipped) {
	raw := top["function"]
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err == nil {
		var out []*tools.Tool
		var skipped []tools.Skipped
		for i, f := range list {
			t, err := readFunction(where, fmt.Sprintf("%s#/function/%d", where, i), f)
			if err != nil {
				skipped = append(skipped, tools.Skipped{File: where, Reason: err.Error()})
				continue
			}
			t.Source.Format = FormatBFCL
			out = append(out, t)
		}
		return out, skipped
	}
	t, err := readFunction(where, where+"#/function", raw)
	if err != nil {
		return nil, []tools.Skipped{{File: where, Reason: err.Error()}}
	}
	return []*tools.Tool{t}, nil
}

// functionDoc is an OpenAI or BFCL function description.
type functionDoc struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Response    json.RawMessage `json:"response"`
	Returns     json.RawMessage `json:"returns"`
}

// readFunction reads one function doc found at path inside file.
func readFunction(file, path string, raw json.RawMessage) (*tools.Tool, error) {
	var fd functionDoc
	if err := json.Unmarshal(raw, &fd); err != nil {
		return nil, fmt.Errorf("%s: function doc: %w", path, err)
	}
	if strings.TrimSpace(fd.Name) == "" {
		return nil, fmt.Errorf("%s/name: function has no name", path)
	}
	conv := &jsonSchemaConv{}
	params := tools.ObjectSchema()
	if len(fd.Parameters) > 0 && string(fd.Parameters) != "null" {
		var err error
		params, err = conv.fromRaw(fd.Parameters, path+"/parameters", 0)
		if err != nil {
			return nil, err
		}
		if params.Type == "" {
			params.Type = "object"
		}
		if params.Type != "object" {
			return nil, fmt.Errorf("%s/parameters: type %q, want an object", path, params.Type)
		}
		if params.Properties == nil {
			params.Properties = map[string]*tools.Schema{}
		}
	}
	var result *tools.Schema
	for _, r := range []struct {
		raw  json.RawMessage
		name string
	}{{fd.Response, "response"}, {fd.Returns, "returns"}} {
		if len(r.raw) > 0 && string(r.raw) != "null" {
			res, err := conv.fromRaw(r.raw, path+"/"+r.name, 0)
			if err != nil {
				return nil, err
			}
			result = res
			break
		}
	}
	params.Normalize()
	result.Normalize()
	format := FormatOpenAI
	if conv.bfcl {
		format = FormatBFCL
	}
	return &tools.Tool{
		OriginalName: fd.Name,
		Description:  clip(fd.Description),
		Parameters:   params,
		Result:       result,
		Source:       tools.Source{File: file, Format: format, Operation: fd.Name},
	}, nil
}

// jsonSchemaConv converts JSON-Schema-like dicts to tools.Schema,
// remembering whether BFCL's type names were seen.
type jsonSchemaConv struct {
	bfcl bool
}

func (c *jsonSchemaConv) fromRaw(raw json.RawMessage, path string, depth int) (*tools.Schema, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: schema is not an object: %w", path, err)
	}
	return c.fromMap(m, path, depth)
}

func (c *jsonSchemaConv) fromMap(m map[string]any, path string, depth int) (*tools.Schema, error) {
	s := &tools.Schema{}
	switch t := m["type"].(type) {
	case string:
		jt, ok := bfclTypes[strings.ToLower(t)]
		if !ok {
			return nil, fmt.Errorf("%s/type: unknown type %q", path, t)
		}
		c.bfcl = c.bfcl || jt.bfcl
		s.Type = jt.json
	case []any:
		// ["string", "null"]: the non-null type, nullable.
		for _, e := range t {
			name, _ := e.(string)
			jt, ok := bfclTypes[strings.ToLower(name)]
			if !ok {
				return nil, fmt.Errorf("%s/type: unknown type %v", path, e)
			}
			if jt.json == "null" {
				s.Nullable = true
			} else if s.Type == "" {
				s.Type = jt.json
			}
		}
	case nil:
	default:
		return nil, fmt.Errorf("%s/type: want a string, got %T", path, t)
	}
	s.Description = clip(str(m["description"]))
	s.Format = str(m["format"])
	s.Pattern = str(m["pattern"])
	if e, ok := m["enum"].([]any); ok {
		s.Enum = e
	}
	s.Default = m["default"]
	s.Minimum = num(m["minimum"])
	s.Maximum = num(m["maximum"])
	s.MinLength = count(m["minLength"])
	s.MaxLength = count(m["maxLength"])
	s.MinItems = count(m["minItems"])
	s.MaxItems = count(m["maxItems"])
	if depth >= maxSchemaDepth {
		return s, nil
	}
	if props, ok := m["properties"].(map[string]any); ok {
		s.Properties = make(map[string]*tools.Schema, len(props))
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			pm, ok := props[n].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s/properties/%s: schema is not an object", path, n)
			}
			ps, err := c.fromMap(pm, path+"/properties/"+n, depth+1)
			if err != nil {
				return nil, err
			}
			s.Properties[n] = ps
		}
		if s.Type == "" {
			s.Type = "object"
		}
	}
	switch r := m["required"].(type) {
	case []any:
		for _, e := range r {
			if name, ok := e.(string); ok {
				s.Required = append(s.Required, name)
			}
		}
	case nil, bool:
		// OpenAPI 2 style "required": true on a property is handled by
		// the caller that knows the property's name.
	default:
		return nil, fmt.Errorf("%s/required: want a list of names, got %T", path, r)
	}
	if items, ok := m["items"].(map[string]any); ok {
		is, err := c.fromMap(items, path+"/items", depth+1)
		if err != nil {
			return nil, err
		}
		s.Items = is
		if s.Type == "" {
			s.Type = "array"
		}
	}
	return s, nil
}

func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

func num(v any) *float64 {
	if f, ok := v.(float64); ok {
		return &f
	}
	return nil
}

func count(v any) *int {
	if f, ok := v.(float64); ok && f >= 0 && f <= 1<<31 {
		n := int(f)
		return &n
	}
	return nil
}

// clip trims s and bounds it to maxDescription bytes at a rune boundary.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= maxDescription {
		return s
	}
	cut := maxDescription
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
