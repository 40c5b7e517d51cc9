package dump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/simgym/simgym/corpus"
)

// page builds one <page> element.
func page(title string, ns int, id int, text string, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  <page>\n    <title>%s</title>\n    <ns>%d</ns>\n    <id>%d</id>\n%s", xmlEscape(title), ns, id, extra)
	fmt.Fprintf(&b, "    <revision>\n      <id>%d</id>\n      <model>wikitext</model>\n      <format>text/x-wiki</format>\n", id*10)
	fmt.Fprintf(&b, "      <text xml:space=\"preserve\">%s</text>\n    </revision>\n  </page>\n", xmlEscape(text))
	return b.String()
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func xmlEscape(s string) string { return xmlEscaper.Replace(s) }

// export wraps pages in a MediaWiki export with a siteinfo.
func export(pages ...string) string {
	return `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
      <namespace key="6" case="first-letter">File</namespace>
      <namespace key="14" case="first-letter">Category</namespace>
      <namespace key="100" case="first-letter">Slika</namespace>
    </namespaces>
  </siteinfo>
` + strings.Join(pages, "") + "</mediawiki>\n"
}

// collect reads all documents of an input.
func collect(t *testing.T, input []byte, opts Options) ([]corpus.Document, Stats, error) {
	t.Helper()
	var docs []corpus.Document
	stats, err := ReadXML(context.Background(), bytes.NewReader(input), opts, func(d corpus.Document) error {
		docs = append(docs, d)
		return nil
	})
	return docs, stats, err
}

func TestReadXML(t *testing.T) {
	rs := NewRedirects()
	input := export(
		page("Paris", 0, 1, "'''Paris''' is the capital of [[France]].{{cite web|x}}\n[[Category:Capitals]]", ""),
		page("Talk:Paris", 1, 2, "Discussion.", ""),
		page("City of Light", 0, 3, "#REDIRECT [[Paris]]", ""),
		page("Lutetia", 0, 4, "ignored text", `    <redirect title="City of Light" />`+"\n"),
		page("Mercury", 0, 5, "'''Mercury''' may be:\n* [[Mercury (planet)]]\n{{disambiguation}}", ""),
		page("Empty", 0, 6, "  ", ""),
		page("Only templates", 0, 7, "{{stub}}{{navbox|x}}", ""),
		page("File:X.jpg", 6, 8, "image", ""),
		page("France", 0, 9, "France is a country.", ""),
	)
	docs, stats, err := collect(t, []byte(input), Options{Source: "test.xml", Redirects: rs, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, d := range docs {
		titles = append(titles, d.Title)
	}
	if got, want := strings.Join(titles, ","), "Paris,Mercury,France"; got != want {
		t.Errorf("documents %s, want %s", got, want)
	}
	want := Stats{Documents: 3, Redirects: 2, Disambiguations: 1, OtherNamespaces: 2, Skipped: 2}
	if stats.Documents != want.Documents || stats.Redirects != want.Redirects || stats.Disambiguations != want.Disambiguations ||
		stats.OtherNamespaces != want.OtherNamespaces || stats.Skipped != want.Skipped {
		t.Errorf("stats %+v, want %+v", stats, want)
	}
	if len(stats.Skips) != 2 || !strings.HasPrefix(stats.Skips[0].String(), `test.xml:`) ||
		!strings.Contains(stats.Skips[0].String(), `page "Empty": page text is empty`) {
		t.Errorf("skips %v", stats.Skips)
	}
	paris := docs[0]
	if paris.ID != "1" || paris.Text != "Paris is the capital of France." || paris.URL != "https://en.wikipedia.org/wiki/Paris" ||
		len(paris.Links) != 1 || paris.Links[0] != "France" || len(paris.Categories) != 1 {
		t.Errorf("paris = %+v", paris)
	}
	if !docs[1].Disambiguation {
		t.Error("Mercury is not marked as disambiguation")
	}
	for _, title := range []string{"City of Light", "Lutetia", "Paris"} {
		if got, cyclic := rs.Resolve(title); got != "Paris" || cyclic {
			t.Errorf("Resolve(%q) = %q, %v", title, got, cyclic)
		}
	}
}

func TestReadXMLEncodings(t *testing.T) {
	input := export(page("Sofia", 0, 1, "'''София''' е столицата на [[България]]. Ünïcödé €.", ""))
	wantText := "София е столицата на България. Ünïcödé €."
	utf16 := func(order unicode.Endianness, bom unicode.BOMPolicy) []byte {
		b, err := unicode.UTF16(order, bom).NewEncoder().Bytes([]byte(input))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	latin := export(page("Cafe", 0, 1, "Café crème.", ""))
	latinBytes, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>` + "\n" + latin))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"utf-8", []byte(input), wantText},
		{"utf-8 bom", append([]byte{0xEF, 0xBB, 0xBF}, input...), wantText},
		{"utf-8 declared", []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + input), wantText},
		{"utf-16le bom", utf16(unicode.LittleEndian, unicode.UseBOM), wantText},
		{"utf-16be bom", utf16(unicode.BigEndian, unicode.UseBOM), wantText},
		{"utf-16le", utf16(unicode.LittleEndian, unicode.IgnoreBOM), wantText},
		{"utf-16be", utf16(unicode.BigEndian, unicode.IgnoreBOM), wantText},
		{"utf-16 declared", mustUTF16(t, `<?xml version="1.0" encoding="UTF-16"?>`+"\n"+input), wantText},
		{"iso-8859-1 declared", latinBytes, "Café crème."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, _, err := collect(t, tt.input, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 || docs[0].Text != tt.want {
				t.Fatalf("docs = %+v, want text %q", docs, tt.want)
			}
		})
	}
}

func mustUTF16(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadXMLEdgeCases(t *testing.T) {
	t.Run("last revision wins", func(t *testing.T) {
		in := `<mediawiki><page><title>A</title><ns>0</ns><id>1</id>
<revision><text>Old text.</text></revision><revision><text>New text.</text></revision></page></mediawiki>`
		docs, _, err := collect(t, []byte(in), Options{})
		if err != nil || len(docs) != 1 || docs[0].Text != "New text." {
			t.Fatalf("docs %+v, err %v", docs, err)
		}
	})
	t.Run("no ns element", func(t *testing.T) {
		in := export(
			strings.Replace(page("Talk:A", 1, 1, "talk", ""), "<ns>1</ns>", "", 1),
			strings.Replace(page("Slika:B", 1, 2, "file", ""), "<ns>1</ns>", "", 1),
			strings.Replace(page("C: the letter", 0, 3, "Text.", ""), "<ns>0</ns>", "", 1))
		docs, stats, err := collect(t, []byte(in), Options{})
		if err != nil || len(docs) != 1 || docs[0].Title != "C: the letter" || stats.OtherNamespaces != 2 {
			t.Fatalf("docs %+v, stats %+v, err %v", docs, stats, err)
		}
	})
	t.Run("other model", func(t *testing.T) {
		in := export(strings.Replace(page("A", 0, 1, "{}", ""), "<model>wikitext</model>", "<model>json</model>", 1))
		_, stats, err := collect(t, []byte(in), Options{})
		if err != nil || stats.Skipped != 1 || !strings.Contains(stats.Skips[0].Reason, "json") {
			t.Fatalf("stats %+v, err %v", stats, err)
		}
	})
	t.Run("no revision", func(t *testing.T) {
		_, stats, err := collect(t, []byte("<mediawiki><page><title>A</title><ns>0</ns></page></mediawiki>"), Options{})
		if err != nil || stats.Skipped != 1 {
			t.Fatalf("stats %+v, err %v", stats, err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		in := export(page("A", 0, 1, "Text.", "")) + "<page><title>B</title>"
		in = strings.Replace(in, "</mediawiki>\n", "", 1)
		docs, _, err := collect(t, []byte(in), Options{Source: "bad.xml"})
		if err == nil || !strings.Contains(err.Error(), "bad.xml:") || len(docs) != 1 {
			t.Fatalf("docs %d, err %v", len(docs), err)
		}
	})
	t.Run("not mediawiki", func(t *testing.T) {
		_, _, err := collect(t, []byte("<html><body>x</body></html>"), Options{})
		if !errors.Is(err, ErrNotMediaWiki) {
			t.Fatalf("err %v, want ErrNotMediaWiki", err)
		}
	})
	t.Run("callback error", func(t *testing.T) {
		var pages []string
		for i := range 100 {
			pages = append(pages, page(fmt.Sprint("P", i), 0, i+1, "Text.", ""))
		}
		stop := errors.New("stop")
		n := 0
		_, err := ReadXML(context.Background(), strings.NewReader(export(pages...)), Options{}, func(corpus.Document) error {
			n++
			if n == 5 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 5 || !strings.Contains(err.Error(), `page "P4"`) {
			t.Fatalf("n %d, err %v", n, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := ReadXML(ctx, strings.NewReader(export(page("A", 0, 1, "Text.", ""))), Options{}, func(corpus.Document) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestRead(t *testing.T) {
	var n int
	count := func(corpus.Document) error { n++; return nil }
	if _, err := Read(context.Background(), strings.NewReader(export(page("A", 0, 1, "Text.", ""))), Options{}, count); err != nil || n != 1 {
		t.Fatalf("xml: n %d, err %v", n, err)
	}
	if _, err := Read(context.Background(), strings.NewReader(`{"id":"1","contents":"\"A\"\nText."}`+"\n"), Options{}, count); err != nil || n != 2 {
		t.Fatalf("jsonl: n %d, err %v", n, err)
	}
	if _, err := Read(context.Background(), strings.NewReader("plain words"), Options{}, count); !errors.Is(err, ErrFormat) {
		t.Fatalf("err %v, want ErrFormat", err)
	}
	if _, err := Read(context.Background(), strings.NewReader(""), Options{}, count); err != nil {
		t.Fatalf("empty input: %v", err)
	}
}

func FuzzReadXML(f *testing.F) {
	f.Add([]byte(export(page("A", 0, 1, "'''A''' [[b]] {{c}}", ""), page("B", 0, 2, "#REDIRECT [[A]]", ""))))
	f.Add([]byte("<mediawiki><page><title>x</title><revision><text>y</text></revision></page></mediawiki>"))
	f.Add([]byte{0xFF, 0xFE, '<', 0, 'm', 0})
	f.Add([]byte("BZh91AY&SY"))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add([]byte(`<?xml version="1.0" encoding="bogus"?><mediawiki/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadXML(context.Background(), bytes.NewReader(data), Options{Workers: 2}, func(d corpus.Document) error {
			for _, s := range []string{"{{", "[[", "<ref"} {
				if strings.Contains(d.Text, s) {
					t.Fatalf("document text %q contains %q", d.Text, s)
				}
			}
			return nil
		})
	})
}
