package dump

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync"
)

// bzip2 stream layout: "BZh" and a block size digit, then the first block,
// which starts with the block magic; an empty stream has the end-of-stream
// magic there instead.
var (
	bzipBlockMagic = []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}
	bzipEndMagic   = []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90}
)

// isBzip2 reports whether head starts a bzip2 stream.
func isBzip2(head []byte) bool {
	if len(head) < 10 || !bytes.HasPrefix(head, []byte("BZh")) || head[3] < '1' || head[3] > '9' {
		return false
	}
	return bytes.Equal(head[4:10], bzipBlockMagic) || bytes.Equal(head[4:10], bzipEndMagic)
}

// Decompress returns the content of r: decompressed when it is bzip2 or
// gzip (told by their magic bytes), as it is otherwise. A bzip2 input made
// of many streams (a "multistream" dump) is decoded by up to workers
// goroutines at once, in order; a single stream is decoded as it is read.
// A bzip2 block's data is handed out only once its checksum has checked
// out. Corrupt or truncated compressed data ends the content with a
// *CorruptError (after the data before it). Close the result to stop any
// decoding still under way.
func Decompress(r io.Reader, workers int) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(10)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch {
	case isBzip2(head):
		return newBzip2Reader(br, max(1, workers)), nil
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		in := &countingReader{r: br}
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, corruptOrRead("gzip", in.n, err)
		}
		return &gzipReader{z: zr, in: in}, nil
	}
	return io.NopCloser(br), nil
}

// maxStream is the largest compressed stream decoded as one piece. A
// larger stream, or a first stream that has no second after it, is decoded
// sequentially as it is read.
var maxStream = 8 << 20

// streamPiece is one bzip2 stream on its way through the decoders.
type streamPiece struct {
	offset int64  // where it starts in the compressed input
	data   []byte // compressed, then decompressed
	tail   io.Reader
	err    error // read after data
	done   chan struct{}
}

// bzip2Reader decodes bzip2 input, in parallel when it holds many streams.
type bzip2Reader struct {
	pieces   chan *streamPiece
	quit     chan struct{}
	once     sync.Once
	cur      *streamPiece
	off      int
	err      error
	received int // pieces received, for tests: more than one means parallel decoding
}

func newBzip2Reader(src *bufio.Reader, workers int) *bzip2Reader {
	z := &bzip2Reader{
		pieces: make(chan *streamPiece, 2*workers),
		quit:   make(chan struct{}),
	}
	go z.split(src, workers)
	return z
}

// split cuts the compressed input into streams and hands them to the
// decoders, in order, until the input ends or the reader is closed.
func (z *bzip2Reader) split(src *bufio.Reader, workers int) {
	defer close(z.pieces)
	jobs := make(chan *streamPiece)
	defer close(jobs)
	for range workers {
		go func() {
			for p := range jobs {
				// On corruption, data keeps the stream's blocks that
				// checked out, before the bad one.
				p.data, p.err = io.ReadAll(newVerifiedReader(bytes.NewReader(p.data), p.offset))
				close(p.done)
			}
		}()
	}
	send := func(p *streamPiece, decode bool) bool {
		select {
		case z.pieces <- p:
		case <-z.quit:
			return false
		}
		if !decode {
			close(p.done)
			return true
		}
		select {
		case jobs <- p:
			return true
		case <-z.quit:
			return false
		}
	}
	var (
		chunk  []byte // the current stream, read so far
		offset int64  // where chunk starts in the input
		from   = 1    // where to look for the next stream in chunk
		index  int
		buf    = make([]byte, 1<<18)
	)
	sequential := func() {
		// Decode the rest as it comes: chunk, then whatever is unread.
		rest := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(chunk), src), 1<<16)
		send(&streamPiece{offset: offset, tail: newVerifiedReader(rest, offset), done: make(chan struct{})}, false)
	}
	for {
		n, err := src.Read(buf)
		chunk = append(chunk, buf[:n]...)
		for {
			k := nextStream(chunk, from)
			if k < 0 {
				from = max(1, len(chunk)-9)
				break
			}
			piece := &streamPiece{offset: offset, data: bytes.Clone(chunk[:k]), done: make(chan struct{})}
			if !send(piece, true) {
				return
			}
			index++
			offset += int64(k)
			chunk = append([]byte(nil), chunk[k:]...)
			from = 1
		}
		if len(chunk) > maxStream || (index == 0 && errors.Is(err, io.EOF)) {
			sequential()
			return
		}
		if errors.Is(err, io.EOF) {
			if len(chunk) > 0 {
				send(&streamPiece{offset: offset, data: chunk, done: make(chan struct{})}, true)
			}
			return
		}
		if err != nil {
			p := &streamPiece{err: fmt.Errorf("read compressed input at byte %d: %w", offset+int64(len(chunk)), err), done: make(chan struct{})}
			send(p, false)
			return
		}
	}
}

// nextStream returns the index of the first bzip2 stream header in chunk
// at or after from, or -1.
func nextStream(chunk []byte, from int) int {
	for from+10 <= len(chunk) {
		k := bytes.Index(chunk[from:], []byte("BZh"))
		if k < 0 {
			return -1
		}
		at := from + k
		if at+10 > len(chunk) {
			return -1
		}
		if isBzip2(chunk[at : at+10]) {
			return at
		}
		from = at + 1
	}
	return -1
}

// Read implements io.Reader.
func (z *bzip2Reader) Read(p []byte) (int, error) {
	for {
		if z.err != nil {
			return 0, z.err
		}
		if z.cur == nil {
			piece, ok := <-z.pieces
			z.received++
			if !ok {
				z.err = io.EOF
				continue
			}
			<-piece.done
			z.cur, z.off = piece, 0
		}
		if z.cur.tail != nil {
			n, err := z.cur.tail.Read(p)
			if err != nil && !errors.Is(err, io.EOF) {
				z.err = err
			}
			return n, err
		}
		if z.off < len(z.cur.data) {
			n := copy(p, z.cur.data[z.off:])
			z.off += n
			return n, nil
		}
		// The data before a piece's error is read first, then the error.
		if z.cur.err != nil {
			z.err = z.cur.err
		}
		z.cur = nil
	}
}

// Close stops the decoders. It does not close the underlying reader.
func (z *bzip2Reader) Close() error {
	z.once.Do(func() { close(z.quit) })
	return nil
}

// CorruptError is compressed input that cannot be decoded: a checksum that
// does not match, a malformed block, or a stream cut short. Readers return
// it wrapped in a DamageError, after the data before the damage.
type CorruptError struct {
	// Format is "bzip2" or "gzip".
	Format string
	// Offset is the byte offset in the compressed input where the bad data
	// starts: for bzip2, the start of the block that failed (everything
	// before it was decoded and checked); for gzip, where decoding failed.
	Offset int64
	// Err is the decoder's error: a bzip2.StructuralError, a
	// flate.CorruptInputError, gzip.ErrChecksum or io.ErrUnexpectedEOF.
	Err error
}

// Error formats the error as "bzip2 data corrupt at compressed offset N:
// reason".
func (e *CorruptError) Error() string {
	reason := e.Err.Error()
	var se bzip2.StructuralError
	switch {
	case errors.As(e.Err, &se):
		reason = string(se) // without the package's "bzip2 data invalid: "
	case errors.Is(e.Err, io.ErrUnexpectedEOF):
		reason = "stream cut short: unexpected EOF"
	}
	return fmt.Sprintf("%s data corrupt at compressed offset %d: %s", e.Format, e.Offset, reason)
}

// Unwrap returns the decoder's error.
func (e *CorruptError) Unwrap() error { return e.Err }

// corruptOrRead wraps a decoder's error: a *CorruptError when the data is
// bad, a read error of the input otherwise.
func corruptOrRead(format string, offset int64, err error) error {
	var (
		se bzip2.StructuralError
		fe flate.CorruptInputError
	)
	switch {
	case errors.As(err, &se), errors.As(err, &fe), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return &CorruptError{Format: format, Offset: offset, Err: err}
	}
	return fmt.Errorf("read %s input at byte %d: %w", format, offset, err)
}

// byteReader is what the decompressors read from without buffering again.
type byteReader interface {
	io.Reader
	io.ByteReader
}

// countingReader counts the bytes read through it, so that decoding errors
// can say where they happened. The decoders read it byte by byte.
type countingReader struct {
	r byteReader
	n int64
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// verifiedReader decodes bzip2 and hands out a block's data only once the
// block's checksum has been checked: compress/bzip2 returns a block's
// bytes as it decodes them and compares the checksum at the block's end,
// so a corrupt block would otherwise reach the XML parser as garbage (and
// be reported as bad XML) before the checksum fails.
//
// The decoder reads compressed input only to start a block (or a stream)
// and only after it has checked the checksum of the block before, so a
// Read during which input was consumed proves the previous block good.
type verifiedReader struct {
	z          io.Reader
	in         *countingReader
	base       int64  // the input's offset in the whole compressed input
	blockStart int64  // where the current block starts in the input
	held       []byte // the current block's data, not checked yet
	ready      []byte // checked data; ready[pos:] is still to be read
	pos        int
	buf        []byte
	err        error
}

func newVerifiedReader(r byteReader, base int64) *verifiedReader {
	in := &countingReader{r: r}
	return &verifiedReader{z: bzip2.NewReader(in), in: in, base: base}
}

// Read implements io.Reader.
func (v *verifiedReader) Read(p []byte) (int, error) {
	for v.pos == len(v.ready) {
		if v.err != nil {
			return 0, v.err
		}
		v.fill()
	}
	n := copy(p, v.ready[v.pos:])
	v.pos += n
	return n, nil
}

// fill decodes the next piece of data.
func (v *verifiedReader) fill() {
	if v.buf == nil {
		v.buf = make([]byte, 1<<16)
	}
	before := v.in.n
	n, err := v.z.Read(v.buf)
	if v.in.n != before {
		// The decoder went on past the end of a block: the block checked
		// out. What it returned now is the next block's.
		v.release()
		v.blockStart = before
	}
	v.held = append(v.held, v.buf[:n]...)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		v.release() // the last block was checked before the end
		v.err = io.EOF
	default:
		v.held = v.held[:0] // the failing block's data is not to be trusted
		v.err = corruptOrRead("bzip2", v.base+v.blockStart, err)
	}
}

// release makes the held data readable.
func (v *verifiedReader) release() {
	if v.pos == len(v.ready) {
		v.ready, v.held, v.pos = v.held, v.ready[:0], 0
		return
	}
	v.ready = append(v.ready, v.held...)
	v.held = v.held[:0]
}

// gzipReader reports gzip corruption as a *CorruptError.
type gzipReader struct {
	z   *gzip.Reader
	in  *countingReader
	err error
}

func (g *gzipReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.z.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = corruptOrRead("gzip", g.in.n, err)
		g.err = err
	}
	return n, err
}

func (g *gzipReader) Close() error { return g.z.Close() }
