package domains

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// MaxArgumentBytes bounds the size of one call's arguments.
const MaxArgumentBytes = 1 << 20

var printer = message.NewPrinter(language.English)

// validator compiles a tool's parameter schema once, on first use.
type validator struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

func (v *validator) compile(t *Tool) {
	v.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(t.Parameters))
		if err != nil {
			v.err = fmt.Errorf("tool %s: parameters schema: %w", t.Name, err)
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		url := "simgym://tools/" + t.Name + ".json"
		if err := c.AddResource(url, doc); err != nil {
			v.err = fmt.Errorf("tool %s: parameters schema: %w", t.Name, err)
			return
		}
		v.schema, v.err = c.Compile(url)
		if v.err != nil {
			v.err = fmt.Errorf("tool %s: parameters schema: %w", t.Name, v.err)
		}
	})
}

// validate checks raw arguments against the tool's schema and returns
// them decoded. Every failure is a *ToolError naming the argument.
func (v *validator) validate(t *Tool, raw json.RawMessage) (map[string]any, error) {
	if len(raw) > MaxArgumentBytes {
		return nil, Errorf("invalid arguments for %s: %d bytes, at most %d", t.Name, len(raw), MaxArgumentBytes)
	}
	v.compile(t)
	if v.err != nil {
		return nil, v.err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, Errorf("invalid arguments for %s: not JSON: %v", t.Name, err)
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return nil, Errorf("invalid arguments for %s: want a JSON object, got %s", t.Name, jsonKind(inst))
	}
	if err := v.schema.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return nil, Errorf("invalid arguments for %s: %s", t.Name, describe(ve))
		}
		return nil, Errorf("invalid arguments for %s: %v", t.Name, err)
	}
	return obj, nil
}

// describe flattens a validation error into its leaf causes, each named
// by the argument's path: "at 'limit': maximum: got 200, want 100".
func describe(ve *jsonschema.ValidationError) string {
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := strings.Join(e.InstanceLocation, "/")
			msg := e.ErrorKind.LocalizedString(printer)
			if loc == "" {
				leaves = append(leaves, msg)
			} else {
				leaves = append(leaves, fmt.Sprintf("at '%s': %s", loc, msg))
			}
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(leaves)
	if len(leaves) > 5 {
		leaves = append(leaves[:5], fmt.Sprintf("and %d more", len(leaves)-5))
	}
	return strings.Join(leaves, "; ")
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	case json.Number, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// Decode decodes validated arguments into a generated argument struct.
// Validation has already checked types, so a failure here means a value
// the struct cannot hold (an integer too large, 1.5 for an integer) and is
// reported as the agent's error.
func Decode(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	err := json.Unmarshal(raw, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number ") {
		// JSON Schema counts 5.0 and 5e0 as integers, and validation
		// let them through; Go's decoder does not. Retry with integral
		// numbers written as integers.
		if norm, ok := integralNumbers(raw); ok {
			err = json.Unmarshal(norm, v)
		}
	}
	if err != nil {
		if errors.As(err, &te) {
			return Errorf("argument %q: cannot use %s as %s", te.Field, te.Value, te.Type.String())
		}
		return Errorf("invalid arguments: %v", err)
	}
	return nil
}

// integralNumbers rewrites the numbers of a JSON document that hold an
// integer in fraction or exponent form (5.0, 5e0) as plain integers.
func integralNumbers(raw json.RawMessage) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(integralValue(doc)); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

func integralValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, ok := exactInteger(string(x)); ok {
			return json.Number(n)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = integralValue(e)
		}
	case []any:
		for i, e := range x {
			x[i] = integralValue(e)
		}
	}
	return v
}

// exactInteger returns s, a JSON number in fraction or exponent form,
// as a plain integer when it is exactly one of modest size (so huge
// exponents never make big numbers).
func exactInteger(s string) (string, bool) {
	if !strings.ContainsAny(s, ".eE") || len(s) > 64 {
		return "", false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if e, err := strconv.Atoi(s[i+1:]); err != nil || e < -64 || e > 64 {
			return "", false
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err != nil || math.Abs(f) >= 1<<63 {
		return "", false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !r.IsInt() {
		return "", false
	}
	return r.Num().String(), true
}

// Validate checks arguments against the tool's schema exactly as Call
// does before running it, and returns them decoded. Failures are
// *ToolError values naming the argument.
func (t *Tool) Validate(raw json.RawMessage) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	return t.validator.validate(t, raw)
}
