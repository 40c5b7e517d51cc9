package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/runner"
)

// Files of the agent methods.
const (
	// SegmentsFile holds ReSum's segments, one a line.
	SegmentsFile = "trajectories.segments.jsonl"
	// TreeFile holds the step-level expansion, one step a line.
	TreeFile = "tree.jsonl"
	// SynthesisFile holds Research-Synthesis's fused answers, one task a
	// line.
	SynthesisFile = "synthesis.jsonl"
)

// Segment is one ReSum segment of a trajectory: the context the agent
// had from one restart to the next, as a trainer trains on it. Every
// segment carries the trajectory's reward (ReSum-GRPO broadcasts the
// trajectory's advantage to each of its segments).
type Segment struct {
	TaskID string `json:"task_id"`
	Env    string `json:"env"`
	Trial  int    `json:"trial"`
	// Segment numbers the segment from 0, of Segments.
	Segment  int `json:"segment"`
	Segments int `json:"segments"`
	// Reward is the whole trajectory's reward.
	Reward float64 `json:"reward"`
	// Messages are the system prompt then the segment's own messages
	// (from the second segment on, the first is the question with the
	// summary).
	Messages []chat.Message  `json:"messages"`
	Tools    []protocol.Tool `json:"tools,omitempty"`
	Policy   string          `json:"policy,omitempty"`
}

// Segments splits the ReSum trajectories of results into their
// segments; other trajectories give one segment each.
func Segments(results []runner.Result) []Segment {
	var out []Segment
	for _, r := range results {
		n := 1
		for _, s := range r.Segments {
			n = max(n, s+1)
		}
		segs := make([]Segment, n)
		for i := range segs {
			segs[i] = Segment{TaskID: r.Task, Env: r.Env, Trial: r.Trial, Segment: i, Segments: n, Reward: r.Reward, Tools: r.Tools, Policy: r.Policy}
			if i > 0 && len(r.Messages) > 0 {
				segs[i].Messages = []chat.Message{r.Messages[0]}
			}
		}
		for j, m := range r.Messages {
			s := 0
			if j < len(r.Segments) {
				s = r.Segments[j]
			}
			segs[s].Messages = append(segs[s].Messages, m)
		}
		out = append(out, segs...)
	}
	return out
}

// WriteLines writes values one JSON object a line.
func WriteLines[T any](path string, vals []T) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i, v := range vals {
		if err := enc.Encode(v); err != nil {
			f.Close()
			return fmt.Errorf("write %s: line %d: %w", path, i+1, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadLines reads a file of one JSON object a line.
func ReadLines[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return out, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
