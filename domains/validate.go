package domains

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
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
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Errorf("argument %q: cannot use %s as %s", te.Field, te.Value, te.Type.String())
		}
		return Errorf("invalid arguments: %v", err)
	}
	return nil
}
