package dump

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/simgym/simgym/corpus"
)

func TestRedirects(t *testing.T) {
	rs := NewRedirects()
	for _, r := range [][2]string{
		{"A", "B"}, {"B", "C"}, {"C", "D"}, // chain
		{"x", "Y"}, {"Y", "x"}, // cycle of two (x is stored as X)
		{"Self", "Self"},
		{"P", "Q"}, {"Q", "R"}, {"R", "S"}, {"S", "Q"}, // chain into a cycle
		{"new_york", "New York City"},
	} {
		rs.Add(corpus.Redirect{From: r[0], To: r[1]})
	}
	tests := []struct {
		title, want string
		cyclic      bool
	}{
		{"A", "D", false}, {"B", "D", false}, {"D", "D", false}, {"Unknown", "Unknown", false},
		{"New York", "New York", false}, {"new_york", "New York City", false},
		{"X", "Y", true}, {"Y", "X", true}, {"Self", "Self", true}, {"P", "S", true},
	}
	for _, tt := range tests {
		got, cyclic := rs.Resolve(tt.title)
		if got != tt.want || cyclic != tt.cyclic {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tt.title, got, cyclic, tt.want, tt.cyclic)
		}
	}
	resolved, cycles := rs.Resolved()
	if cycles != 7 {
		t.Errorf("%d cycles, want 7", cycles)
	}
	want := []corpus.Redirect{{From: "A", To: "D"}, {From: "B", To: "D"}, {From: "C", To: "D"}, {From: "New york", To: "New York City"}}
	if !reflect.DeepEqual(resolved, want) {
		t.Errorf("resolved = %v, want %v", resolved, want)
	}
}

func TestRedirectChainInDump(t *testing.T) {
	rs := NewRedirects()
	input := export(
		page("Alpha", 0, 1, "Alpha is a letter.", ""),
		page("A1", 0, 2, "#REDIRECT [[A2]]", ""),
		page("A2", 0, 3, "#redirect [[Alpha#History]]", ""),
		page("Loop1", 0, 4, "#REDIRECT [[Loop2]]", ""),
		page("Loop2", 0, 5, "#REDIRECT [[Loop1]]", ""),
	)
	stats, err := ReadXML(context.Background(), strings.NewReader(input), Options{Redirects: rs}, func(corpus.Document) error { return nil })
	if err != nil || stats.Redirects != 4 || stats.Documents != 1 {
		t.Fatalf("stats %+v, err %v", stats, err)
	}
	if got, cyclic := rs.Resolve("A1"); got != "Alpha" || cyclic {
		t.Errorf("A1 resolves to %q, %v", got, cyclic)
	}
	if _, cyclic := rs.Resolve("Loop1"); !cyclic {
		t.Error("Loop1 is not reported as a cycle")
	}
}
