package taubench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// DefaultMaxSteps is tau-bench's bound on an episode's actions (its
// agents' max_num_steps): an episode that reaches it unfinished scores 0.
const DefaultMaxSteps = 30

// RunResult is one episode in the shape of tau-bench's results JSON (a
// list of these): the task's index, the reward, what the environment
// reported (info: the task, the source of the last observation and, when
// the episode ended, reward_info) and the agent's conversation (traj).
type RunResult struct {
	TaskID int            `json:"task_id"`
	Reward float64        `json:"reward"`
	Info   map[string]any `json:"info"`
	Traj   []chat.Message `json:"traj"`
	Trial  int            `json:"trial"`
}

// EvalOptions configure Evaluate.
type EvalOptions struct {
	// URL is the gym serving EnvName; Token its bearer token.
	URL, Token string
	// Policy plays the agent.
	Policy policy.Policy
	// Suite gives the tasks (their facts go in each result's info).
	Suite *Suite
	// Tasks are the task indexes to play (default: all).
	Tasks []int
	// Trials per task (default 1); Concurrency bounds the episodes played
	// at once (default 8); MaxSteps bounds an episode's actions (default
	// DefaultMaxSteps).
	Trials, Concurrency, MaxSteps int
	// OnResult, when set, is called after each episode, one at a time.
	OnResult func(RunResult)
}

// Evaluate plays every task Trials times through the gym, as tau-bench's
// tool-calling agent does: the agent gets the policy as its system prompt
// and the user's first message, then each assistant message is one
// action: its first tool call (the others are dropped, as tau-bench
// does), or, without tool calls, its text, sent to the user with respond.
// Results are sorted by trial, then task.
func Evaluate(ctx context.Context, opt EvalOptions) ([]RunResult, error) {
	if opt.Policy == nil || opt.Suite == nil {
		return nil, errors.New("taubench eval: no policy or suite")
	}
	if opt.Trials <= 0 {
		opt.Trials = 1
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.MaxSteps <= 0 {
		opt.MaxSteps = DefaultMaxSteps
	}
	if opt.Tasks == nil {
		for _, t := range opt.Suite.Tasks {
			opt.Tasks = append(opt.Tasks, t.Index)
		}
	}
	type job struct{ task, trial int }
	var jobs []job
	for trial := range opt.Trials {
		for _, i := range opt.Tasks {
			if i < 0 || i >= len(opt.Suite.Tasks) {
				return nil, fmt.Errorf("taubench eval: no task %d (have 0..%d)", i, len(opt.Suite.Tasks)-1)
			}
			jobs = append(jobs, job{i, trial})
		}
	}
	c, err := client.Dial(ctx, opt.URL, client.Options{Token: opt.Token})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var (
		mu      sync.Mutex
		results []RunResult
		first   error
		wg      sync.WaitGroup
	)
	ch := make(chan job)
	for range min(opt.Concurrency, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				r, err := Play(ctx, c, opt, opt.Suite.Tasks[j.task], j.trial)
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("task %d trial %d: %w", j.task, j.trial, err)
				}
				if err == nil {
					results = append(results, r)
					if opt.OnResult != nil {
						opt.OnResult(r)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.Trial != b.Trial {
			return a.Trial < b.Trial
		}
		return a.TaskID < b.TaskID
	})
	return results, first
}

// Play runs one episode of a task over an open client.
func Play(ctx context.Context, c *client.Client, opt EvalOptions, t *Task, trial int) (RunResult, error) {
	maxSteps := opt.MaxSteps
	if maxSteps <= 0 {
		maxSteps = DefaultMaxSteps
	}
	res := RunResult{TaskID: t.Index, Trial: trial, Info: map[string]any{"task": t, "source": "user"}}
	rr, err := c.Reset(ctx, EnvName, t.ID(), nil)
	if err != nil {
		return res, fmt.Errorf("reset: %w", err)
	}
	defer func() {
		_ = c.CloseEpisode(context.WithoutCancel(ctx), rr.Episode)
	}()
	var obs protocol.Observation
	if err := json.Unmarshal(rr.Observation, &obs); err != nil {
		return res, fmt.Errorf("reset: observation: %w", err)
	}
	var tools []protocol.Tool
	for _, tl := range obs.Tools {
		if tl.Function.Name != RespondTool {
			tools = append(tools, tl) // respond is a message without tool calls
		}
	}
	agent, err := opt.Policy.Start(ctx, policy.Episode{Env: EnvName, TaskID: t.ID(), Trial: trial, Instruction: obs.Instruction, Tools: tools, MaxSteps: maxSteps})
	if err != nil {
		return res, err
	}
	msgs := []chat.Message{{Role: chat.System, Content: obs.System}, {Role: chat.User, Content: obs.Instruction}}
	for range maxSteps {
		msg, _, err := agent.Next(ctx, msgs)
		if err != nil {
			return res, err
		}
		msg.Role = chat.Assistant
		var a protocol.Action
		var tc chat.ToolCall
		if len(msg.ToolCalls) > 0 {
			tc = msg.ToolCalls[0]
			msg.ToolCalls = msg.ToolCalls[:1]
			args := json.RawMessage(tc.Function.Arguments)
			if !json.Valid(args) {
				args, _ = json.Marshal(tc.Function.Arguments)
			}
			a = protocol.Action{Tool: tc.Function.Name, Arguments: args}
			res.Info["source"] = tc.Function.Name
		} else {
			msg.ToolCalls = nil
			args, _ := json.Marshal(map[string]string{"content": msg.Content})
			a = protocol.Action{Tool: RespondTool, Arguments: args}
			res.Info["source"] = "user"
		}
		sr, err := c.Step(ctx, rr.Episode, a)
		var text string
		var ce *protocol.Error
		switch {
		case errors.As(err, &ce) && ce.Code == "invalid_request":
			text = "Error: " + ce.Message
		case err != nil:
			return res, fmt.Errorf("step %s: %w", a.Tool, err)
		default:
			text = observationText(sr.Observation)
		}
		msgs = append(msgs, msg)
		if len(msg.ToolCalls) > 0 {
			msgs = append(msgs, chat.Message{Role: chat.Tool, ToolCallID: tc.ID, Name: tc.Function.Name, Content: text})
		} else {
			msgs = append(msgs, chat.Message{Role: chat.User, Content: text})
		}
		if sr != nil && sr.Done {
			var si struct {
				Score  json.RawMessage `json:"score"`
				Reason string          `json:"reason"`
			}
			if err := json.Unmarshal(sr.Info, &si); err != nil {
				return res, fmt.Errorf("step: info: %w", err)
			}
			res.Reward = sr.Reward
			res.Info["reward_info"] = si.Score
			res.Info["reason"] = si.Reason
			break
		}
	}
	res.Traj = msgs
	return res, nil
}

// observationText is an observation as the agent reads it: a JSON string
// unquoted, other JSON as it is.
func observationText(obs json.RawMessage) string {
	var s string
	if json.Unmarshal(obs, &s) == nil {
		return s
	}
	return string(obs)
}

// PassHatK is tau-bench's pass^k for k = 1 .. the number of trials: the
// mean over tasks of C(c, k) / C(n, k), where n is the number of trials
// and c a task's successful ones (reward 1).
func PassHatK(results []RunResult) map[int]float64 {
	trials := map[int]bool{}
	c := map[int]int{}
	for _, r := range results {
		trials[r.Trial] = true
		if _, ok := c[r.TaskID]; !ok {
			c[r.TaskID] = 0
		}
		if r.Reward >= 1-1e-6 && r.Reward <= 1+1e-6 {
			c[r.TaskID]++
		}
	}
	n := len(trials)
	out := map[int]float64{}
	for k := 1; k <= n; k++ {
		sum := 0.0
		for _, ci := range c {
			sum += binomial(ci, k) / binomial(n, k)
		}
		out[k] = sum / float64(len(c))
	}
	return out
}

// binomial is C(n, k) as a float (0 when k > n).
func binomial(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

// AverageReward is the mean reward of the results.
func AverageReward(results []RunResult) float64 {
	if len(results) == 0 {
		return 0
	}
	sum := 0.0
	for _, r := range results {
		sum += r.Reward
	}
	return sum / float64(len(results))
}

// WriteResults writes results as tau-bench's results JSON.
func WriteResults(path string, results []RunResult) error {
	if results == nil {
		results = []RunResult{}
	}
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Oracle plays each task's ground truth: its actions one a turn (respond
// actions as messages), then a message giving every required output. With
// the scripted user it scores 1 on every task.
type Oracle struct {
	Suite *Suite
	// Actions, when set, replaces a task's actions (to perturb them).
	Actions func(*Task) []Action
	// OmitOutputs leaves the required outputs out of its last message.
	OmitOutputs bool
}

// Name implements policy.Policy.
func (o *Oracle) Name() string { return "oracle" }

// Start implements policy.Policy.
func (o *Oracle) Start(_ context.Context, ep policy.Episode) (policy.Agent, error) {
	t, ok := o.Suite.Task(ep.TaskID)
	if !ok {
		return nil, fmt.Errorf("oracle: %w %q", policy.ErrUnknownTask, ep.TaskID)
	}
	acts := t.Actions
	if o.Actions != nil {
		acts = o.Actions(t)
	}
	return &oracleAgent{t: t, actions: acts, omit: o.OmitOutputs}, nil
}

type oracleAgent struct {
	t       *Task
	actions []Action
	omit    bool
}

func (a *oracleAgent) Next(_ context.Context, msgs []chat.Message) (chat.Message, chat.Usage, error) {
	done := 0
	for _, m := range msgs {
		if m.Role == chat.Assistant {
			done++
		}
	}
	if done < len(a.actions) {
		act := a.actions[done]
		if act.Name == RespondTool {
			var r struct {
				Content string `json:"content"`
			}
			_ = json.Unmarshal(act.Kwargs, &r)
			return chat.Message{Role: chat.Assistant, Content: r.Content}, chat.Usage{}, nil
		}
		return chat.Message{Role: chat.Assistant, ToolCalls: []chat.ToolCall{chat.NewToolCall("call_"+strconv.Itoa(done), act.Name, act.Kwargs)}}, chat.Usage{}, nil
	}
	text := "Your request is done."
	if len(a.t.Outputs) > 0 && !a.omit {
		text += " The figures you asked for: " + strings.Join(a.t.Outputs, "; ") + "."
	}
	return chat.Message{Role: chat.Assistant, Content: text}, chat.Usage{}, nil
}
