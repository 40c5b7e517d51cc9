// Package export turns episodes into training data: trajectories in the
// OpenAI chat format (one JSON object a line: the messages with tool
// calls and tool results, the tools offered, the reward and the task id),
// from an evaluation's episodes or from the gym's --record SQLite file,
// filtered by task.Funnel.
package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
	"github.com/simgym/simgym/eval/runner"
)

// Files an export writes.
const (
	// TrajectoriesFile holds every episode.
	TrajectoriesFile = "trajectories.jsonl"
	// FilteredFile holds the episodes that passed every funnel stage.
	FilteredFile = "trajectories.filtered.jsonl"
)

// Trajectories converts finished episodes.
func Trajectories(results []runner.Result) []chat.Trajectory {
	out := make([]chat.Trajectory, len(results))
	for i, r := range results {
		out[i] = chat.Trajectory{TaskID: r.Task, Env: r.Env, Trial: r.Trial, Reward: r.Reward, Messages: r.Messages, Tools: r.Tools, Policy: r.Policy}
	}
	return out
}

// RecordPolicy names the policy of episodes read from a recording: the
// gym does not know who played.
const RecordPolicy = "record"

// FromRecords converts the gym's recorded episodes into results, so they
// get the same report and export as an evaluation's. Trials number a
// task's episodes in the order they finished. lengths gives the ground
// truth's length by task id, when known.
func FromRecords(recs []env.Record, lengths map[string]int) []runner.Result {
	sorted := append([]env.Record(nil), recs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Finished.Before(sorted[j].Finished) })
	trials := map[string]int{}
	out := make([]runner.Result, 0, len(sorted))
	for _, rec := range sorted {
		k := rec.Env + "\x00" + rec.Task
		r := runner.Result{Env: rec.Env, Task: rec.Task, Trial: trials[k], Episode: rec.Episode, Policy: RecordPolicy,
			Reward: rec.Reward, Success: rec.Reward == 1, Length: lengths[rec.Task], Finished: rec.Finished,
			Seconds: rec.Finished.Sub(rec.Started).Seconds()}
		trials[k]++
		var info task.Info
		if json.Unmarshal(rec.Info, &info) == nil {
			r.StateMatch, r.OutputsMatch = info.StateMatch, info.OutputsMatch
		}
		if d := domains.Lookup(rec.Env); d != nil {
			r.Tools = protocol.ToolsOf(d)
		}
		r.Messages = []chat.Message{{Role: chat.System, Content: policy.SystemPrompt}, {Role: chat.User, Content: rec.Instruction}}
		answered := false
		for _, t := range rec.Turns {
			if t.Action.Answer != nil {
				r.Answer = *t.Action.Answer
				r.Messages = append(r.Messages, chat.Message{Role: chat.Assistant, Content: r.Answer})
				answered = true
				continue
			}
			id := fmt.Sprintf("call_%d", r.Steps)
			r.Messages = append(r.Messages,
				chat.Message{Role: chat.Assistant, ToolCalls: []chat.ToolCall{chat.NewToolCall(id, t.Action.Tool, t.Action.Arguments)}},
				chat.Message{Role: chat.Tool, ToolCallID: id, Name: t.Action.Tool, Content: string(t.Observation)})
			r.Steps++
			if t.Error {
				r.ToolErrors++
			}
		}
		r.Truncated = !answered
		out = append(out, r)
	}
	return out
}

// Candidate reads a trajectory's calls for the funnel. Arguments that are
// not JSON are kept as they are, for the format stage to reject.
func Candidate(t chat.Trajectory) task.Candidate {
	c := task.Candidate{Task: t.TaskID, Domain: t.Env}
	for _, tc := range chat.Calls(t.Messages) {
		c.Actions = append(c.Actions, task.Action{Tool: tc.Function.Name, Arguments: json.RawMessage(tc.Function.Arguments)})
	}
	return c
}

// Filter runs the funnel over trajectories, marks each with the last
// stage it passed ("none" when it failed the first), and returns the
// stage counts.
func Filter(ctx context.Context, f *task.Funnel, trajs []chat.Trajectory) (task.FunnelCounts, error) {
	cands := make([]task.Candidate, len(trajs))
	for i, t := range trajs {
		cands[i] = Candidate(t)
	}
	verdicts, counts, err := f.Run(ctx, cands)
	if err != nil {
		return counts, err
	}
	for i, v := range verdicts {
		trajs[i].Funnel = v.Passed
		if v.Passed == "" {
			trajs[i].Funnel = "none"
		}
	}
	return counts, nil
}

// Kept returns the trajectories that passed every funnel stage.
func Kept(trajs []chat.Trajectory) []chat.Trajectory {
	var out []chat.Trajectory
	for _, t := range trajs {
		if t.Funnel == task.StageExact {
			out = append(out, t)
		}
	}
	return out
}

// WriteJSONL writes trajectories one a line, through a temporary file.
func WriteJSONL(path string, trajs []chat.Trajectory) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write trajectories: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, t := range trajs {
		if err := enc.Encode(t); err != nil {
			f.Close()
			return fmt.Errorf("write trajectories %s: task %s: %w", path, t.TaskID, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write trajectories %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write trajectories %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write trajectories %s: %w", path, err)
	}
	return nil
}

// ReadJSONL reads trajectories written by WriteJSONL; a bad line fails
// with its number.
func ReadJSONL(path string) ([]chat.Trajectory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read trajectories: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	var out []chat.Trajectory
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var t chat.Trajectory
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("read trajectories %s:%d: %w", path, line, err)
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read trajectories %s: %w", path, err)
	}
	return out, nil
}
