package cli

import (
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/internal/testenv"
)

func TestCorpusBuildRealDumps(t *testing.T) {
	data := testenv.Data(t, "wiki")
	out := filepath.Join(t.TempDir(), "index")
	code, stdout, stderr := runCmd(t, "corpus", "build", "--input", filepath.Join(data, "enwiki-table-markup.xml.bz2"),
		"--input", filepath.Join(data, "bgwiki-pages-articles-shortened.xml.bz2"), "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
	for _, k := range []string{"documents", "redirects", "skipped", "seconds"} {
		assert.Contains(t, sum, k)
	}
	assert.EqualValues(t, 6, sum["documents"], "5 English and 1 Bulgarian articles")
	assert.EqualValues(t, 0, sum["skipped"])
	// An index may not be built over an existing one.
	code, _, stderr = runCmd(t, "corpus", "build", "--input", filepath.Join(data, "enwiki-table-markup.xml.bz2"), "--out", out)
	assert.Equal(t, 1, code)
	assert.NotEmpty(t, stderr)
}

func TestCorpusSimWiki(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sw")
	code, stdout, stderr := runCmd(t, "corpus", "simwiki", "--articles", "300", "--seed", "4", "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
	for _, k := range []string{"articles", "entities", "tasks", "seconds"} {
		assert.Contains(t, sum, k)
	}
	assert.EqualValues(t, 300, sum["articles"])
	assert.Greater(t, sum["tasks"].(float64), 0.0)
	code, _, _ = runCmd(t, "corpus", "simwiki", "--articles", "300")
	assert.Equal(t, 2, code, "--out is required")
	code, _, _ = runCmd(t, "corpus", "nope")
	assert.Equal(t, 2, code)
}

// enwikiPages reads the English test dump and cuts it into the XML before
// the first page, the pages, and the XML after the last.
func enwikiPages(t *testing.T) (head string, pages []string, tail string) {
	t.Helper()
	f, err := os.Open(testenv.Data(t, "wiki/enwiki-table-markup.xml.bz2"))
	require.NoError(t, err)
	defer f.Close()
	raw, err := io.ReadAll(bzip2.NewReader(f))
	require.NoError(t, err)
	s := string(raw)
	first, last := strings.Index(s, "  <page>"), strings.LastIndex(s, "</page>\n")+len("</page>\n")
	require.True(t, first > 0 && last > first)
	for _, p := range strings.SplitAfter(s[first:last], "</page>\n") {
		if p != "" {
			pages = append(pages, p)
		}
	}
	require.Len(t, pages, 5)
	return s[:first], pages, s[last:]
}

// bzip2Command compresses data with the bzip2 command at a block size
// level (1: blocks of 100 kB), skipping the test when it is missing.
func bzip2Command(t *testing.T, data string, level int) []byte {
	t.Helper()
	path, err := exec.LookPath("bzip2")
	if err != nil {
		t.Skip("the bzip2 command is not installed")
	}
	cmd := exec.Command(path, "-c", fmt.Sprintf("-%d", level))
	cmd.Stdin = strings.NewReader(data)
	out, err := cmd.Output()
	require.NoError(t, err)
	return out
}

// flipForChecksum changes one byte of data, at or after from, so that the
// bzip2 block decodes but fails its checksum.
func flipForChecksum(t *testing.T, data []byte, from int) []byte {
	t.Helper()
	for i := from; i < len(data); i++ {
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

func TestCorpusBuildDamagedInputs(t *testing.T) {
	head, pages, tail := enwikiPages(t)
	titles := []string{"Constructive vote of no confidence", "List of Prison Break characters",
		"Academy Award for Best Production Design", "Economy of Estonia", "Brahui language"}
	for i, p := range pages {
		require.Contains(t, p, "<title>"+titles[i]+"</title>")
	}
	good := testenv.Data(t, "wiki/bgwiki-pages-articles-shortened.xml.bz2") // one article
	const goodTitle = "Григориански календар"
	full := head + strings.Join(pages, "") + tail

	// A multistream dump, one stream per page as Wikipedia makes them.
	var multi []byte
	var starts []int // where each page's stream starts, then the tail's
	multi = append(multi, bzip2Command(t, head, 9)...)
	for _, p := range pages {
		starts = append(starts, len(multi))
		multi = append(multi, bzip2Command(t, p, 9)...)
	}
	starts = append(starts, len(multi))
	multi = append(multi, bzip2Command(t, tail, 9)...)
	streamCut := func(page int) []byte { // cut in the middle of a page's stream
		return multi[:(starts[page]+starts[page+1])/2]
	}
	single := bzip2Command(t, full, 1) // three 100 kB blocks

	var passages strings.Builder
	for i, title := range titles {
		fmt.Fprintf(&passages, `{"id":"p%d","title":%q,"text":"The passage about %s."}`+"\n", i, title, title)
	}
	jsonl := passages.String()

	type want struct {
		docs   int    // documents kept from the damaged input
		offset int    // compressed offset of the damage, -1 for none
		line   int    // line of the damage, 0 when not checked
		page   string // page of the damage, when checked
		reason string
	}
	cases := []struct {
		name  string
		file  string
		input []byte
		want  want
	}{
		{"multistream cut in page 2", "cut2.xml.bz2", streamCut(1), want{1, starts[1], 0, "", "bzip2 data corrupt"}},
		{"multistream cut in page 4", "cut4.xml.bz2", streamCut(3), want{3, starts[3], 0, "", "stream cut short"}},
		{"multistream cut in page 5", "cut5.xml.bz2", streamCut(4), want{4, starts[4], 0, "", "stream cut short"}},
		{"multistream checksum", "crc.xml.bz2", flipForChecksum(t, multi, starts[2]+100), want{2, starts[2], 0, "", "block checksum mismatch"}},
		// The third block starts before page 4 ends, the second holds the
		// end of page 3.
		{"single stream checksum in block 3", "crc1.xml.bz2", flipForChecksum(t, single, len(single)*9/10), want{3, -1, 0, "", "block checksum mismatch"}},
		{"single stream cut in block 3", "cut3.xml.bz2", single[:len(single)-100], want{3, -1, 0, "", "stream cut short"}},
		{"single stream cut in block 1", "cut1.xml.bz2", single[:len(single)/5], want{0, 0, 0, "", "stream cut short"}},
		{"XML cut mid-page", "cut.xml", []byte(full[:strings.Index(full, "<title>"+titles[3])+200]), want{3, -1, strings.Count(full[:strings.Index(full, "<title>"+titles[3])+200], "\n") + 1, titles[3], "XML syntax error"}},
		{"JSONL cut mid-line", "cut.jsonl", []byte(jsonl[:strings.Index(jsonl, `{"id":"p2"`)+30]), want{2, -1, 3, "", "last line cut short"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			damaged := filepath.Join(dir, c.file)
			require.NoError(t, os.WriteFile(damaged, c.input, 0o644))
			for _, keep := range []bool{false, true} {
				out := filepath.Join(dir, fmt.Sprintf("index-%v", keep))
				args := []string{"corpus", "build", "--input", damaged, "--input", good, "--out", out, "--json"}
				if keep {
					args = append(args, "--keep-partial")
				}
				code, stdout, stderr := runCmd(t, args...)
				var sum struct {
					Documents int `json:"documents"`
					Damaged   []struct {
						File   string `json:"file"`
						Offset *int   `json:"offset"`
						Line   int    `json:"line"`
						Page   string `json:"page"`
						Reason string `json:"reason"`
					} `json:"damaged"`
				}
				require.NoError(t, json.Unmarshal([]byte(stdout), &sum), "stdout %q, stderr %q", stdout, stderr)
				assert.Equal(t, c.want.docs+1, sum.Documents, "the damaged input's documents before the damage and the other input's")
				require.Len(t, sum.Damaged, 1)
				d := sum.Damaged[0]
				assert.Equal(t, damaged, d.File)
				assert.Contains(t, d.Reason, c.want.reason)
				if strings.HasSuffix(c.file, ".bz2") {
					require.NotNil(t, d.Offset, "a bzip2 damage has its compressed offset")
					assert.Contains(t, d.Reason, "bzip2 data corrupt at compressed offset", "bzip2 damage is told as bzip2")
					assert.NotContains(t, d.Reason, "XML")
					if c.want.offset >= 0 {
						assert.Equal(t, c.want.offset, *d.Offset)
					}
					assert.Less(t, *d.Offset, len(c.input))
				} else {
					assert.Nil(t, d.Offset)
					assert.Equal(t, c.want.line, d.Line)
					assert.Equal(t, c.want.page, d.Page)
				}
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if keep {
					assert.Equal(t, 0, code, stderr)
					assert.Contains(t, stderr, "damaged: "+damaged)
				} else {
					assert.Equal(t, 1, code, stderr)
					require.Len(t, lines, 1, "one line on stderr")
					assert.True(t, strings.HasPrefix(lines[0], "simgym corpus: corpus build: damaged input: "+damaged), lines[0])
					if d.Offset != nil {
						assert.Contains(t, lines[0], fmt.Sprintf("bzip2 data corrupt at compressed offset %d", *d.Offset))
					} else {
						assert.Contains(t, lines[0], fmt.Sprintf("%s:%d:", damaged, d.Line))
					}
				}

				// The index is complete either way: the documents before
				// the damage and the other input's are found.
				ix, err := index.Open(out)
				require.NoError(t, err)
				assert.Equal(t, c.want.docs+1, ix.Info().Documents)
				for i, title := range titles {
					doc, err := ix.Page(title)
					if i < c.want.docs {
						if assert.NoError(t, err, title) {
							assert.Equal(t, title, doc.Title)
						}
					} else {
						assert.ErrorIs(t, err, index.ErrNotFound, "%s comes after the damage", title)
					}
				}
				if _, err := ix.Page(goodTitle); err != nil {
					t.Errorf("the other input's article: %v", err)
				}
				hits, err := ix.Search(context.Background(), titles[0], 3)
				require.NoError(t, err)
				if c.want.docs > 0 && assert.NotEmpty(t, hits) {
					assert.Equal(t, titles[0], hits[0].Title, "the first page is searchable")
				}
				require.NoError(t, ix.Close())
			}
		})
	}
}
