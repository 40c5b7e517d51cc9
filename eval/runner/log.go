package runner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/simgym/simgym/env/protocol"
)

// errLog marks a failure to write the log, which stops a run.
var errLog = errors.New("episode log")

// Log is the append-only JSONL file of a run's finished episodes, one
// Result a line, written as each episode finishes. An environment's
// tools, the same for all its episodes, are written once, on a line of
// their own ({"toolset": ENV, "tools": [...]}) before the first episode
// that needs them, and put back into each Result when read.
type Log struct {
	path  string
	f     *os.File
	tools map[string]string // env -> its tools as written
}

// toolset is a log line holding an environment's tools.
type toolset struct {
	Toolset string          `json:"toolset"`
	Tools   json.RawMessage `json:"tools"`
}

// OpenLog opens (or creates) a log and returns the episodes it holds. A
// torn last line, left by an interruption mid-write, is dropped from the
// file.
func OpenLog(path string) (*Log, []Result, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open %w %s: %v", errLog, path, err)
	}
	rs, good, tools, err := readResults(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open %w %s: %v", errLog, path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open %w %s: %v", errLog, path, err)
	}
	return &Log{path: path, f: f, tools: tools}, rs, nil
}

// ReadLog reads the episodes of a log, ignoring a torn last line.
func ReadLog(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %w %s: %v", errLog, path, err)
	}
	defer f.Close()
	rs, _, _, err := readResults(f, path)
	return rs, err
}

// readResults reads complete lines and returns the offset after the last
// one. Only the last line may be broken (a torn write); a broken line
// before it is an error.
func readResults(r io.Reader, path string) ([]Result, int64, map[string]string, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var out []Result
	var off int64
	tools := map[string]string{}
	decoded := map[string][]protocol.Tool{}
	for line := 1; ; line++ {
		data, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// No newline: a torn write, dropped.
			return out, off, tools, nil
		}
		if err != nil {
			return nil, 0, nil, fmt.Errorf("read %w %s: %v", errLog, path, err)
		}
		if len(bytes.TrimSpace(data)) > 0 {
			bad := func(err error) error { return fmt.Errorf("read %w %s:%d: %v", errLog, path, line, err) }
			if bytes.HasPrefix(data, []byte(`{"toolset":`)) {
				var ts toolset
				if err := json.Unmarshal(data, &ts); err != nil {
					return nil, 0, nil, bad(err)
				}
				var list []protocol.Tool
				if err := json.Unmarshal(ts.Tools, &list); err != nil {
					return nil, 0, nil, bad(err)
				}
				tools[ts.Toolset], decoded[ts.Toolset] = string(ts.Tools), list
			} else {
				var res Result
				if err := json.Unmarshal(data, &res); err != nil {
					return nil, 0, nil, bad(err)
				}
				if res.Tools == nil {
					res.Tools = decoded[res.Env]
				}
				out = append(out, res)
			}
		}
		off += int64(len(data))
	}
}

// Append writes one finished episode as a line, after its
// environment's tools when they are not in the log yet.
func (l *Log) Append(r Result) error {
	var buf []byte
	if r.Tools != nil {
		tools, err := json.Marshal(r.Tools)
		if err != nil {
			return fmt.Errorf("%w %s: encode tools of %s: %v", errLog, l.path, r.Env, err)
		}
		if l.tools[r.Env] != string(tools) {
			line, err := json.Marshal(toolset{Toolset: r.Env, Tools: tools})
			if err != nil {
				return fmt.Errorf("%w %s: encode tools of %s: %v", errLog, l.path, r.Env, err)
			}
			buf = append(line, '\n')
			l.tools[r.Env] = string(tools)
		}
		r.Tools = nil
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%w %s: encode episode %s: %v", errLog, l.path, r.Episode, err)
	}
	buf = append(append(buf, data...), '\n')
	// One write: a crash leaves whole lines and at most one torn one.
	if _, err := l.f.Write(buf); err != nil {
		return fmt.Errorf("%w %s: %v", errLog, l.path, err)
	}
	return nil
}

// Close closes the file.
func (l *Log) Close() error { return l.f.Close() }
