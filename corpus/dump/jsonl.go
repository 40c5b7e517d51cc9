package dump

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/simgym/simgym/corpus"
)

// MaxLineBytes is the longest JSONL line read; longer lines are skipped.
const MaxLineBytes = 64 << 20

// lineLimit is MaxLineBytes, lowered by tests.
var lineLimit = MaxLineBytes

// ReadJSONL reads passages from r (plain, gzip or bzip2), one JSON object a
// line: {"id", "contents"} where contents is the title (possibly in double
// quotes) on the first line and then the text, as in DPR and Search-R1
// corpora, or {"title", "text"} with an optional "id" and "url". Each
// passage becomes a document; without an id, its line number is its id.
// Blank lines are ignored; bad lines are counted as skipped with their
// line number and reason. It stops at the first read error, or error of
// ctx or fn, and returns it wrapped with the input's name and line. A
// damaged input (compressed data that fails its checksum or is cut short,
// or a last line cut before its end so that it is not JSON) ends with a
// *DamageError after every passage before the damage has been handed to
// fn.
func ReadJSONL(ctx context.Context, r io.Reader, opts Options, fn func(corpus.Document) error) (Stats, error) {
	rc, err := decompress(r, opts)
	if err != nil {
		return Stats{}, err
	}
	defer rc.Close()
	return readJSONL(ctx, rc, opts, fn)
}

// passageLine is one JSONL line in any of the accepted shapes.
type passageLine struct {
	ID json.RawMessage `json:"id"`
	// DocID is BrowseComp-Plus's name for the id.
	DocID    json.RawMessage `json:"docid"`
	Contents *string         `json:"contents"`
	Title    *string         `json:"title"`
	Text     *string         `json:"text"`
	URL      string          `json:"url"`
}

func readJSONL(ctx context.Context, r io.Reader, opts Options, fn func(corpus.Document) error) (Stats, error) {
	source := opts.source()
	br := bufio.NewReaderSize(r, 1<<16)
	var stats Stats
	for lineNo := 1; ; lineNo++ {
		if lineNo%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return stats, fmt.Errorf("%s:%d: %w", source, lineNo, err)
			}
		}
		line, tooLong, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			// The line read so far is cut: it is left out.
			if d := damaged(source, lineNo, "", err); d != nil {
				return stats, d
			}
			return stats, fmt.Errorf("%s:%d: %w", source, lineNo, err)
		}
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		switch {
		case errors.Is(err, io.EOF) && !tooLong && len(bytes.TrimSpace(line)) > 0 && !json.Valid(line):
			// A last line without its line end that is not JSON: the
			// file was cut in the middle of it.
			_, why := parsePassage(line, lineNo)
			return stats, &DamageError{Damage: Damage{Source: source, Line: lineNo, Reason: "last line cut short: " + why}, Err: io.ErrUnexpectedEOF}
		case tooLong:
			stats.skip(Skip{Source: source, Line: lineNo, Reason: fmt.Sprintf("line longer than %d bytes", lineLimit)})
		case len(bytes.TrimSpace(line)) > 0:
			doc, why := parsePassage(line, lineNo)
			if why != "" {
				stats.skip(Skip{Source: source, Line: lineNo, Page: doc.ID, Reason: why})
				break
			}
			if err := fn(doc); err != nil {
				return stats, fmt.Errorf("%s:%d: passage %q: %w", source, lineNo, doc.ID, err)
			}
			stats.Documents++
		}
		if errors.Is(err, io.EOF) {
			if err := ctx.Err(); err != nil {
				return stats, fmt.Errorf("%s: %w", source, err)
			}
			return stats, nil
		}
	}
}

// readLine reads one line without its end. A line longer than MaxLineBytes
// is read to its end and reported as too long instead.
func readLine(br *bufio.Reader) ([]byte, bool, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > lineLimit {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line = bytes.TrimRight(line, "\r\n")
		if err != nil && errors.Is(err, io.EOF) && len(line) == 0 && !tooLong {
			return nil, false, io.EOF
		}
		return line, tooLong, err
	}
}

// parsePassage turns one JSONL line into a document, or says why not.
func parsePassage(line []byte, lineNo int) (corpus.Document, string) {
	var pl passageLine
	if err := json.Unmarshal(line, &pl); err != nil {
		return corpus.Document{}, "invalid JSON: " + err.Error()
	}
	doc := corpus.Document{URL: pl.URL}
	rawID := pl.ID
	if len(bytes.TrimSpace(rawID)) == 0 || string(bytes.TrimSpace(rawID)) == "null" {
		rawID = pl.DocID
	}
	id, err := passageID(rawID)
	if err != nil {
		return doc, err.Error()
	}
	if id == "" {
		id = strconv.Itoa(lineNo)
	}
	doc.ID = id
	switch {
	case pl.Contents != nil:
		doc.Title, doc.Text = splitContents(*pl.Contents)
	case pl.Text != nil:
		doc.Text = strings.TrimSpace(*pl.Text)
		if pl.Title != nil {
			doc.Title = strings.TrimSpace(*pl.Title)
		} else if len(pl.DocID) > 0 {
			doc.Title = webPageTitle(doc.Text)
		}
	default:
		return doc, `no "contents" or "text" field`
	}
	if doc.Text == "" {
		return doc, "passage text is empty"
	}
	if !utf8.ValidString(doc.Title) || !utf8.ValidString(doc.Text) {
		return doc, "passage is not valid UTF-8"
	}
	if doc.URL == "" && doc.Title != "" {
		doc.URL = PageURL(doc.Title)
	}
	return doc, ""
}

// webPageTitle names a web page of BrowseComp-Plus's corpus, which has
// no title field: the "title:" of its front matter (a first line "---"),
// else its first line, cut to 100 bytes at a word.
func webPageTitle(text string) string {
	first, rest, _ := strings.Cut(text, "\n")
	if strings.TrimSpace(first) == "---" {
		for line := range strings.Lines(rest) {
			line = strings.TrimSpace(line)
			if line == "---" {
				break
			}
			if t, ok := strings.CutPrefix(line, "title:"); ok && strings.TrimSpace(t) != "" {
				return strings.Trim(strings.TrimSpace(t), `"'`)
			}
		}
		first, _, _ = strings.Cut(strings.TrimSpace(rest), "\n")
	}
	first = strings.TrimSpace(strings.TrimLeft(first, "# "))
	if len(first) > 100 {
		cut := strings.LastIndexByte(first[:100], ' ')
		if cut <= 0 {
			cut = 100
			for cut > 0 && !utf8.RuneStart(first[cut]) {
				cut--
			}
		}
		first = first[:cut]
	}
	return first
}

// passageID reads an id given as a JSON string or number.
func passageID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("bad id: %w", err)
		}
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("id is neither a string nor a number: %s", truncate(string(raw), 40))
	}
	return n.String(), nil
}

// splitContents splits DPR-style contents into the title (first line,
// quotes removed) and the text.
func splitContents(contents string) (string, string) {
	title, text, ok := strings.Cut(contents, "\n")
	if !ok {
		return "", strings.TrimSpace(contents)
	}
	title = strings.TrimSpace(title)
	if len(title) >= 2 && title[0] == '"' && title[len(title)-1] == '"' {
		title = strings.TrimSpace(title[1 : len(title)-1])
	}
	return title, strings.TrimSpace(text)
}

// truncate shortens s to at most n bytes for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
