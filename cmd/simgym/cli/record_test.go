package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
)

// lockedBuffer collects a child's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// episodeLoad runs short episodes (reset, one tool call, an answer) from
// workers goroutines over conns connections until each worker has run
// perWorker episodes, a request fails, or ctx ends. After each episode
// whose done reply arrived it calls finished with the episode's id and
// how many have finished so far. It returns the ids of those episodes.
func episodeLoad(ctx context.Context, t *testing.T, url string, conns, workers, perWorker int, finished func(id string, n int)) []string {
	t.Helper()
	d := benchDomain()
	require.NotNil(t, d)
	tool := listToolOf(d)
	clients := make([]*client.Client, conns)
	for i := range clients {
		c, err := client.Dial(ctx, url, client.Options{})
		require.NoError(t, err)
		defer c.Close()
		clients[i] = c
	}
	var mu sync.Mutex
	var done []string
	var wg sync.WaitGroup
	for w := range workers {
		c := clients[w%conns]
		wg.Go(func() {
			for i := range perWorker {
				seed := int64(w*perWorker + i)
				r, err := c.Reset(ctx, d.Name, "", &seed)
				if err != nil {
					return
				}
				ep := r.Episode
				if _, err := c.Step(ctx, ep, protocol.Call(tool, map[string]any{"limit": 2})); err != nil {
					return
				}
				r, err = c.Step(ctx, ep, protocol.Answer("an answer"))
				if err != nil {
					return
				}
				if !r.Done {
					t.Errorf("episode %s: answer reply not done", ep)
					return
				}
				mu.Lock()
				done = append(done, ep)
				n := len(done)
				mu.Unlock()
				if finished != nil {
					finished(ep, n)
				}
				_ = c.CloseEpisode(ctx, ep)
			}
		})
	}
	wg.Wait()
	return done
}

// recordsByID reads a recording file into a map by episode id.
func recordsByID(t *testing.T, path string) map[string]env.Record {
	t.Helper()
	recs, err := env.ReadRecords(context.Background(), path)
	require.NoError(t, err)
	out := map[string]env.Record{}
	for _, r := range recs {
		out[r.Episode] = r
	}
	require.Len(t, out, len(recs))
	return out
}

// runPrefix is an episode id's "ep-RUN-" part.
func runPrefix(id string) string {
	i := strings.LastIndexByte(id, '-')
	return id[:i+1]
}

// TestServeRecordSurvivesKill starts `simgym serve --record F` as a child
// process, kills it with SIGKILL under load, and checks that every
// episode whose done reply a client received is in F; then serves F
// again and checks that the earlier rows are kept, unchanged, beside the
// new ones.
func TestServeRecordSurvivesKill(t *testing.T) {
	t.Setenv(asSimgym, "1")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "episodes.db")
	flags := []string{"--no-web", "--record", path}

	// Run 1: killed while episodes are finishing.
	var log1 lockedBuffer
	child, addr, err := startServer(ctx, &log1, flags...)
	require.NoError(t, err)
	const killAt = 150
	var kill sync.Once
	killed := make(chan struct{})
	seen := episodeLoad(ctx, t, "ws://"+addr+"/v1/gym", 2, 8, 100, func(_ string, n int) {
		if n >= killAt {
			kill.Do(func() {
				assert.NoError(t, child.Process.Kill()) // SIGKILL: no shutdown, no flush
				close(killed)
			})
		}
	})
	select {
	case <-killed:
	default:
		t.Fatalf("the load ended before %d episodes finished (%d did): %s", killAt, len(seen), log1.String())
	}
	err = child.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the server was killed")
	assert.False(t, exit.Exited(), "the server was killed, not exited: %s", log1.String())
	require.GreaterOrEqual(t, len(seen), killAt)

	first := recordsByID(t, path)
	for _, id := range seen {
		assert.Contains(t, first, id, "episode %s finished for its client but is not in the file", id)
	}
	assert.GreaterOrEqual(t, len(first), len(seen))
	t.Logf("run 1: %d episodes seen done, %d recorded before SIGKILL", len(seen), len(first))

	// Run 2: the same file, a clean stop.
	var log2 lockedBuffer
	child, addr, err = startServer(ctx, &log2, flags...)
	require.NoError(t, err)
	more := episodeLoad(ctx, t, "ws://"+addr+"/v1/gym", 1, 3, 5, nil)
	require.Len(t, more, 15, log2.String())
	metrics := httpGet(t, "http://"+addr+"/metrics")
	assert.Contains(t, metrics, "simgym_record_episodes_total 15")
	assert.Contains(t, metrics, "simgym_record_errors_total 0")
	assert.Contains(t, metrics, "simgym_record_batch_size_count")
	require.NoError(t, child.Process.Signal(os.Interrupt))
	require.NoError(t, child.Wait(), "a clean stop with no write errors: %s", log2.String())

	second := recordsByID(t, path)
	assert.Len(t, second, len(first)+len(more), "the new episodes are added, none replaced")
	for id, rec := range first {
		assert.Equal(t, rec, second[id], "episode %s changed", id)
	}
	for _, id := range more {
		assert.NotContains(t, first, id, "episode id %s of run 2 collides with run 1", id)
		assert.Contains(t, second, id)
		assert.NotEqual(t, runPrefix(seen[0]), runPrefix(id), "the runs share an id prefix")
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, fmt.Sprintf("%s: %s", url, b))
	return string(b)
}
