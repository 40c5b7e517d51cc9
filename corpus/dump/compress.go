package dump

import (
	"bufio"
	"bytes"
	"compress/bzip2"
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
// Close the result to stop any decoding still under way.
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
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return io.NopCloser(br), nil
}

// maxStream is the largest compressed stream decoded as one piece. A
// larger stream, or a first stream that has no second after it, is decoded
// sequentially as it is read.
var maxStream = 8 << 20

// streamPiece is one bzip2 stream on its way through the decoders.
type streamPiece struct {
	index  int    // stream number, from 0
	offset int64  // where it starts in the compressed input
	data   []byte // compressed, then decompressed
	tail   io.Reader
	err    error
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
				p.data, p.err = io.ReadAll(bzip2.NewReader(bytes.NewReader(p.data)))
				if p.err != nil {
					p.err = fmt.Errorf("bzip2 stream %d at byte %d: %w", p.index, p.offset, p.err)
				}
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
		rest := io.MultiReader(bytes.NewReader(chunk), src)
		send(&streamPiece{index: index, offset: offset, tail: bzip2.NewReader(rest), done: make(chan struct{})}, false)
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
			piece := &streamPiece{index: index, offset: offset, data: bytes.Clone(chunk[:k]), done: make(chan struct{})}
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
				send(&streamPiece{index: index, offset: offset, data: chunk, done: make(chan struct{})}, true)
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
			if piece.err != nil {
				z.err = piece.err
				continue
			}
			z.cur, z.off = piece, 0
		}
		if z.cur.tail != nil {
			n, err := z.cur.tail.Read(p)
			if err != nil && !errors.Is(err, io.EOF) {
				err = fmt.Errorf("bzip2 stream %d at byte %d: %w", z.cur.index, z.cur.offset, err)
				z.err = err
			}
			return n, err
		}
		if z.off < len(z.cur.data) {
			n := copy(p, z.cur.data[z.off:])
			z.off += n
			return n, nil
		}
		z.cur = nil
	}
}

// Close stops the decoders. It does not close the underlying reader.
func (z *bzip2Reader) Close() error {
	z.once.Do(func() { close(z.quit) })
	return nil
}
