package policy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/eval/chat"
)

// Oracle replays each task's ground truth, one call a turn, then answers
// with the values read along the way (task.Answer over what the gym
// returned). On a correct gym it scores 1 on every task.
type Oracle struct {
	tasks map[string]*task.Task
}

// NewOracle makes an oracle for the given tasks.
func NewOracle(tasks []*task.Task) *Oracle {
	o := &Oracle{tasks: make(map[string]*task.Task, len(tasks))}
	for _, t := range tasks {
		o.tasks[t.ID] = t
	}
	return o
}

// Name implements Policy.
func (o *Oracle) Name() string { return "oracle" }

// Start implements Policy.
func (o *Oracle) Start(_ context.Context, ep Episode) (Agent, error) {
	t := o.tasks[ep.TaskID]
	if t == nil {
		return nil, fmt.Errorf("oracle: %w %q (give the tasks the gym serves with --tasks)", ErrUnknownTask, ep.TaskID)
	}
	return &oracleAgent{t: t}, nil
}

type oracleAgent struct{ t *task.Task }

func (a *oracleAgent) Next(_ context.Context, msgs []chat.Message) (chat.Message, chat.Usage, error) {
	var obs []json.RawMessage
	for _, m := range msgs {
		if m.Role == chat.Tool {
			obs = append(obs, json.RawMessage(m.Content))
		}
	}
	if i := len(obs); i < len(a.t.Actions) {
		act := a.t.Actions[i]
		return chat.Message{Role: chat.Assistant, ToolCalls: []chat.ToolCall{chat.NewToolCall(fmt.Sprintf("call_%d", i), act.Tool, act.Arguments)}}, chat.Usage{}, nil
	}
	answer := task.Answer(a.t, obs)
	if answer == "" {
		answer = "Done."
	} else {
		answer = "Done. " + answer
	}
	if IsQuestion(chat.Message{Content: answer}) {
		answer += "." // a value ending in "?" must not read as a question
	}
	return chat.Message{Role: chat.Assistant, Content: answer}, chat.Usage{}, nil
}
