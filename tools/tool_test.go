package tools

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"getPetByID", []string{"get", "pet", "by", "id"}},
		{"order_items2", []string{"order", "items", "2"}},
		{"HTTPServerError", []string{"http", "server", "error"}},
		{"GET /pets/{petId}", []string{"get", "pets", "pet", "id"}},
		{"  --  ", nil},
		{"café-menu", []string{"caf", "menu"}},
		{"v1.2", []string{"v", "1", "2"}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Words(c.in), c.in)
	}
}

func TestIdentifier(t *testing.T) {
	cases := map[string]string{
		"getPetByID":                 "get_pet_by_id",
		"2fa-verify":                 "n2_fa_verify",
		"movie_finder_Search Movies": "movie_finder_search_movies",
		"日本":                         "",
	}
	for in, want := range cases {
		assert.Equal(t, want, Identifier(in), in)
	}
}

func TestFinalizeNamesUniqueAndStable(t *testing.T) {
	mk := func() *Catalog {
		return &Catalog{Tools: []*Tool{
			{OriginalName: "getPet", Source: Source{File: "b.json", Operation: "GET /pets/{id}"}},
			{OriginalName: "get_pet", Source: Source{File: "a.json", Operation: "GET /pet"}},
			{OriginalName: "get_pet_2", Source: Source{File: "c.json", Operation: "x"}},
			{OriginalName: "getPet", Source: Source{File: "c.json", Operation: "y"}},
			{OriginalName: "", Method: "DELETE", Path: "/x/{id}", Source: Source{File: "d.json"}},
			{OriginalName: "??", Source: Source{File: "e.json"}},
		}}
	}
	c := mk()
	c.Finalize()
	var names []string
	for _, t := range c.Tools {
		names = append(names, t.Name)
	}
	assert.Equal(t, []string{"get_pet", "get_pet_2", "get_pet_2_2", "get_pet_3", "delete_x_id", "tool"}, names)
	// Input order does not matter.
	d := mk()
	d.Tools[0], d.Tools[3] = d.Tools[3], d.Tools[0]
	d.Finalize()
	for i := range c.Tools {
		assert.Equal(t, c.Tools[i].Name, d.Tools[i].Name)
	}
}

func TestSchemaNormalize(t *testing.T) {
	s := &Schema{Type: "object", Properties: map[string]*Schema{"b": {}, "a": {}}, Required: []string{"b", "zz", "a", "b"}}
	s.Normalize()
	assert.Equal(t, []string{"a", "b"}, s.Required)
	assert.Equal(t, []string{"a", "b"}, s.PropertyNames())
	assert.True(t, s.IsRequired("a"))
	assert.False(t, s.IsRequired("zz"))
}
