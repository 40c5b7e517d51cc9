package spec

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// maxInlineDepth bounds how deep repair inlines nested non-standard
// $refs before giving up on a branch.
const maxInlineDepth = 8

// repairOpenAPI rewrites a JSON OpenAPI document that a strict loader
// refused into one it accepts, keeping as much as it can. Real specs break
// in a few recurring ways, each mended here:
//   - $refs to external files, or that resolve nowhere: replaced by an
//     empty schema (their siblings, such as a description, stay);
//   - $refs to places other than "#/components/<kind>/<name>" (into
//     paths, or into a schema's own "definitions"): the target is inlined;
//   - string keywords (pattern, format, title, description) holding
//     numbers or other values: turned into strings;
//   - a schema's "type" holding an object: dropped;
//   - discriminator mappings to external files: dropped.
//
// It returns the repaired JSON and how many repairs it made.
func repairOpenAPI(data []byte) ([]byte, int, error) {
	var root any
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, 0, err
	}
	r := &repairer{root: root}
	fixed := r.walk(root, "", 0)
	out, err := json.Marshal(fixed)
	if err != nil {
		return nil, 0, err
	}
	return out, r.repairs, nil
}

type repairer struct {
	root    any
	repairs int
	// copied counts the nodes inlined so far; past maxInlineNodes refs are
	// dropped instead, so nested refs cannot blow up exponentially.
	copied int
}

// maxInlineNodes bounds the JSON nodes repair may inline in one document.
const maxInlineNodes = 200_000

var stringKeywords = map[string]bool{"pattern": true, "format": true, "title": true, "description": true, "summary": true, "operationId": true}

func (r *repairer) walk(v any, parentKey string, inlineDepth int) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			if isStandardRef(ref) && r.resolve(ref) != nil {
				return x
			}
			delete(x, "$ref")
			r.repairs++
			target := r.resolve(ref)
			if target != nil && inlineDepth < maxInlineDepth && r.copied < maxInlineNodes {
				if tm, ok := deepCopy(target, &r.copied).(map[string]any); ok {
					for k, e := range x {
						if _, taken := tm[k]; !taken {
							tm[k] = e
						}
					}
					return r.walk(tm, parentKey, inlineDepth+1)
				}
			}
		}
		if parentKey == "mapping" {
			for k, e := range x {
				if ref, ok := e.(string); ok && !strings.HasPrefix(ref, "#") {
					delete(x, k)
					r.repairs++
				}
			}
		}
		if parentKey != "properties" && isMap(x["type"]) {
			delete(x, "type")
			r.repairs++
		}
		for k, e := range x {
			if stringKeywords[k] && parentKey != "properties" {
				if _, isStr := e.(string); !isStr && !isMap(e) {
					x[k] = fmt.Sprint(e)
					r.repairs++
					continue
				}
			}
			x[k] = r.walk(e, k, inlineDepth)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = r.walk(e, parentKey, inlineDepth)
		}
		return x
	}
	return v
}

func isMap(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// isStandardRef reports whether ref points at a named component, the only
// kind of local $ref every loader resolves.
func isStandardRef(ref string) bool {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	return ok && strings.Count(rest, "/") == 1
}

// resolve follows a local JSON pointer ("#/a/b~1c/0") in the document.
func (r *repairer) resolve(ref string) any {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	cur := r.root
	if frag == "" || frag == "/" {
		return cur
	}
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur, ok = c[tok]
			if !ok {
				return nil
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// deepCopy copies a decoded JSON value, adding the nodes it copies to n.
func deepCopy(v any, n *int) any {
	*n++
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e, n)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e, n)
		}
		return s
	}
	return v
}
