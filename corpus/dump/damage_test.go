package dump

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/simgym/simgym/corpus"
)

// bzip2Level compresses data with the bzip2 command at a block size level
// (1 means blocks of 100 kB), skipping the test when it is missing.
func bzip2Level(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	path, err := exec.LookPath("bzip2")
	if err != nil {
		t.Skip("the bzip2 command is not installed: skipping the bzip2 tests")
	}
	cmd := exec.Command(path, "-c", fmt.Sprintf("-%d", level))
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bzip2: %v", err)
	}
	return out
}

// readAll reads input with Read and returns the titles handed over.
func readAll(input []byte, workers int) ([]string, Stats, error) {
	var titles []string
	st, err := Read(context.Background(), bytes.NewReader(input), Options{Source: "in.bz2", Workers: workers}, func(d corpus.Document) error {
		titles = append(titles, d.Title)
		return nil
	})
	return titles, st, err
}

// wantPrefixTitles checks that titles are the first pages, in order.
func wantPrefixTitles(t *testing.T, titles []string) {
	t.Helper()
	for i, title := range titles {
		if want := fmt.Sprintf("Page %d", i); title != want {
			t.Fatalf("document %d is %q, want %q", i, title, want)
		}
	}
}

// checkedPrefix decompresses input with Decompress, returning what it
// gives before its error, and checks that this is a prefix of plain: no
// byte of a corrupt block gets through.
func checkedPrefix(t *testing.T, input, plain []byte, workers int) ([]byte, error) {
	t.Helper()
	rc, err := Decompress(bytes.NewReader(input), workers)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if !bytes.HasPrefix(plain, got) {
		t.Fatalf("the %d bytes decompressed before the error are not the start of the content", len(got))
	}
	return got, err
}

// checksumFlip returns a copy of data with one byte, at or after from,
// changed so that compress/bzip2 decodes the block but fails its checksum
// (rather than failing to decode it).
func checksumFlip(t *testing.T, data []byte, from int) []byte {
	t.Helper()
	for i := from; i < len(data)-100; i++ {
		bad := bytes.Clone(data)
		bad[i] ^= 0x01
		_, err := io.ReadAll(bzip2.NewReader(bytes.NewReader(bad)))
		var se bzip2.StructuralError
		if errors.As(err, &se) && strings.Contains(string(se), "checksum mismatch") {
			return bad
		}
	}
	t.Fatal("no byte flip breaks only a checksum")
	return nil
}

// wantBzip2Damage checks that err reports bzip2 corruption, not bad XML.
func wantBzip2Damage(t *testing.T, err error) *DamageError {
	t.Helper()
	var (
		de *DamageError
		ce *CorruptError
		se *xml.SyntaxError
	)
	if !errors.As(err, &de) || !errors.As(err, &ce) || ce.Format != "bzip2" || errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want bzip2 corruption", err, err)
	}
	if de.Offset == nil || *de.Offset != ce.Offset || de.Source != "in.bz2" {
		t.Fatalf("damage %+v does not give the input and offset", de.Damage)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, fmt.Sprintf("in.bz2: bzip2 data corrupt at compressed offset %d: ", ce.Offset)) {
		t.Fatalf("message %q", msg)
	}
	return de
}

func TestBzip2Damage(t *testing.T) {
	pages := generatedPages(500)
	plain := []byte(export(pages...))
	single := bzip2Level(t, plain, 1) // a few 100 kB blocks in one stream
	multi := multistream(t, pages, 20)
	if len(plain) < 250_000 {
		t.Fatalf("only %d bytes: too few blocks", len(plain))
	}
	cases := []struct {
		name     string
		input    []byte
		minDocs  int // documents the good blocks hold at least
		maxBytes int // the damage starts at or before this offset
		reason   string
	}{
		{"single stream cut in block 3", single[:len(single)*3/4], 100, len(single) * 3 / 4, "cut short"},
		{"single stream cut near the end", single[:len(single)-30], 300, len(single) - 30, "cut short"},
		{"single stream cut in block 1", single[:len(single)/10], 0, 0, "cut short"},
		{"single stream checksum", checksumFlip(t, single, len(single)/2), 100, len(single) / 2, "checksum mismatch"},
		{"multistream cut mid-stream", multi[:len(multi)/2], 150, len(multi) / 2, "cut short"},
		{"multistream cut in a stream header", multi[:nthStream(multi, 10)+5], 9 * 20, nthStream(multi, 10), "unexpected EOF"},
		{"multistream checksum", checksumFlip(t, multi, nthStream(multi, 7)+30), 6 * 20, nthStream(multi, 7), "checksum mismatch"},
	}
	for _, c := range cases {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers %d", c.name, workers), func(t *testing.T) {
				titles, st, err := readAll(c.input, workers)
				de := wantBzip2Damage(t, err)
				if !strings.Contains(de.Reason, c.reason) {
					t.Errorf("reason %q, want %q", de.Reason, c.reason)
				}
				if *de.Offset > int64(c.maxBytes) {
					t.Errorf("damage at offset %d, after %d", *de.Offset, c.maxBytes)
				}
				wantPrefixTitles(t, titles)
				if st.Documents != len(titles) || len(titles) < c.minDocs {
					t.Errorf("%d documents (stats %d), want at least %d", len(titles), st.Documents, c.minDocs)
				}
				// Every page the checked data holds became a document.
				good, derr := checkedPrefix(t, c.input, plain, workers)
				if derr == nil {
					t.Fatal("Decompress read the damaged input without error")
				}
				if whole := bytes.Count(good, []byte("</page>")); len(titles) != whole {
					t.Errorf("%d documents, but the good data holds %d whole pages", len(titles), whole)
				}
			})
		}
	}
}

// nthStream returns the offset of the n-th bzip2 stream (from 0) in data.
func nthStream(data []byte, n int) int {
	for i := 0; i+10 <= len(data); i++ {
		if isBzip2(data[i : i+10]) {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}

func TestXMLDamage(t *testing.T) {
	var pages []string
	for i := range 5 {
		pages = append(pages, page(fmt.Sprintf("Page %d", i), 0, i+1, fmt.Sprintf("Text of page %d.", i), ""))
	}
	full := export(pages...)
	third := strings.Index(full, "<title>Page 2</title>")
	cases := []struct {
		name  string
		input string
		docs  int
		page  string
	}{
		{"cut after a title", full[:third+30], 2, "Page 2"},
		{"cut before a title", full[:third-5], 2, ""},
		{"cut in a text", full[:strings.Index(full, "Text of page 4")+6], 4, "Page 4"},
		{"cut before the root ends", strings.TrimSuffix(full, "</mediawiki>\n"), 5, ""},
		{"malformed title", strings.Replace(full, "<title>Page 3</title>", "<title>Page 3</titel>", 1), 3, ""},
		{"malformed text", strings.Replace(full, "Text of page 3.", "Text of page 3.</text>", 1), 3, "Page 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var titles []string
			st, err := ReadXML(context.Background(), strings.NewReader(c.input), Options{Source: "cut.xml"}, func(d corpus.Document) error {
				titles = append(titles, d.Title)
				return nil
			})
			var (
				de *DamageError
				se *xml.SyntaxError
			)
			if !errors.As(err, &de) || !errors.As(err, &se) {
				t.Fatalf("err = %v, want XML damage", err)
			}
			if st.Documents != c.docs || len(titles) != c.docs {
				t.Errorf("%d documents, want %d", len(titles), c.docs)
			}
			wantPrefixTitles(t, titles)
			if de.Source != "cut.xml" || de.Line < 1 || de.Offset != nil || de.Page != c.page {
				t.Errorf("damage %+v", de.Damage)
			}
			if want := fmt.Sprintf("cut.xml:%d: ", de.Line); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message %q, want it to start with %q", err, want)
			}
		})
	}
}

func TestGzipDamage(t *testing.T) {
	var pages []string
	for i := range 200 {
		pages = append(pages, page(fmt.Sprintf("Page %d", i), 0, i+1, fmt.Sprintf("Text of page %d, with words of its own: %x.", i, i*7919), ""))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(export(pages...))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	cut := buf.Bytes()[:buf.Len()/2]
	var titles []string
	_, err := Read(context.Background(), bytes.NewReader(cut), Options{Source: "in.gz"}, func(d corpus.Document) error {
		titles = append(titles, d.Title)
		return nil
	})
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Format != "gzip" || ce.Offset > int64(len(cut)) || !strings.Contains(err.Error(), "gzip data corrupt at compressed offset") {
		t.Fatalf("err = %v", err)
	}
	if len(titles) == 0 {
		t.Fatal("no document read before the cut")
	}
	wantPrefixTitles(t, titles)
}

func TestJSONLDamage(t *testing.T) {
	var lines []string
	for i := range 3000 {
		lines = append(lines, fmt.Sprintf(`{"id":"p%d","title":"Page %d","text":"Passage %d of the file, %x."}`, i, i, i, i*104729))
	}
	plain := strings.Join(lines, "\n") + "\n"
	read := func(input []byte) ([]string, error) {
		var titles []string
		_, err := Read(context.Background(), bytes.NewReader(input), Options{Source: "in.bz2"}, func(d corpus.Document) error {
			titles = append(titles, d.Title)
			return nil
		})
		return titles, err
	}
	t.Run("last line cut", func(t *testing.T) {
		cut := plain[:strings.Index(plain, `{"id":"p7"`)+20]
		titles, err := read([]byte(cut))
		var de *DamageError
		if !errors.As(err, &de) || de.Line != 8 || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), "in.bz2:8: last line cut short") {
			t.Fatalf("err = %v", err)
		}
		if len(titles) != 7 {
			t.Fatalf("%d passages, want 7", len(titles))
		}
		wantPrefixTitles(t, titles)
	})
	t.Run("last line whole without a line end", func(t *testing.T) {
		titles, err := read([]byte(strings.TrimSuffix(plain, "\n")))
		if err != nil || len(titles) != len(lines) {
			t.Fatalf("%d passages, err %v", len(titles), err)
		}
	})
	t.Run("bzip2 cut", func(t *testing.T) {
		compressed := bzip2Level(t, []byte(plain), 1)
		cut := compressed[:len(compressed)*2/3]
		titles, err := read(cut)
		de := wantBzip2Damage(t, err)
		if len(titles) == 0 || de.Line != len(titles)+1 {
			t.Fatalf("%d passages, damage at line %d", len(titles), de.Line)
		}
		wantPrefixTitles(t, titles)
	})
}

// FuzzBzip2Damage cuts and changes a multistream dump: whatever the
// damage, what Decompress hands out before its error is the start of the
// content, and the error is bzip2 corruption.
func FuzzBzip2Damage(f *testing.F) {
	pages := generatedPages(60)
	plain := []byte(export(pages...))
	input := multistream(f, pages, 10)
	f.Add(uint32(len(input)/2), uint32(0), byte(0))
	f.Add(uint32(len(input)), uint32(len(input)/3), byte(1))
	f.Add(uint32(len(input)-3), uint32(200), byte(0x80))
	f.Fuzz(func(t *testing.T, cut, at uint32, flip byte) {
		data := bytes.Clone(input[:int(cut)%(len(input)+1)])
		if len(data) > 0 {
			data[int(at)%len(data)] ^= flip
		}
		for _, workers := range []int{1, 2} {
			rc, err := Decompress(bytes.NewReader(data), workers)
			if err != nil {
				continue
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			var ce *CorruptError
			if err != nil && !errors.As(err, &ce) {
				t.Fatalf("error %v is not bzip2 corruption", err)
			}
			if err == nil && !bytes.Equal(got, plain) && flip == 0 && len(data) == len(input) {
				t.Fatal("the whole input decompressed to other content")
			}
			if err != nil && !bytes.HasPrefix(plain, got) {
				t.Fatalf("%d bytes of a damaged input are not the start of the content", len(got))
			}
		}
	})
}
