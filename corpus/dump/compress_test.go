package dump

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/simgym/simgym/corpus"
)

// bzip2Compress compresses data with the bzip2 command (the standard
// library has no bzip2 writer), skipping the test when it is missing.
func bzip2Compress(t testing.TB, data []byte) []byte {
	t.Helper()
	path, err := exec.LookPath("bzip2")
	if err != nil {
		t.Skip("the bzip2 command is not installed: skipping the bzip2 tests")
	}
	cmd := exec.Command(path, "-c", "-9")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bzip2: %v", err)
	}
	return out
}

// generatedPages returns n pages of wikitext markup.
func generatedPages(n int) []string {
	pages := make([]string, n)
	for i := range n {
		text := fmt.Sprintf("'''Page %d''' is a [[topic %d|topic]] in [[Category:Things]]the set.<ref>{{cite web|url=http://x/%d}}</ref>\n"+
			"{{Infobox thing|name=Page %d|size={{convert|%d|km}}}}\n== History ==\nIt began in %d.{{cn}} See [http://example.org/%d the site].\n"+
			"{| class=\"wikitable\"\n! A !! B\n|-\n| %d || [[Value %d]]\n|}\n",
			i, i%97, i, i, i, 1900+i%100, i, i, i)
		pages[i] = page(fmt.Sprintf("Page %d", i), 0, i+1, text, "")
	}
	return pages
}

// multistream compresses the export of pages as one bzip2 stream per
// group of pages, the way Wikipedia's multistream dumps are made.
func multistream(t testing.TB, pages []string, perStream int) []byte {
	t.Helper()
	full := export(pages...)
	head, _, _ := strings.Cut(full, "  <page>")
	var out bytes.Buffer
	out.Write(bzip2Compress(t, []byte(head)))
	for i := 0; i < len(pages); i += perStream {
		out.Write(bzip2Compress(t, []byte(strings.Join(pages[i:min(i+perStream, len(pages))], ""))))
	}
	out.Write(bzip2Compress(t, []byte("</mediawiki>\n")))
	return out.Bytes()
}

func readTitles(t *testing.T, input []byte, workers int) ([]string, Stats) {
	t.Helper()
	var titles []string
	stats, err := Read(context.Background(), bytes.NewReader(input), Options{Workers: workers}, func(d corpus.Document) error {
		titles = append(titles, d.Title)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return titles, stats
}

func TestMultistreamBzip2(t *testing.T) {
	pages := generatedPages(300)
	plain := []byte(export(pages...))
	compressed := multistream(t, pages, 7)
	if n := bytes.Count(compressed, []byte("BZh9")); n < 40 {
		t.Fatalf("only %d streams", n)
	}
	for _, workers := range []int{1, 2, 4} {
		rc, err := Decompress(bytes.NewReader(compressed), workers)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("workers %d: decompressed content differs (%d bytes, want %d)", workers, len(got), len(plain))
		}
		if z, ok := rc.(*bzip2Reader); !ok || z.received < 40 {
			t.Fatalf("workers %d: the streams were not decoded one by one", workers)
		}
		titles, stats := readTitles(t, compressed, workers)
		if stats.Documents != len(pages) {
			t.Fatalf("workers %d: %d documents, want %d", workers, stats.Documents, len(pages))
		}
		for i, title := range titles {
			if want := fmt.Sprintf("Page %d", i); title != want {
				t.Fatalf("workers %d: document %d is %q, want %q", workers, i, title, want)
			}
		}
	}
}

func TestSingleStreamBzip2(t *testing.T) {
	pages := generatedPages(50)
	plain := []byte(export(pages...))
	single := bzip2Compress(t, plain)
	// Force the sequential path for a large stream too, and a mix: small
	// streams first, then one larger than the parallel limit.
	defer func(old int) { maxStream = old }(maxStream)
	for _, limit := range []int{1 << 20, 64} {
		maxStream = limit
		for _, input := range [][]byte{single, multistream(t, pages, 10)} {
			rc, err := Decompress(bytes.NewReader(input), 2)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("limit %d: %d bytes, err %v", limit, len(got), err)
			}
		}
	}
}

func TestMixedStreamSizes(t *testing.T) {
	pages := generatedPages(60)
	plain := []byte(export(pages...))
	head, _, _ := strings.Cut(string(plain), "  <page>")
	var input bytes.Buffer
	input.Write(bzip2Compress(t, []byte(head)))
	small := 0
	for i := 0; i < 30; i += 3 {
		b := bzip2Compress(t, []byte(strings.Join(pages[i:i+3], "")))
		small = max(small, len(b))
		input.Write(b)
	}
	big := bzip2Compress(t, []byte(strings.Join(pages[30:], "")))
	input.Write(big)
	input.Write(bzip2Compress(t, []byte("</mediawiki>\n")))
	defer func(old int) { maxStream = old }(maxStream)
	maxStream = small + 100
	if len(big) <= maxStream {
		t.Fatalf("the big stream (%d bytes) is not bigger than the limit %d", len(big), maxStream)
	}
	rc, err := Decompress(bytes.NewReader(input.Bytes()), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("%d bytes, err %v", len(got), err)
	}
	if z := rc.(*bzip2Reader); z.received < 10 {
		t.Fatalf("only %d pieces: the small streams were not decoded in parallel", z.received)
	}
}

func TestBzip2Errors(t *testing.T) {
	pages := generatedPages(40)
	compressed := multistream(t, pages, 5)
	// Closing early stops the decoders.
	rc, err := Decompress(bytes.NewReader(compressed), 2)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if _, err := io.ReadFull(rc, buf); err != nil {
		t.Fatal(err)
	}
	rc.Close()
}

func TestGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(export(generatedPages(10)...))); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	_, stats := readTitles(t, buf.Bytes(), 2)
	if stats.Documents != 10 {
		t.Fatalf("%d documents", stats.Documents)
	}
}

// BenchmarkReadXML measures documents per second on a generated dump.
func BenchmarkReadXML(b *testing.B) {
	const n = 2000
	input := []byte(export(generatedPages(n)...))
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	docs := 0
	for b.Loop() {
		stats, err := ReadXML(context.Background(), bytes.NewReader(input), Options{}, func(corpus.Document) error { return nil })
		if err != nil || stats.Documents != n {
			b.Fatalf("%d documents, err %v", stats.Documents, err)
		}
		docs += stats.Documents
	}
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
}
