package spec

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manyRepairsDoc builds an OpenAPI document with many keys, in many maps,
// that need repair, and returns it with the number of distinct places
// (JSON pointers) repair must mend.
func manyRepairsDoc(t *testing.T) ([]byte, int) {
	t.Helper()
	const nSchemas, nPaths, nMapping, nTypeObjects = 60, 40, 30, 20
	schemas := map[string]any{}
	for i := range nSchemas {
		schemas[fmt.Sprintf("S%d", i)] = map[string]any{
			"type":        "object",
			"properties":  map[string]any{"p": map[string]any{"type": "string", "pattern": 100 + i}},
			"definitions": map[string]any{"D": map[string]any{"type": "string", "format": i}},
		}
	}
	mapping := map[string]any{"ok": "#/components/schemas/S0"}
	for i := range nMapping {
		mapping[fmt.Sprintf("m%d", i)] = fmt.Sprintf("other.yaml#/M%d", i)
	}
	schemas["Pet"] = map[string]any{"type": "object", "discriminator": map[string]any{"propertyName": "kind", "mapping": mapping}}
	for i := range nTypeObjects {
		schemas[fmt.Sprintf("T%d", i)] = map[string]any{"type": map[string]any{"bogus": true}, "description": "t"}
	}
	paths := map[string]any{}
	for i := range nPaths {
		paths[fmt.Sprintf("/p%d", i)] = map[string]any{"get": map[string]any{
			"operationId": fmt.Sprintf("op%d", i),
			"description": i, // a number where a string belongs
			"parameters": []any{map[string]any{"name": "q", "in": "query",
				"schema": map[string]any{"$ref": "external.yaml#/Q", "description": "kept"}}},
			"responses": map[string]any{"200": map[string]any{"description": "ok",
				"content": map[string]any{"application/json": map[string]any{
					// Inlined: the copy's bad format is the same place as
					// the original's and counts once.
					"schema": map[string]any{"$ref": fmt.Sprintf("#/components/schemas/S%d/definitions/D", i)}}}}},
		}}
	}
	doc := map[string]any{"openapi": "3.0.0", "info": map[string]any{"title": "many", "version": "1"},
		"paths": paths, "components": map[string]any{"schemas": schemas}}
	data, err := json.Marshal(doc)
	require.NoError(t, err)
	// Per schema: pattern and definitions' format; per path: the inlined
	// $ref, the external $ref and the description; then the mapping's
	// external entries and the object-valued types.
	return data, 2*nSchemas + 3*nPaths + nMapping + nTypeObjects
}

func TestRepairIsDeterministic(t *testing.T) {
	doc, want := manyRepairsDoc(t)
	first, n, err := repairOpenAPI(doc)
	require.NoError(t, err)
	assert.Equal(t, want, n, "repairs are counted once per place in the original document")
	for run := range 50 {
		again, m, err := repairOpenAPI(doc)
		require.NoError(t, err)
		require.Equal(t, n, m, "run %d: repair count", run)
		require.True(t, string(first) == string(again), "run %d: repaired bytes differ", run)
	}
	// The whole reader gives the same note each time, and the repaired
	// document loads: every operation becomes a tool.
	ts, sk, rep := ReadDocumentRepaired("many.json", doc)
	require.Empty(t, sk)
	require.Len(t, rep, 1)
	assert.Len(t, ts, 40)
	assert.True(t, strings.HasPrefix(rep[0].Reason, fmt.Sprintf("%d repairs after: ", want)), rep[0].Reason)
}

func TestRepairCountsByOriginalPointer(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want int
	}{
		{"one bad keyword", `{"a":{"pattern":1}}`, 1},
		{"same target inlined three times counts its repair once",
			`{"d":{"x":{"format":1}},"u":[{"$ref":"#/d/x"},{"$ref":"#/d/x"},{"$ref":"#/d/x"}]}`, 4},
		{"one target spelled two ways is one place",
			`{"d":{"a/b":{"format":1}},"u":{"$ref":"#/d/a~1b"},"v":{"$ref":"#/d/a%7E1b"}}`, 3},
		{"ref chain inlines each link", `{"d":{"x":{"$ref":"#/d/y"},"y":{"title":2}},"u":{"$ref":"#/d/x"}}`, 3},
		{"self reference stops at the inline depth", `{"d":{"x":{"items":{"$ref":"#/d/x"}}}}`, 1},
		{"standard refs are left alone", `{"components":{"schemas":{"A":{"type":"string"}}},"u":{"$ref":"#/components/schemas/A"}}`, 0},
		{"dangling ref keeps its siblings", `{"u":{"$ref":"#/nowhere","description":"d"}}`, 1},
		{"properties named like keywords are not keywords", `{"properties":{"format":{"type":"string"},"type":{"type":"object"}}}`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, n, err := repairOpenAPI([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, tc.want, n)
			assert.True(t, json.Valid(out))
			again, m, err := repairOpenAPI([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, n, m)
			assert.Equal(t, string(out), string(again))
		})
	}
}

func TestRepairLeavesInputUntouchedAndInlines(t *testing.T) {
	doc := `{"d":{"x":{"format":1,"type":"string"}},"u":{"$ref":"#/d/x","description":"here"}}`
	out, _, err := repairOpenAPI([]byte(doc))
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, map[string]any{"format": "1", "type": "string", "description": "here"}, got["u"])
	assert.Equal(t, map[string]any{"format": "1", "type": "string"}, got["d"].(map[string]any)["x"])
}
