package spec

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeArchive writes a tar.gz of n members named m00.json, m01.json...,
// each an OpenAI function doc padded with leading blanks to size bytes,
// into a temporary file.
func writeArchive(t *testing.T, n, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.tar.gz")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, packArchive(f, n, size, nil))
	require.NoError(t, f.Close())
	return path
}

// packArchive writes the archive of writeArchive to w in small pieces, so
// that writing it holds no member in memory, and calls after (when set)
// once each member is written.
func packArchive(w io.Writer, n, size int, after func(member int)) error {
	bw := bufio.NewWriter(w)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	line := []byte(strings.Repeat(" ", 79) + "\n")
	for i := range n {
		doc := fmt.Sprintf(`{"name":"pad_%02d","description":"padded","parameters":{"type":"object","properties":{}}}`, i)
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("m%02d.json", i), Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		for pad := size - len(doc); pad > 0; pad -= len(line) {
			if _, err := tw.Write(line[:min(pad, len(line))]); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(tw, doc); err != nil {
			return err
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if after != nil {
			// Push the member through the compressor to the reader.
			if err := zw.Flush(); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			after(i)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

func TestArchiveCaps(t *testing.T) {
	path := writeArchive(t, 5, 1000) // 5000 uncompressed bytes
	cases := []struct {
		name      string
		opt       Options
		err       string // "" for success
		tools     int
		oversized int
	}{
		{"defaults", Options{}, "", 5, 0},
		{"total exactly at the cap", Options{MaxArchiveBytes: 5000}, "", 5, 0},
		{"total past the cap names the member", Options{MaxArchiveBytes: 3500}, "member m03.json", 0, 0},
		{"first member past the cap", Options{MaxArchiveBytes: 999}, "member m00.json", 0, 0},
		{"members past the document cap are skipped", Options{MaxDocumentBytes: 999}, "", 0, 5},
		{"skipped members still count to the total", Options{MaxDocumentBytes: 999, MaxArchiveBytes: 2500}, "member m02.json", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cat, err := Read(context.Background(), []string{path}, tc.opt)
			if tc.err != "" {
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrArchiveTooLarge), "%v", err)
				assert.Contains(t, err.Error(), path, "the error names the archive")
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Len(t, cat.Tools, tc.tools)
			oversized := 0
			for _, s := range cat.Skipped {
				if strings.Contains(s.Reason, "larger than 999 bytes") && strings.HasPrefix(s.File, path+"!m0") {
					oversized++
				}
			}
			assert.Equal(t, tc.oversized, oversized, "%v", cat.Skipped)
		})
	}
}
