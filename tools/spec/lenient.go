package spec

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
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
// It returns the repaired JSON and how many repairs it made, counted by
// the JSON pointer of the mended value in the original document: a value
// mended several times (once in place and again in every copy inlined
// from it) counts once. The walk never edits the document it reads and
// visits object keys in sorted order, so the same input always gives the
// same output and count.
func repairOpenAPI(data []byte) ([]byte, int, error) {
	var root any
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, 0, err
	}
	r := &repairer{root: root, mended: map[string]struct{}{}}
	fixed := r.walk(root, "", "", 0)
	out, err := json.Marshal(fixed)
	if err != nil {
		return nil, 0, err
	}
	return out, len(r.mended), nil
}

// repairer holds one document's repair walk. root is the document as
// decoded and is only read; the walk builds the repaired copy beside it.
type repairer struct {
	root any
	// mended holds the JSON pointers (into root) of the values repaired.
	mended map[string]struct{}
	// copied counts the nodes inlined so far; past maxInlineNodes refs are
	// dropped instead, so nested refs cannot blow up exponentially.
	copied int
}

// maxInlineNodes bounds the JSON nodes repair may inline in one document.
const maxInlineNodes = 200_000

var stringKeywords = map[string]bool{"pattern": true, "format": true, "title": true, "description": true, "summary": true, "operationId": true}

// member is one key of an object being repaired: its value and the JSON
// pointer of that value in the original document. Inlining merges members
// from two places of the document into one object, so each keeps its own.
type member struct {
	key string
	val any
	at  string
}

// members lists the keys of m, sorted, with their pointers under at.
func members(m map[string]any, at string) []member {
	out := make([]member, 0, len(m))
	for k, v := range m {
		out = append(out, member{key: k, val: v, at: at + "/" + escapePointer(k)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// mend records a repair of the value at pointer at.
func (r *repairer) mend(at string) { r.mended[at] = struct{}{} }

// walk returns the repaired copy of v, found at pointer at in the
// original document under the key parentKey.
func (r *repairer) walk(v any, at, parentKey string, inlineDepth int) any {
	if inlineDepth > 0 {
		r.copied++
	}
	switch x := v.(type) {
	case map[string]any:
		return r.object(members(x, at), parentKey, inlineDepth)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.walk(e, at+"/"+strconv.Itoa(i), parentKey, inlineDepth)
		}
		return out
	}
	return v
}

// object repairs an object given as its sorted members.
func (r *repairer) object(ms []member, parentKey string, inlineDepth int) any {
	if i, ok := find(ms, "$ref"); ok {
		if ref, isStr := ms[i].val.(string); isStr {
			if isStandardRef(ref) && r.resolve(ref) != nil {
				out := make(map[string]any, len(ms))
				for _, m := range ms {
					out[m.key] = m.val
				}
				return out
			}
			r.mend(ms[i].at)
			siblings := append(ms[:i:i], ms[i+1:]...)
			target, targetAt := r.resolvePointer(ref)
			if tm, isMap := target.(map[string]any); isMap && inlineDepth < maxInlineDepth && r.copied < maxInlineNodes {
				merged := members(tm, targetAt)
				for _, s := range siblings {
					if _, taken := find(merged, s.key); !taken {
						merged = append(merged, s)
					}
				}
				sort.Slice(merged, func(i, j int) bool { return merged[i].key < merged[j].key })
				r.copied++
				return r.object(merged, parentKey, inlineDepth+1)
			}
			ms = siblings
		}
	}
	out := make(map[string]any, len(ms))
	for _, m := range ms {
		if parentKey == "mapping" {
			if ref, isStr := m.val.(string); isStr && !strings.HasPrefix(ref, "#") {
				r.mend(m.at)
				continue
			}
		}
		if m.key == "type" && parentKey != "properties" && isMap(m.val) {
			r.mend(m.at)
			continue
		}
		if stringKeywords[m.key] && parentKey != "properties" {
			if _, isStr := m.val.(string); !isStr && !isMap(m.val) {
				r.mend(m.at)
				out[m.key] = fmt.Sprint(m.val)
				continue
			}
		}
		out[m.key] = r.walk(m.val, m.at, m.key, inlineDepth)
	}
	return out
}

// find returns the index of key in the sorted members ms.
func find(ms []member, key string) (int, bool) {
	i := sort.Search(len(ms), func(i int) bool { return ms[i].key >= key })
	return i, i < len(ms) && ms[i].key == key
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
	v, _ := r.resolvePointer(ref)
	return v
}

// resolvePointer is resolve that also returns the target's JSON pointer
// in canonical form (unescaped from the URI, then escaped as RFC 6901
// says), so that one place reached by differently spelled refs has one
// pointer.
func (r *repairer) resolvePointer(ref string) (any, string) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, ""
	}
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	cur := r.root
	if frag == "" || frag == "/" {
		return cur, ""
	}
	var at strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur, ok = c[tok]
			if !ok {
				return nil, ""
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, ""
			}
			cur = c[i]
			tok = strconv.Itoa(i)
		default:
			return nil, ""
		}
		at.WriteString("/")
		at.WriteString(escapePointer(tok))
	}
	return cur, at.String()
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
