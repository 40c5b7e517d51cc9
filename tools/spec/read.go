// Package spec reads API specifications of many formats into simgym's one
// tool model (tools.Tool): OpenAPI 3.0 and 3.1, Swagger 2.0, OpenAI
// tool/function JSON, BFCL function docs, ToolBench/RapidAPI tool JSON and
// tau-bench's tools.json. Inputs may be files, folders (read recursively)
// or .tar.gz archives, and each document's format is detected from its
// content.
package spec

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/simgym/simgym/tools"
)

// MaxDocumentSize bounds one input document; larger ones are skipped.
const MaxDocumentSize = 64 << 20

// Options tune Read.
type Options struct {
	// Workers parse documents in parallel; 0 means runtime.NumCPU().
	Workers int
	// Progress, when set, is called after each document with the number
	// done so far and the number found so far.
	Progress func(done, found int)
}

// document is one input file's bytes and the name used to report it.
type document struct {
	name string
	data []byte
}

// Read reads every path (file, folder or .tar.gz archive) and returns the
// catalog of the tools found, finalized (sorted, uniquely named). A file
// that cannot be parsed is recorded in Catalog.Skipped and the run goes
// on; Read fails only when a path cannot be opened at all or ctx ends.
func Read(ctx context.Context, paths []string, opt Options) (*tools.Catalog, error) {
	var docs []document
	cat := &tools.Catalog{}
	for _, p := range paths {
		found, skipped, err := collect(p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, found...)
		cat.Skipped = append(cat.Skipped, skipped...)
	}
	type result struct {
		tools             []*tools.Tool
		skipped, repaired []tools.Skipped
	}
	results := make([]result, len(docs))
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	done := make(chan struct{}, len(docs))
	for i := range docs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			ts, sk, rep := ReadDocumentRepaired(docs[i].name, docs[i].data)
			results[i] = result{ts, sk, rep}
			docs[i].data = nil
			done <- struct{}{}
			return nil
		})
	}
	if opt.Progress != nil {
		go func() {
			for n := 1; n <= len(docs); n++ {
				if _, ok := <-done; !ok {
					return
				}
				opt.Progress(n, len(docs))
			}
		}()
	}
	err := g.Wait()
	close(done)
	if err != nil {
		return nil, fmt.Errorf("read specs: %w", err)
	}
	for _, r := range results {
		if len(r.tools) > 0 {
			cat.Specs++
		}
		cat.Tools = append(cat.Tools, r.tools...)
		cat.Skipped = append(cat.Skipped, r.skipped...)
		cat.Repaired = append(cat.Repaired, r.repaired...)
	}
	cat.Finalize()
	return cat, nil
}

// collect lists the documents under path: the file itself, every regular
// file of a folder (recursively, in lexical order) or every member of a
// gzip'd tar archive. Archives are recognised by their magic bytes.
func collect(path string) ([]document, []tools.Skipped, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read spec %s: %w", path, err)
	}
	if !info.IsDir() {
		return collectFile(path)
	}
	var docs []document
	var skipped []tools.Skipped
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			skipped = append(skipped, tools.Skipped{File: p, Reason: err.Error()})
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		ds, sk, err := collectFile(p)
		if err != nil {
			skipped = append(skipped, tools.Skipped{File: p, Reason: err.Error()})
			return nil
		}
		docs = append(docs, ds...)
		skipped = append(skipped, sk...)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read spec folder %s: %w", path, err)
	}
	return docs, skipped, nil
}

func collectFile(path string) ([]document, []tools.Skipped, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read spec %s: %w", path, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return collectTarGz(path, br)
	}
	data, err := io.ReadAll(io.LimitReader(br, MaxDocumentSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read spec %s: %w", path, err)
	}
	if len(data) > MaxDocumentSize {
		return nil, []tools.Skipped{{File: path, Reason: fmt.Sprintf("larger than %d bytes", MaxDocumentSize)}}, nil
	}
	return []document{{name: path, data: data}}, nil, nil
}

// collectTarGz reads the regular members of a gzip'd tar archive, sorted
// by member name so that the order never depends on how it was packed.
func collectTarGz(path string, r io.Reader) ([]document, []tools.Skipped, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read archive %s: %w", path, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var docs []document
	var skipped []tools.Skipped
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A truncated or corrupt archive: keep what was read.
			skipped = append(skipped, tools.Skipped{File: path, Reason: fmt.Sprintf("archive: %v", err)})
			break
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path + "!" + strings.TrimPrefix(h.Name, "./")
		if h.Size > MaxDocumentSize {
			skipped = append(skipped, tools.Skipped{File: name, Reason: fmt.Sprintf("larger than %d bytes", MaxDocumentSize)})
			continue
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, tr); err != nil {
			skipped = append(skipped, tools.Skipped{File: name, Reason: fmt.Sprintf("archive: %v", err)})
			break
		}
		docs = append(docs, document{name: name, data: buf.Bytes()})
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].name < docs[j].name })
	return docs, skipped, nil
}
