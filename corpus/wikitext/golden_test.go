package wikitext

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// dataDir returns $SIMGYM_DATA, or skips the test when it is unset.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SIMGYM_DATA")
	if dir == "" {
		t.Skip("SIMGYM_DATA is not set: skipping the tests on real Wikipedia pages")
	}
	return dir
}

// forbidden are the markup strings that clean text must never contain.
var forbidden = []string{"{{", "}}", "[[", "]]", "<ref", "{|"}

// goldenName turns a page file name into a portable golden file name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func goldenName(file string) string {
	return unsafeName.ReplaceAllString(strings.TrimSuffix(file, ".txt"), "_") + ".golden"
}

// render writes a parsed page in the golden file format.
func render(p Page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "redirect: %s\ndisambiguation: %v\n", p.Redirect, p.Disambiguation)
	b.WriteString("--- text\n")
	b.WriteString(p.Text)
	b.WriteString("\n--- sections\n")
	for _, s := range p.Sections {
		fmt.Fprintf(&b, "%d %s\n", s.Level, s.Title)
	}
	b.WriteString("--- links\n")
	for _, l := range p.Links {
		b.WriteString(l + "\n")
	}
	b.WriteString("--- categories\n")
	for _, c := range p.Categories {
		b.WriteString(c + "\n")
	}
	b.WriteString("--- facts\n")
	for _, f := range p.Facts {
		fmt.Fprintf(&b, "%s | %s = %s\n", f.Infobox, f.Key, f.Value)
	}
	return b.String()
}

// TestRealPages parses the real pages in $SIMGYM_DATA/wiki/wikitext,
// checks that no markup is left and compares with the golden files.
func TestRealPages(t *testing.T) {
	dir := filepath.Join(dataDir(t), "wiki", "wikitext")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read pages: %v", err)
	}
	goldenDir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := goldenName(e.Name())
		if other, ok := seen[name]; ok {
			t.Fatalf("pages %q and %q share the golden file %s", other, e.Name(), name)
		}
		seen[name] = e.Name()
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			title := strings.ReplaceAll(strings.TrimSuffix(e.Name(), ".txt"), "-", " ")
			p := Parse(title, string(src))
			checkClean(t, p)
			if p.Redirect == "" && strings.TrimSpace(string(src)) != "" && p.Text == "" {
				t.Errorf("no text from a %d-byte page", len(src))
			}
			got := render(p)
			path := filepath.Join(goldenDir, name)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("golden file missing (run go test -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run go test -update to accept):\n%s", path, firstDiff(string(want), got))
			}
		})
	}
	// Every golden file must still have its page: a page missing from the
	// data is a failure, not a silent skip.
	goldens, _ := filepath.Glob(filepath.Join(goldenDir, "*.golden"))
	for _, g := range goldens {
		if _, ok := seen[filepath.Base(g)]; !ok {
			t.Errorf("golden file %s has no page in %s", g, dir)
		}
	}
	if len(seen) < 72 {
		t.Errorf("found %d pages in %s, want at least 72", len(seen), dir)
	}
}

// checkClean fails the test when markup is left in the page's text,
// headings or facts.
func checkClean(t *testing.T, p Page) {
	t.Helper()
	check := func(what, s string) {
		for _, f := range forbidden {
			if i := strings.Index(s, f); i >= 0 {
				t.Errorf("%s contains %q near %q", what, f, s[max(0, i-60):min(len(s), i+60)])
			}
		}
	}
	check("text", p.Text)
	for _, s := range p.Sections {
		check("section", s.Title)
	}
	for _, f := range p.Facts {
		check("fact "+f.Key, f.Value)
	}
	for _, l := range append(p.Links, p.Categories...) {
		check("link", l)
		if l == "" || strings.ContainsAny(l, "|\n") {
			t.Errorf("bad link or category %q", l)
		}
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, a, b)
		}
	}
	return "(no line differs)"
}
