package dump

import (
	"bytes"
	"compress/bzip2"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"

	"github.com/simgym/simgym/corpus"
)

// dataDir returns $SIMGYM_DATA, or skips the test when it is unset.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SIMGYM_DATA")
	if dir == "" {
		t.Skip("SIMGYM_DATA is not set: skipping the tests on real Wikipedia dumps")
	}
	return dir
}

var (
	nsZero   = regexp.MustCompile(`<ns>\s*0\s*</ns>`)
	redirect = regexp.MustCompile(`(?i)<redirect[\s/>]|<text[^>]*>\s*#redirect`)
)

// countArticles counts the articles of a dump independently of the
// reader: the <page> blocks in namespace 0 that are not redirects.
func countArticles(t *testing.T, path string) (articles, redirects int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(raw, []byte{0xFF, 0xFE}) || bytes.HasPrefix(raw, []byte{0xFE, 0xFF}) {
		raw, err = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(raw)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, block := range strings.Split(string(raw), "<page>")[1:] {
		block, _, _ = strings.Cut(block, "</page>")
		if !nsZero.MatchString(block) {
			continue
		}
		if redirect.MatchString(block) {
			redirects++
		} else {
			articles++
		}
	}
	return articles, redirects
}

func TestRealDumps(t *testing.T) {
	dir := filepath.Join(dataDir(t), "wiki")
	for _, name := range []string{"bgwiki-pages-articles-shortened.xml.bz2", "enwiki-table-markup.xml.bz2"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			wantArticles, wantRedirects := countArticles(t, path)
			rs := NewRedirects()
			var docs []corpus.Document
			stats, err := ReadFile(context.Background(), path, Options{Redirects: rs}, func(d corpus.Document) error {
				docs = append(docs, d)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d documents, %d redirects, %d other namespaces, %d skipped", name,
				stats.Documents, stats.Redirects, stats.OtherNamespaces, stats.Skipped)
			if stats.Documents+stats.Skipped != wantArticles || stats.Documents != len(docs) {
				t.Errorf("%d documents and %d skipped, want %d articles (skips: %v)", stats.Documents, stats.Skipped, wantArticles, stats.Skips)
			}
			if stats.Documents == 0 {
				t.Error("no documents")
			}
			if stats.Redirects != wantRedirects || rs.Len() != wantRedirects {
				t.Errorf("%d redirects (%d in the table), want %d", stats.Redirects, rs.Len(), wantRedirects)
			}
			resolved, cycles := rs.Resolved()
			for _, r := range resolved {
				if target, cyclic := rs.Resolve(r.To); target != r.To || cyclic {
					t.Errorf("redirect %v does not end at its final target", r)
				}
			}
			if cycles != 0 {
				t.Errorf("%d redirect cycles", cycles)
			}
			for _, d := range docs {
				if d.ID == "" || d.Title == "" || strings.TrimSpace(d.Text) == "" {
					t.Errorf("document %q (id %q) is incomplete", d.Title, d.ID)
				}
				for _, s := range []string{"{{", "}}", "[[", "]]", "<ref", "{|"} {
					if i := strings.Index(d.Text, s); i >= 0 {
						t.Errorf("document %q has %q near %q", d.Title, s, d.Text[max(0, i-40):min(len(d.Text), i+40)])
					}
				}
			}
		})
	}
}
