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
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/simgym/simgym/tools"
)

// MaxDocumentSize is the default bound on one input document (a file or
// an archive member); larger ones are skipped.
const MaxDocumentSize = 64 << 20

// DefaultMaxArchiveBytes is the default bound on the uncompressed bytes
// of one archive's members together.
const DefaultMaxArchiveBytes = 8 << 30

// ErrArchiveTooLarge is returned (wrapped, naming the archive and the
// member that passed the bound) when an archive's members together are
// larger than Options.MaxArchiveBytes.
var ErrArchiveTooLarge = errors.New("archive too large")

// Options tune Read.
type Options struct {
	// Workers parse documents in parallel; 0 means runtime.NumCPU(). At
	// most Workers documents, and one more being read, are in memory at
	// once.
	Workers int
	// Progress, when set, is called after each document with the number
	// done so far and the number found so far. Calls never overlap.
	Progress func(done, found int)
	// MaxDocumentBytes bounds one document, a file or an archive member;
	// larger ones are skipped with a reason. 0 means MaxDocumentSize.
	MaxDocumentBytes int64
	// MaxArchiveBytes bounds the uncompressed size of one archive's
	// members together, so a small archive cannot make Read decompress
	// without end. Passing it fails Read with ErrArchiveTooLarge. 0 means
	// DefaultMaxArchiveBytes.
	MaxArchiveBytes int64
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.MaxDocumentBytes <= 0 {
		o.MaxDocumentBytes = MaxDocumentSize
	}
	if o.MaxArchiveBytes <= 0 {
		o.MaxArchiveBytes = DefaultMaxArchiveBytes
	}
	return o
}

// Read reads every path (file, folder or .tar.gz archive) and returns the
// catalog of the tools found, finalized (sorted, uniquely named). A file
// that cannot be parsed is recorded in Catalog.Skipped and the run goes
// on; Read fails only when a path cannot be opened at all, an archive
// passes Options.MaxArchiveBytes, or ctx ends.
//
// Documents are streamed: each file or archive member is read, handed to
// a parser and dropped once parsed, so memory stays bounded by a few
// documents however large the inputs are.
func Read(ctx context.Context, paths []string, opt Options) (*tools.Catalog, error) {
	opt = opt.withDefaults()
	type result struct {
		seq               int
		tools             []*tools.Tool
		skipped, repaired []tools.Skipped
	}
	var (
		mu      sync.Mutex
		results []result
		done    int
		found   int
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opt.Workers)
	c := &collector{opt: opt, emit: func(name string, data []byte) error {
		if err := gctx.Err(); err != nil {
			return err
		}
		mu.Lock()
		seq := found
		found++
		mu.Unlock()
		// Go blocks while all workers are busy, so the reader never runs
		// more than one document ahead of them.
		g.Go(func() error {
			ts, sk, rep := ReadDocumentRepaired(name, data)
			data = nil // parsed: the document's bytes can go
			mu.Lock()
			defer mu.Unlock()
			results = append(results, result{seq, ts, sk, rep})
			done++
			if opt.Progress != nil {
				opt.Progress(done, found)
			}
			return nil
		})
		return nil
	}}
	var err error
	for _, p := range paths {
		if err = c.collect(p); err != nil {
			break
		}
	}
	if werr := g.Wait(); err == nil {
		err = werr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("read specs: %w", err)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].seq < results[j].seq })
	cat := &tools.Catalog{Skipped: c.skipped}
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

// collector walks the input paths and hands each document to emit, one at
// a time; what cannot be read at all is noted in skipped.
type collector struct {
	opt     Options
	emit    func(name string, data []byte) error
	skipped []tools.Skipped
}

func (c *collector) skip(name, reason string) {
	c.skipped = append(c.skipped, tools.Skipped{File: name, Reason: reason})
}

// collect emits the documents under path: the file itself, every regular
// file of a folder (recursively, in lexical order) or every member of a
// gzip'd tar archive. Archives are recognised by their magic bytes.
func (c *collector) collect(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read spec %s: %w", path, err)
	}
	if !info.IsDir() {
		return c.collectFile(path, false)
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			c.skip(p, err.Error())
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		return c.collectFile(p, true)
	})
	if err != nil {
		return fmt.Errorf("read spec folder %s: %w", path, err)
	}
	return nil
}

// collectFile emits one file, or the members of an archive. Inside a
// folder (inFolder), a file that cannot be opened is skipped rather than
// failing the run.
func (c *collector) collectFile(path string, inFolder bool) error {
	f, err := os.Open(path)
	if err != nil {
		if inFolder {
			c.skip(path, err.Error())
			return nil
		}
		return fmt.Errorf("read spec %s: %w", path, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return c.collectTarGz(path, br)
	}
	limit := c.opt.MaxDocumentBytes
	data, err := io.ReadAll(io.LimitReader(br, min(limit, math.MaxInt64-1)+1))
	if err != nil {
		c.skip(path, fmt.Sprintf("read: %v", err))
		return nil
	}
	if int64(len(data)) > limit {
		c.skip(path, fmt.Sprintf("larger than %d bytes", limit))
		return nil
	}
	return c.emit(path, data)
}

// collectTarGz emits the regular members of a gzip'd tar archive one at a
// time, in the order they are packed (Finalize orders the tools by
// member name afterwards). A truncated or corrupt archive keeps the
// members read before the damage and notes it; members together larger
// than Options.MaxArchiveBytes fail with ErrArchiveTooLarge.
func (c *collector) collectTarGz(path string, r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		c.skip(path, fmt.Sprintf("archive: %v", err))
		return nil
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			c.skip(path, fmt.Sprintf("archive: %v", err))
			return nil
		}
		member := strings.TrimPrefix(h.Name, "./")
		name := path + "!" + member
		// Every member's bytes are decompressed, read or not. (Compared
		// before adding, so a huge claimed size cannot overflow total.)
		size := max(h.Size, 0)
		if size > c.opt.MaxArchiveBytes-total {
			return fmt.Errorf("read archive %s: member %s: %w: members pass %d uncompressed bytes (Options.MaxArchiveBytes)", path, member, ErrArchiveTooLarge, c.opt.MaxArchiveBytes)
		}
		total += size
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > c.opt.MaxDocumentBytes {
			c.skip(name, fmt.Sprintf("larger than %d bytes", c.opt.MaxDocumentBytes))
			continue
		}
		data := make([]byte, h.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			c.skip(name, fmt.Sprintf("archive: %v", err))
			return nil
		}
		if err := c.emit(name, data); err != nil {
			return err
		}
	}
}
