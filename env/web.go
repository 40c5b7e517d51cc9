package env

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env/protocol"
)

// WebTask is a web-research task: a question, and how an answer scores.
type WebTask interface {
	TaskID() string
	Question() string
	// Score returns the reward of an answer and what the world reports
	// about it (e.g. exact match and F1 against the accepted answers).
	Score(answer string) (float64, any)
}

// WebWorld is the offline web as an environment: episodes search and read
// an index with the web tools, then answer a question.
type WebWorld struct {
	name  string
	desc  string
	index web.Searcher
	opt   web.Options
	tasks []WebTask
	byID  map[string]WebTask
	tools []protocol.Tool
}

// NewWebWorld serves an index and its questions as the environment name.
func NewWebWorld(name, description string, s web.Searcher, tasks []WebTask, opt web.Options) (*WebWorld, error) {
	w := &WebWorld{name: name, desc: description, index: s, opt: opt, tasks: tasks, byID: map[string]WebTask{}}
	for _, t := range tasks {
		w.byID[t.TaskID()] = t
	}
	for _, t := range web.Tools() {
		params, err := json.Marshal(t.Parameters)
		if err != nil {
			return nil, fmt.Errorf("web world %s: tool %s: %w", name, t.Name, err)
		}
		w.tools = append(w.tools, protocol.Tool{Type: "function", Function: protocol.Function{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	return w, nil
}

// UseProvider makes episodes started from now on search, read pages and
// query scholar through p (the Real web gateway, say) instead of the
// offline corpus.
func (w *WebWorld) UseProvider(p web.Provider) { w.opt.Provider = p }

// Info describes the web world.
func (w *WebWorld) Info() WorldInfo {
	ids := make([]string, 0, len(w.byID))
	for id := range w.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return WorldInfo{Name: w.name, Description: w.desc, Tools: w.tools, TaskIDs: ids}
}

// Start begins an episode on a question, by id or by seed (the seed
// picks one of the questions).
func (w *WebWorld) Start(ctx context.Context, taskID string, seed *int64) (Run, error) {
	var t WebTask
	switch {
	case taskID != "":
		t = w.byID[taskID]
		if t == nil {
			return nil, fmt.Errorf("%w %q in %s", ErrUnknownTask, taskID, w.name)
		}
	case len(w.tasks) == 0:
		return nil, fmt.Errorf("%w: %s has no questions", ErrUnknownTask, w.name)
	default:
		s := int64(0)
		if seed != nil {
			s = *seed
		}
		t = w.tasks[int(uint64(s)%uint64(len(w.tasks)))]
	}
	return &webRun{w: w, task: t, session: web.NewSession(w.index, w.opt)}, nil
}

type webRun struct {
	w       *WebWorld
	task    WebTask
	session *web.Session
	visited []visit
}

// visit remembers what the run read, so a fork can stand where its
// parent stood.
type visit struct {
	ref  string
	page int
}

func (r *webRun) TaskID() string      { return r.task.TaskID() }
func (r *webRun) Instruction() string { return r.task.Question() }

func (r *webRun) Call(ctx context.Context, _ int, tool string, args json.RawMessage) (json.RawMessage, *task.Step, error) {
	out, err := r.session.Call(ctx, tool, args)
	if err != nil {
		if errors.Is(err, web.ErrNotFound) || errors.Is(err, web.ErrNoPage) || errors.Is(err, web.ErrBadArgument) || errors.Is(err, web.ErrUnknownTool) {
			return nil, nil, domains.Errorf("%v", err)
		}
		return nil, nil, err
	}
	if tool == "visit" {
		var v struct {
			URL  string `json:"url"`
			Page int    `json:"page"`
		}
		if json.Unmarshal(out, &v) == nil && v.URL != "" {
			r.visited = append(r.visited, visit{v.URL, v.Page})
		}
	}
	return out, nil, nil
}

func (r *webRun) Finish(ctx context.Context, answer string) (Outcome, error) {
	reward, score := r.task.Score(answer)
	if m, ok := score.(map[string]any); ok {
		m["search_calls"] = r.session.Searches()
		opened := r.session.Opened()
		m["opened"] = len(opened)
		if et, ok := r.task.(EvidenceTask); ok {
			gold, evidence := et.EvidenceDocs()
			if len(gold) > 0 {
				m["gold_recall"] = recall(gold, opened)
			}
			if len(evidence) > 0 {
				m["evidence_recall"] = recall(evidence, opened)
			}
		}
	}
	return Outcome{Reward: reward, Score: score}, nil
}

// EvidenceTask is a WebTask that knows the documents its answer rests
// on (BrowseComp-Plus's gold and evidence documents), by ID; episode
// info then reports the share of each the agent opened.
type EvidenceTask interface {
	EvidenceDocs() (gold, evidence []string)
}

// recall is the share of want found in got.
func recall(want, got []string) float64 {
	have := map[string]bool{}
	for _, g := range got {
		have[g] = true
	}
	n := 0
	for _, w := range want {
		if have[w] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

func (r *webRun) Fork(ctx context.Context) (Run, error) {
	f := &webRun{w: r.w, task: r.task, session: web.NewSession(r.w.index, r.w.opt), visited: append([]visit(nil), r.visited...)}
	if n := len(r.visited); n > 0 {
		last := r.visited[n-1]
		args, _ := json.Marshal(map[string]any{"url": last.ref, "page": last.page})
		if _, err := f.session.Call(ctx, "visit", args); err != nil {
			return nil, fmt.Errorf("fork: re-open %s: %w", last.ref, err)
		}
	}
	return f, nil
}

func (r *webRun) Close() {}

// QATask adapts a web-research task (corpus/webqa) to a WebTask: the
// reward is its exact match (or F1 when the task says so), and the score
// reports both with the accepted answers.
type QATask struct{ T *webqa.Task }

// TaskID is the task's id.
func (q QATask) TaskID() string { return q.T.ID }

// Question is what the agent is asked.
func (q QATask) Question() string { return q.T.Question }

// Score rates an answer.
func (q QATask) Score(answer string) (float64, any) {
	golds := q.T.Answers()
	return q.T.Reward(answer), map[string]any{
		"exact_match": webqa.ExactMatch(answer, golds),
		"f1":          webqa.F1(answer, golds),
		"metric":      q.T.Metric,
		"answers":     golds,
		"kinds":       q.T.Kinds,
		"hops":        q.T.Hops,
	}
}

// EvidenceDocs returns the IDs of the task's supporting articles (gold
// documents) and of its evidence documents.
func (q QATask) EvidenceDocs() (gold, evidence []string) {
	for _, a := range q.T.Support {
		if a.ID != "" {
			gold = append(gold, a.ID)
		}
	}
	for _, e := range q.T.Evidence {
		if e.ID != "" && !slices.Contains(evidence, e.ID) {
			evidence = append(evidence, e.ID)
		}
	}
	return gold, evidence
}

// QATasks adapts a list of web-research tasks.
func QATasks(ts []webqa.Task) []WebTask {
	out := make([]WebTask, len(ts))
	for i := range ts {
		out[i] = QATask{&ts[i]}
	}
	return out
}
