package tools

import "sort"

// Schema is the subset of JSON Schema that simgym keeps for tool
// parameters and results. Every reader maps its own type system onto it.
// Marshalled with encoding/json it is deterministic: properties are a map,
// written with sorted keys.
type Schema struct {
	Type        string             `json:"type,omitempty"`
	Format      string             `json:"format,omitempty"`
	Description string             `json:"description,omitempty"`
	Properties  map[string]*Schema `json:"properties,omitempty"`
	Required    []string           `json:"required,omitempty"`
	Items       *Schema            `json:"items,omitempty"`
	Enum        []any              `json:"enum,omitempty"`
	Default     any                `json:"default,omitempty"`
	Minimum     *float64           `json:"minimum,omitempty"`
	Maximum     *float64           `json:"maximum,omitempty"`
	MinLength   *int               `json:"minLength,omitempty"`
	MaxLength   *int               `json:"maxLength,omitempty"`
	MinItems    *int               `json:"minItems,omitempty"`
	MaxItems    *int               `json:"maxItems,omitempty"`
	Pattern     string             `json:"pattern,omitempty"`
	Nullable    bool               `json:"nullable,omitempty"`
	// Example and Examples are sample values the spec documents; value
	// generators follow their shape.
	Example  any   `json:"example,omitempty"`
	Examples []any `json:"examples,omitempty"`
	// In says where an HTTP parameter travels: path, query, header,
	// cookie or body. Empty for non-HTTP tools.
	In string `json:"x-in,omitempty"`
}

// ObjectSchema returns an empty object schema, the parameters of a tool
// that takes no arguments.
func ObjectSchema() *Schema {
	return &Schema{Type: "object", Properties: map[string]*Schema{}}
}

// PropertyNames returns the schema's property names, sorted.
func (s *Schema) PropertyNames() []string {
	if s == nil {
		return nil
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// IsRequired reports whether the named property is required.
func (s *Schema) IsRequired(name string) bool {
	if s == nil {
		return false
	}
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}

// Normalize sorts Required and drops required names that are not
// properties, so equal schemas marshal identically.
func (s *Schema) Normalize() {
	if s == nil {
		return
	}
	if len(s.Required) > 0 {
		seen := map[string]bool{}
		req := s.Required[:0]
		for _, r := range s.Required {
			if _, ok := s.Properties[r]; ok && !seen[r] {
				seen[r] = true
				req = append(req, r)
			}
		}
		sort.Strings(req)
		if len(req) == 0 {
			req = nil
		}
		s.Required = req
	}
	for _, p := range s.Properties {
		p.Normalize()
	}
	s.Items.Normalize()
}
