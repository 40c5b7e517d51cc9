package spec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/simgym/simgym/tools"
)

// maxSchemaNodes bounds the schema nodes kept for one tool's parameters or
// result: huge response models (hundreds of nested properties) are cut so
// the catalog stays small; what is cut keeps its type.
const maxSchemaNodes = 256

// httpMethods in the order tools are emitted for one path.
var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"}

// readOpenAPI3 reads an OpenAPI 3.0 or 3.1 document with kin-openapi,
// resolving its internal $refs.
func readOpenAPI3(where string, data []byte) (ts []*tools.Tool, sk []tools.Skipped) {
	defer recoverAs(where, &ts, &sk)
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		// Many real specs break the letter of the standard in small ways;
		// mend those and try once more before giving up.
		fixed, n, rerr := repairOpenAPI(data)
		if rerr != nil || n == 0 {
			return nil, skipOne(where, fmt.Errorf("OpenAPI 3: %w", err))
		}
		retry := openapi3.NewLoader()
		retry.IsExternalRefsAllowed = false
		doc2, err2 := retry.LoadFromData(fixed)
		if err2 != nil {
			return nil, skipOne(where, fmt.Errorf("OpenAPI 3: %w (after %d repairs: %v)", err, n, err2))
		}
		ts, sk := fromOpenAPI(where, FormatOpenAPI3, doc2)
		note := tools.Skipped{File: where, Reason: fmt.Sprintf("%s%d repairs after: %v", repairedPrefix, n, err)}
		return ts, append(sk, note)
	}
	return fromOpenAPI(where, FormatOpenAPI3, doc)
}

// readSwagger2 reads a Swagger 2.0 document by converting it to OpenAPI 3.
func readSwagger2(where string, data []byte) (ts []*tools.Tool, sk []tools.Skipped) {
	defer recoverAs(where, &ts, &sk)
	var doc2 openapi2.T
	if err := json.Unmarshal(data, &doc2); err != nil {
		return nil, skipOne(where, fmt.Errorf("Swagger 2.0: %w", err))
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, skipOne(where, fmt.Errorf("Swagger 2.0 to OpenAPI 3: %w", err))
	}
	if err := openapi3.NewLoader().ResolveRefsIn(doc, nil); err != nil {
		return nil, skipOne(where, fmt.Errorf("Swagger 2.0 $ref: %w", err))
	}
	return fromOpenAPI(where, FormatSwagger2, doc)
}

// repairedPrefix marks, inside a reader, a note that a document was
// mended rather than skipped; ReadDocument moves such notes to its
// repaired list.
const repairedPrefix = "\x00repaired: "

// recoverAs turns a panic inside a third-party parser into a skipped
// document, so one hostile spec never stops a run of thousands.
func recoverAs(where string, ts *[]*tools.Tool, sk *[]tools.Skipped) {
	if r := recover(); r != nil {
		*ts = nil
		*sk = skipOne(where, fmt.Errorf("parser failed: %v", r))
	}
}

func skipOne(where string, err error) []tools.Skipped {
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return []tools.Skipped{{File: where, Reason: msg}}
}

// fromOpenAPI turns every operation of doc into a tool.
func fromOpenAPI(where, format string, doc *openapi3.T) ([]*tools.Tool, []tools.Skipped) {
	if doc.Paths == nil || doc.Paths.Len() == 0 {
		return nil, []tools.Skipped{{File: where, Reason: "$.paths: no operations"}}
	}
	var title string
	var cats []string
	if doc.Info != nil {
		title = strings.TrimSpace(doc.Info.Title)
		cats = stringList(doc.Info.Extensions["x-apisguru-categories"])
	}
	paths := doc.Paths.Keys()
	sort.Strings(paths)
	var out []*tools.Tool
	var skipped []tools.Skipped
	for _, p := range paths {
		item := doc.Paths.Value(p)
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, m := range httpMethods {
			op := ops[m]
			if op == nil {
				continue
			}
			t, err := fromOperation(item, m, p, op)
			if err != nil {
				skipped = append(skipped, tools.Skipped{File: where, Reason: fmt.Sprintf("$.paths[%q].%s: %v", p, strings.ToLower(m), err)})
				continue
			}
			t.Source = tools.Source{File: where, Format: format, Operation: m + " " + p, Spec: title}
			t.Categories = cats
			out = append(out, t)
		}
	}
	if len(out) == 0 && len(skipped) == 0 {
		skipped = append(skipped, tools.Skipped{File: where, Reason: "$.paths: no operations"})
	}
	return out, skipped
}

// fromOperation builds the tool of one operation: path, query and body
// parameters become arguments (headers and cookies are transport detail
// and left out), the first JSON 2xx response becomes the result.
func fromOperation(item *openapi3.PathItem, method, path string, op *openapi3.Operation) (*tools.Tool, error) {
	conv := &oasConv{}
	params := tools.ObjectSchema()
	seen := map[string]bool{}
	add := func(list openapi3.Parameters) {
		// Operation parameters override path-item ones of the same name.
		for i := len(list) - 1; i >= 0; i-- {
			pr := list[i]
			if pr == nil || pr.Value == nil {
				continue
			}
			p := pr.Value
			if p.In != "path" && p.In != "query" {
				continue
			}
			key := p.In + " " + p.Name
			if seen[key] || strings.TrimSpace(p.Name) == "" {
				continue
			}
			seen[key] = true
			var s *tools.Schema
			if p.Schema != nil {
				s = conv.schema(p.Schema, 1)
			} else {
				for _, ct := range sortedKeys(p.Content) {
					if mt := p.Content[ct]; mt != nil && mt.Schema != nil {
						s = conv.schema(mt.Schema, 1)
						break
					}
				}
			}
			if s == nil {
				s = &tools.Schema{Type: "string"}
			}
			if d := clip(p.Description); d != "" {
				s.Description = d
			}
			s.In = p.In
			name := p.Name
			if _, dup := params.Properties[name]; dup {
				name = p.Name + "_" + p.In
			}
			params.Properties[name] = s
			if p.Required || p.In == "path" {
				params.Required = append(params.Required, name)
			}
		}
	}
	add(op.Parameters)
	add(item.Parameters)
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		rb := op.RequestBody.Value
		if ms := jsonSchemaOf(rb.Content); ms != nil {
			body := conv.schema(ms, 1)
			if body.Type == "object" && len(body.Properties) > 0 {
				for _, n := range body.PropertyNames() {
					name := n
					if _, dup := params.Properties[name]; dup {
						name = n + "_body"
					}
					ps := body.Properties[n]
					ps.In = "body"
					params.Properties[name] = ps
					if rb.Required && body.IsRequired(n) {
						params.Required = append(params.Required, name)
					}
				}
			} else {
				body.In = "body"
				params.Properties["body"] = body
				if rb.Required {
					params.Required = append(params.Required, "body")
				}
			}
		}
	}
	var result *tools.Schema
	var errs []tools.Response
	if op.Responses != nil {
		codes := op.Responses.Keys()
		sort.Strings(codes)
		for _, code := range codes {
			if rr := op.Responses.Value(code); strings.HasPrefix(code, "4") && rr != nil && rr.Value != nil {
				d := ""
				if rr.Value.Description != nil {
					d = clip(strings.TrimSpace(*rr.Value.Description))
				}
				errs = append(errs, tools.Response{Status: code, Description: d})
			}
		}
		for _, code := range append(codes, "default") {
			if !strings.HasPrefix(code, "2") && code != "default" {
				continue
			}
			rr := op.Responses.Value(code)
			if rr == nil || rr.Value == nil {
				continue
			}
			if ms := jsonSchemaOf(rr.Value.Content); ms != nil {
				result = (&oasConv{}).schema(ms, 0)
				break
			}
		}
	}
	params.Normalize()
	result.Normalize()
	desc := strings.TrimSpace(op.Summary)
	if d := strings.TrimSpace(op.Description); d != "" && d != desc {
		if desc != "" {
			desc += ". " + d
		} else {
			desc = d
		}
	}
	name := op.OperationID
	if strings.TrimSpace(name) == "" {
		name = strings.ToLower(method) + " " + path
	}
	return &tools.Tool{
		OriginalName: name,
		Description:  clip(desc),
		Parameters:   params,
		Result:       result,
		Method:       method,
		Path:         path,
		Errors:       errs,
	}, nil
}

// jsonSchemaOf returns the schema of the JSON media type in content, or
// of the first media type when none is JSON.
func jsonSchemaOf(content openapi3.Content) *openapi3.SchemaRef {
	keys := sortedKeys(content)
	for _, k := range keys {
		if strings.Contains(k, "json") && content[k] != nil && content[k].Schema != nil {
			return content[k].Schema
		}
	}
	for _, k := range keys {
		if content[k] != nil && content[k].Schema != nil {
			return content[k].Schema
		}
	}
	return nil
}

// oasConv converts kin-openapi schemas, bounded in depth and size and
// safe on recursive models.
type oasConv struct {
	nodes int
	stack []*openapi3.Schema
}

func (c *oasConv) onStack(s *openapi3.Schema) bool {
	for _, x := range c.stack {
		if x == s {
			return true
		}
	}
	return false
}

func (c *oasConv) schema(ref *openapi3.SchemaRef, depth int) *tools.Schema {
	if ref == nil || ref.Value == nil {
		return &tools.Schema{}
	}
	s := ref.Value
	c.nodes++
	out := &tools.Schema{
		Format:      s.Format,
		Description: clip(s.Description),
		Pattern:     s.Pattern,
		Nullable:    s.Nullable,
		Default:     s.Default,
		Minimum:     s.Min,
		Maximum:     s.Max,
		Example:     scalarExample(s.Example),
	}
	for _, e := range s.Examples {
		if e := scalarExample(e); e != nil && len(out.Examples) < 3 {
			out.Examples = append(out.Examples, e)
		}
	}
	if out.Example == nil && len(out.Examples) > 0 {
		out.Example = out.Examples[0]
	}
	if len(s.Enum) > 0 {
		out.Enum = s.Enum
	}
	if s.Const != nil && out.Enum == nil {
		out.Enum = []any{s.Const}
	}
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t == "null" {
				out.Nullable = true
			} else if out.Type == "" {
				out.Type = t
			}
		}
	}
	if s.MinLength > 0 {
		n := int(min(s.MinLength, 1<<31))
		out.MinLength = &n
	}
	if s.MaxLength != nil {
		n := int(min(*s.MaxLength, 1<<31))
		out.MaxLength = &n
	}
	if s.MinItems > 0 {
		n := int(min(s.MinItems, 1<<31))
		out.MinItems = &n
	}
	if s.MaxItems != nil {
		n := int(min(*s.MaxItems, 1<<31))
		out.MaxItems = &n
	}
	if c.onStack(s) || depth >= maxSchemaDepth || c.nodes > maxSchemaNodes {
		if out.Type == "" && len(s.Properties) > 0 {
			out.Type = "object"
		}
		return out
	}
	c.stack = append(c.stack, s)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()

	// allOf merges into this schema; oneOf/anyOf take their first
	// non-null alternative, the shape a simulated tool commits to.
	for _, sub := range s.AllOf {
		c.merge(out, c.schema(sub, depth))
	}
	if out.Type == "" || out.Type == "object" {
		for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
			for _, sub := range alts {
				alt := c.schema(sub, depth)
				if alt.Type == "null" {
					out.Nullable = true
					continue
				}
				c.merge(out, alt)
				break
			}
		}
	}
	if len(s.Properties) > 0 {
		if out.Properties == nil {
			out.Properties = make(map[string]*tools.Schema, len(s.Properties))
		}
		for _, n := range sortedKeys(s.Properties) {
			if c.nodes > maxSchemaNodes {
				break
			}
			out.Properties[n] = c.schema(s.Properties[n], depth+1)
		}
		out.Required = append(out.Required, s.Required...)
		if out.Type == "" {
			out.Type = "object"
		}
	}
	if s.Items != nil {
		out.Items = c.schema(s.Items, depth+1)
		if out.Type == "" {
			out.Type = "array"
		}
	}
	return out
}

// scalarExample keeps an example that is a short string, a number or a
// boolean: the values whose shape generators can follow.
func scalarExample(v any) any {
	switch x := v.(type) {
	case string:
		if x != "" && len(x) <= 200 {
			return x
		}
	case float64, bool, int, int64:
		return x
	}
	return nil
}

// merge folds src into dst (allOf semantics, first value wins).
func (c *oasConv) merge(dst, src *tools.Schema) {
	if dst.Type == "" {
		dst.Type = src.Type
	}
	if dst.Format == "" {
		dst.Format = src.Format
	}
	if dst.Description == "" {
		dst.Description = src.Description
	}
	if dst.Enum == nil {
		dst.Enum = src.Enum
	}
	if dst.Example == nil {
		dst.Example = src.Example
	}

	if dst.Items == nil {
		dst.Items = src.Items
	}
	if len(src.Properties) > 0 {
		if dst.Properties == nil {
			dst.Properties = map[string]*tools.Schema{}
		}
		for k, v := range src.Properties {
			if _, ok := dst.Properties[k]; !ok {
				dst.Properties[k] = v
			}
		}
	}
	dst.Required = append(dst.Required, src.Required...)
	dst.Nullable = dst.Nullable || src.Nullable
}

func stringList(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
