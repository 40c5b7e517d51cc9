package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env/client"
)

// writeJSONL writes passages as a JSONL corpus file.
func writeJSONL(t *testing.T, path string, ids ...string) {
	t.Helper()
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(`{"id":"` + id + `","contents":"` + id + ` is a passage about rivers and hills"}` + "\n")
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}

// Issue 17.1: several values after a repeatable flag, and no blame of a
// flag the user gave.
func TestMultiValueFlags(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	writeJSONL(t, a, "p1", "p2")
	writeJSONL(t, b, "p3")
	specs := "../../../tools/spec/testdata/input/"
	cases := []struct {
		name  string
		args  []string
		code  int
		check func(t *testing.T, stdout, stderr string)
	}{
		{"corpus build takes both inputs after --input", []string{"corpus", "build", "--input", a, b, "--out", filepath.Join(dir, "idx1"), "--json"}, 0,
			func(t *testing.T, stdout, _ string) {
				var sum struct{ Documents int }
				require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
				assert.Equal(t, 3, sum.Documents, "documents of both inputs")
			}},
		{"repeated --input still works", []string{"corpus", "build", "--input", a, "--input", b, "--out", filepath.Join(dir, "idx2"), "--json"}, 0,
			func(t *testing.T, stdout, _ string) { assert.Contains(t, stdout, `"documents":3`) }},
		{"domains takes both specs after --specs", []string{"domains", "--specs", specs + "weather_openai.json", specs + "library_openapi31.json", "--out", filepath.Join(dir, "w"), "--json"}, 0,
			func(t *testing.T, stdout, _ string) { assert.Contains(t, stdout, `"specs":2`) }},
		{"a given --input is not blamed", []string{"corpus", "build", "--input", a}, 2,
			func(t *testing.T, _, stderr string) {
				assert.Contains(t, stderr, "--out is required")
				assert.NotContains(t, stderr, "--input and")
			}},
		{"a given --out is not blamed", []string{"corpus", "build", "--out", filepath.Join(dir, "idx3")}, 2,
			func(t *testing.T, _, stderr string) {
				assert.Contains(t, stderr, "--input is required")
				assert.NotContains(t, stderr, "--out")
			}},
		{"an unreadable input names the accepted formats", []string{"corpus", "build", "--input", specs + "clinic_openapi30.yaml", "--out", filepath.Join(dir, "idx4")}, 1,
			func(t *testing.T, _, stderr string) {
				assert.Contains(t, stderr, "unrecognised input format")
				assert.Contains(t, stderr, "accepted: MediaWiki XML")
				assert.Contains(t, stderr, "JSONL")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, c.args...)
			require.Equal(t, c.code, code, "stderr: %s", stderr)
			c.check(t, stdout, stderr)
		})
	}
}

// Issue 17.3: help exits 0 and lists every flag with its default; the
// commands with subcommands list them; simgym version.
func TestHelp(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`)
	for _, name := range []string{"serve", "domains", "generate", "check", "tasks", "eval", "corpus build", "corpus simwiki", "bench gym", "bench search", "bench pipeline"} {
		for _, h := range []string{"--help", "-h"} {
			t.Run(name+" "+h, func(t *testing.T) {
				code, stdout, stderr := runCmd(t, append(strings.Fields(name), h)...)
				assert.Equal(t, 0, code)
				assert.Empty(t, stdout)
				assert.NotContains(t, stderr, "help requested")
				assert.Contains(t, stderr, "usage: simgym "+name+" [flags]")
				assert.Contains(t, stderr, summaryOf(name), "the one-line description")
				assert.NotEmpty(t, summaryOf(name))
				flags := flagLine.FindAllStringIndex(stderr, -1)
				require.NotEmpty(t, flags)
				for i, f := range flags {
					end := len(stderr)
					if i+1 < len(flags) {
						end = flags[i+1][0]
					}
					assert.Regexp(t, `\(default|default:`, stderr[f[0]:end], "each flag has its default")
				}
				assert.Contains(t, stderr, "--progress")
				assert.NotContains(t, stderr, " simgym domains\n", "no backquoted words taken for value names")
			})
		}
	}
	code, _, stderr := runCmd(t, "generate", "-h")
	require.Equal(t, 0, code)
	assert.Contains(t, stderr, "--domains FILE\n")
	for _, parent := range []string{"corpus", "bench"} {
		code, stdout, stderr := runCmd(t, parent, "--help")
		assert.Equal(t, 0, code, parent)
		assert.Empty(t, stdout)
		assert.NotContains(t, stderr, "unknown subcommand")
		for _, c := range subcommands[parent] {
			assert.Regexp(t, `(?m)^  `+c.name+` +\S`, stderr, "%s lists %s with a line", parent, c.name)
		}
	}
	code, stdout, stderr := runCmd(t, "--help")
	assert.Equal(t, 0, code)
	for _, c := range commands() {
		assert.Regexp(t, `(?m)^  `+c.name+` +\S`, stderr+stdout)
	}
	code, _, stderr = runCmd(t, "help", "eval")
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "usage: simgym eval [flags]")
	code, stdout, _ = runCmd(t, "version")
	assert.Equal(t, 0, code)
	assert.Regexp(t, `^simgym \S+.* go1\.`, stdout)
}

// refusedURL returns a URL on a loopback port where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "http://" + addr + "/v1"
}

// Issue 17.2: an endpoint where nothing listens fails the run at once,
// with the URL and the cause; --timeout is documented.
func TestEvalUnreachableEndpoint(t *testing.T) {
	url := refusedURL(t)
	cases := []struct{ base, cause string }{
		{url, "connection refused"},
		{"http://no-such-host.invalid/v1", "no such host"},
	}
	for _, c := range cases {
		out := t.TempDir()
		code, stdout, stderr := runCmd(t, "eval", "--policy", "openai", "--model", "m", "--base-url", c.base, "--out", out)
		assert.Equal(t, 1, code, stderr)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, c.base)
		assert.Contains(t, stderr, c.cause)
		_, err := os.Stat(filepath.Join(out, evalTasksFile))
		assert.True(t, errors.Is(err, os.ErrNotExist), "no tasks sampled before failing")
	}
	code, _, stderr := runCmd(t, "eval", "-h")
	require.Equal(t, 0, code)
	assert.Regexp(t, `--timeout duration\n\s+timeout of one chat-completions request.*\(default: 2m0s\)`, stderr)
}

// selfCmd runs this test binary as simgym.
func selfCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), asSimgym+"=1")
	return cmd
}

// runOnPTY runs simgym with stderr on a pseudo-terminal and returns what
// the terminal showed.
func runOnPTY(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	cmd := selfCmd(t, args...)
	cmd.Stderr = tty
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Start())
	tty.Close()
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(&buf, ptmx) // ends with EIO once the child exits
	}()
	err = cmd.Wait()
	<-done
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return buf.String(), code
}

// Issue 17.4: progress on a terminal, nothing on a pipe unless
// --progress.
func TestProgressOnTerminal(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCmd(t, "domains", "--specs", "../../../tools/spec/testdata/input", "--out", dir)
	require.Equal(t, 0, code, stderr)
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)

	shown, code := runOnPTY(t, "check")
	require.Equal(t, 0, code, shown)
	assert.Contains(t, shown, "checking", "check shows a bar on a terminal")

	shown, code = runOnPTY(t, "generate", "--domains", filepath.Join(dir, "domains.json"), "--out", filepath.Join(dir, "world"), "--simgym", root)
	require.Equal(t, 0, code, shown)
	assert.Contains(t, shown, "generating 4 domains", "generate shows a spinner on a terminal")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check"}, ""},
		{[]string{"check", "--progress"}, "checking"},
	} {
		cmd := selfCmd(t, c.args...)
		var errb bytes.Buffer
		cmd.Stderr, cmd.Stdout = &errb, io.Discard
		require.NoError(t, cmd.Run())
		if c.want == "" {
			assert.Empty(t, errb.String(), "nothing on a pipe: %v", c.args)
		} else {
			assert.Contains(t, errb.String(), c.want, "%v", c.args)
		}
	}
}

// The world build's spinner says which package go build is at.
func TestPhaseWriter(t *testing.T) {
	var out bytes.Buffer
	forceProgress(&out)
	spin := newSpinner(&out, "building world")
	require.NotNil(t, spin)
	pw := &phaseWriter{prefix: "building world w: ", bar: spin}
	_, _ = pw.Write([]byte("simgym.local/world/w/world/pets\nsimgym.local/wor"))
	_, _ = pw.Write([]byte("ld/w\n./main.go:3:1: syntax error\n"))
	finishProgress(spin)
	assert.Contains(t, out.String(), "building world w: simgym.local/world/w/world/pets")
	assert.Equal(t, "./main.go:3:1: syntax error", pw.tail(), "the compiler's message, not the package names")
}

// serveChild starts simgym serve as a child process and returns its
// address and the start-up text it printed before listening.
func serveChild(t *testing.T, args ...string) (addr, text string) {
	t.Helper()
	cmd := selfCmd(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--json"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var errb syncBuffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, errb.String())
	var hello struct{ Addr string }
	require.NoError(t, json.Unmarshal([]byte(line), &hello))
	// The start-up text is printed right after the JSON line; /healthz
	// answering means the server is up and the text written.
	for {
		resp, err := http.Get("http://" + hello.Addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if strings.Contains(errb.String(), "token:") {
				break
			}
		}
	}
	return hello.Addr, errb.String()
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Issues 17.5 and 17.7: serve says where and how to connect and what
// it serves; GET / is an index; the web environment is named by what
// it serves or by --web-name, and an unknown name lists the names.
func TestServeStartup(t *testing.T) {
	dir := t.TempDir()
	tasksFile := filepath.Join(dir, "tasks.jsonl")
	code, _, stderr := runCmd(t, "tasks", "--n", "20", "--seed", "5", "--out", tasksFile)
	require.Equal(t, 0, code, stderr)
	ts, err := task.ReadJSONL(tasksFile)
	require.NoError(t, err)
	perDomain := map[string]int{}
	for _, tk := range ts {
		perDomain[tk.Domain]++
	}
	wiki := filepath.Join(dir, "wiki")
	code, _, stderr = runCmd(t, "corpus", "simwiki", "--articles", "100", "--out", wiki)
	require.Equal(t, 0, code, stderr)
	idx := filepath.Join(dir, "myindex")
	writeJSONL(t, filepath.Join(dir, "p.jsonl"), "p1", "p2")
	code, _, stderr = runCmd(t, "corpus", "build", "--input", filepath.Join(dir, "p.jsonl"), "--out", idx)
	require.Equal(t, 0, code, stderr)

	cases := []struct {
		name    string
		args    []string
		webName string // "" for none
		index   string
	}{
		{"simwiki folder", []string{"--index", wiki}, "simwiki", filepath.Join(wiki, "index")},
		{"index named by its folder", []string{"--index", idx}, "myindex", idx},
		{"--web-name", []string{"--index", idx, "--web-name", "encyclopedia"}, "encyclopedia", idx},
		{"no web", []string{"--no-web"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, text := serveChild(t, append([]string{"--tasks", tasksFile}, c.args...)...)
			for _, want := range []string{"ws://" + addr + "/v1/gym", "ws://" + addr + "/ws", "/mcp/{env}", "http://" + addr + "/healthz", "http://" + addr + "/metrics", "token: none required"} {
				assert.Contains(t, text, want)
			}
			for d, n := range perDomain {
				assert.Regexp(t, `(?m)^  `+d+` +`+strconv.Itoa(n)+` tasks`, text)
			}
			if c.webName != "" {
				assert.Regexp(t, `(?m)^  `+c.webName+` +\d+ tasks +5 tools`, text)
				assert.Contains(t, text, "web index: "+c.index)
				assert.Contains(t, text, "http://"+addr+"/retrieve")
			} else {
				assert.Contains(t, text, "web index: none")
				assert.NotContains(t, text, "/retrieve")
			}

			resp, err := http.Get("http://" + addr + "/")
			require.NoError(t, err)
			var ix serveIndex
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&ix))
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.Equal(t, "ws://"+addr+"/v1/gym", ix.Endpoints[0].URL)
			assert.Equal(t, len(ts)+webTasks(ix, c.webName), ix.Tasks)
			assert.False(t, ix.TokenRequired)

			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
			req.Header.Set("Accept", "text/html,application/xhtml+xml")
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"))
			assert.Contains(t, string(body), "environments (name, tasks, tools):")

			resp, err = http.Get("http://" + addr + "/nope")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "only / itself is the index")

			c2, err := client.Dial(context.Background(), "ws://"+addr+"/v1/gym", client.Options{})
			require.NoError(t, err)
			defer c2.Close()
			_, err = c2.Reset(context.Background(), "web", "", nil)
			require.Error(t, err)
			for d := range perDomain {
				assert.Contains(t, err.Error(), d, "an unknown environment's error lists the names")
			}
			if c.webName != "" {
				assert.Contains(t, err.Error(), c.webName)
			}
		})
	}
}

func webTasks(ix serveIndex, name string) int {
	for _, e := range ix.Environments {
		if e.Name == name && name != "" {
			return e.Tasks
		}
	}
	return 0
}

// Issue 17.10: check says whether its tool errors are expected.
func TestCheckVerdict(t *testing.T) {
	code, stdout, stderr := runCmd(t, "check", "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
	assert.Equal(t, true, sum["healthy"])
	assert.Greater(t, sum["tool_errors_expected"], 0.0)
	assert.Equal(t, sum["tool_errors"], sum["tool_errors_expected"].(float64)+sum["tool_errors_on_valid_calls"].(float64))
	assert.Equal(t, sum["invalid_rejected"], sum["tool_errors_expected"])
	// Issue 13: what check drew, by semantic type, and the lifecycle
	// rules it met.
	byType, _ := sum["values_by_type"].(map[string]any)
	for _, ty := range []string{"email", "iban", "phone", "person_name", "money"} {
		assert.Greater(t, byType[ty], 0.0, "values_by_type[%s]", ty)
	}
	assert.Greater(t, sum["lifecycle_rules"], 0.0)
	assert.Greater(t, sum["refused_by_rule"], 0.0)
	code, stdout, _ = runCmd(t, "check")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "verdict: healthy")
	assert.Contains(t, stdout, "as expected")
}

// Issue 17.10: corpus build counts the non-article pages it drops.
func TestCorpusBuildCountsNonArticles(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "tiny.xml")
	require.NoError(t, os.WriteFile(dump, []byte(`<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/">
<siteinfo><namespaces><namespace key="0" /><namespace key="4">Wikipedia</namespace></namespaces></siteinfo>
<page><title>Alpha</title><ns>0</ns><id>1</id><revision><id>1</id><text>Alpha is the first letter of the Greek alphabet, used in many words.</text></revision></page>
<page><title>Wikipedia:About</title><ns>4</ns><id>2</id><revision><id>2</id><text>About this site.</text></revision></page>
</mediawiki>
`), 0o644))
	code, stdout, stderr := runCmd(t, "corpus", "build", "--input", dump, "--out", filepath.Join(dir, "idx"), "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	assert.EqualValues(t, 1, sum["documents"])
	assert.EqualValues(t, 1, sum["non_articles"])
	code, stdout, stderr = runCmd(t, "corpus", "build", "--input", dump, "--out", filepath.Join(dir, "idx2"))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "non_articles: 1\n")
}
