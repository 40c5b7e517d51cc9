package dump

import (
	"bytes"
	"compress/bzip2"
	"io"
	"testing"
)

// BenchmarkBzip2Verified compares decoding a stream with compress/bzip2
// alone and through the reader that holds blocks back until checked.
func BenchmarkBzip2Verified(b *testing.B) {
	plain := []byte(export(generatedPages(2000)...))
	input := bzip2Level(b, plain, 9)
	b.Run("bzip2", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			if _, err := io.Copy(io.Discard, bzip2.NewReader(bytes.NewReader(input))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verified", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			if _, err := io.Copy(io.Discard, newVerifiedReader(bytes.NewReader(input), 0)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
