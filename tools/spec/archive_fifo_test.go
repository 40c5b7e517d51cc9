//go:build linux || darwin

package spec

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestArchiveMembersStreamed reads an archive of ten 8 MB members
// through a named pipe, written as it is read, and checks after every
// member written, and after every document parsed, that the live heap
// holds a few members at most: members are parsed as they are read, not
// gathered first. (Gathering them would hold nine when the last is
// written.)
func TestArchiveMembersStreamed(t *testing.T) {
	const members, size, workers = 10, 8 << 20, 2
	fifo := filepath.Join(t.TempDir(), "big.tar.gz")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var mu sync.Mutex
	var peak int64
	measure := func() {
		runtime.GC()
		metrics.Read(sample)
		mu.Lock()
		peak = max(peak, int64(sample[0].Value.Uint64()))
		mu.Unlock()
	}
	runtime.GC()
	metrics.Read(sample)
	base := int64(sample[0].Value.Uint64())
	written := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			written <- err
			return
		}
		err = packArchive(f, members, size, func(int) { measure() })
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		written <- err
	}()
	cat, err := Read(context.Background(), []string{fifo}, Options{Workers: workers, Progress: func(int, int) { measure() }})
	if err != nil {
		// Unblock the writer if Read never opened the pipe.
		if f, oerr := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); oerr == nil {
			f.Close()
		}
	}
	require.NoError(t, err)
	require.NoError(t, <-written)
	assert.Len(t, cat.Tools, members)
	assert.Empty(t, cat.Skipped)
	grown := peak - base
	t.Logf("peak live heap growth while reading: %.1f MB for %d MB of members", float64(grown)/(1<<20), members*size>>20)
	// Workers documents being parsed and one being read.
	assert.Less(t, grown, int64((workers+2)*size), "live heap above %d members: members are buffered", workers+2)
}
