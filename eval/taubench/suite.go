// Package suite serves tau-bench's airline benchmark as an environment,
// "taubench_airline": tau-bench's own 50 test tasks (by index), its
// policy as the system prompt, its tools (think and
// transfer_to_human_agents among them) plus respond, the agent's message
// to the user, whose reply is the step's observation. The user is
// simulated, as tau-bench does, by a model given the task's instruction
// (an LLMUser), or by a deterministic ScriptedUser. The conversation ends
// as tau-bench's does: the user says '###STOP###', or the agent calls
// transfer_to_human_agents; then the episode is scored with tau-bench's
// reward: 1 when the database equals the one the task's ground-truth
// actions make (checked through the change log, which the airline replay
// tests prove equivalent to tau-bench's hash) and every required output
// appears, case-insensitively and with commas removed, in something the
// agent said to the user.
//
// Differences from tau-bench, kept on purpose: a tool error comes back as
// simgym's {"error": "Error: ..."} observation with info.tool_error set,
// where tau-bench shows the text alone; the gym's "answer" action is also
// accepted, as the agent's last message to the user, and ends the
// conversation (tau-bench has no such action); an episode cut off by the
// step limit is scored as it stands (tau-bench gives 0).
//
// The data stays outside the repository: Load reads tau-bench's airline
// folder (tasks_test.json, policy.md and the database files) at run time.
package taubench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/taubench/airline"
)

// EnvName is the environment the suite is served as.
const EnvName = "taubench_airline"

// Tool names with a meaning of their own in the conversation.
const (
	// RespondTool is the agent's message to the user; its one argument is
	// "content", and the user's reply is the observation.
	RespondTool = "respond"
	// TransferTool hands the user to a human agent: it ends the
	// conversation (tau-bench's terminate tool).
	TransferTool = "transfer_to_human_agents"
)

// Action is one ground-truth action of a task, as tau-bench writes it.
type Action struct {
	Name   string          `json:"name"`
	Kwargs json.RawMessage `json:"kwargs"`
}

// Task is one of tau-bench's test tasks.
type Task struct {
	// Index is the task's position in tasks_test.json, its id in
	// tau-bench's results.
	Index       int      `json:"-"`
	Annotator   string   `json:"annotator,omitempty"`
	UserID      string   `json:"user_id"`
	Instruction string   `json:"instruction"`
	Actions     []Action `json:"actions"`
	Outputs     []string `json:"outputs"`
}

// ID is the task's id in the gym: its index.
func (t *Task) ID() string { return strconv.Itoa(t.Index) }

// Suite is tau-bench's airline data: the tasks and the policy.
type Suite struct {
	Dir    string
	Tasks  []*Task
	Policy string
	domain *domains.Domain

	truthMu sync.Mutex
	truths  map[int]*truth // by task index
	hasher  *airline.Hasher
}

// Load reads tau-bench's airline folder (tasks_test.json, policy.md,
// users.json, flights.json, reservations.json) and makes its database the
// airline domain's initial state (airline.Load).
func Load(dir string) (*Suite, error) {
	path := filepath.Join(dir, "tasks_test.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("taubench: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var tasks []*Task
	if err := dec.Decode(&tasks); err != nil {
		return nil, fmt.Errorf("taubench: %s: %w", path, err)
	}
	for i, t := range tasks {
		if t == nil {
			return nil, fmt.Errorf("taubench: %s: task %d is null", path, i)
		}
		t.Index = i
		for j, a := range t.Actions {
			if a.Name == "" {
				return nil, fmt.Errorf("taubench: %s: task %d action %d has no name", path, i, j)
			}
			if len(a.Kwargs) == 0 || string(a.Kwargs) == "null" {
				t.Actions[j].Kwargs = json.RawMessage("{}")
			}
		}
	}
	policy, err := os.ReadFile(filepath.Join(dir, "policy.md"))
	if err != nil {
		return nil, fmt.Errorf("taubench: %w", err)
	}
	if err := airline.Load(dir); err != nil {
		return nil, err
	}
	d := domains.Lookup("airline")
	if d == nil {
		return nil, fmt.Errorf("taubench: the airline domain is not registered")
	}
	return &Suite{Dir: dir, Tasks: tasks, Policy: string(policy), domain: d, hasher: airline.NewHasher()}, nil
}

// Task returns the task of an id: its index ("7") or "test-7".
func (s *Suite) Task(id string) (*Task, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "test-"))
	if err != nil || n < 0 || n >= len(s.Tasks) {
		return nil, false
	}
	return s.Tasks[n], true
}

// Domain is the airline domain the suite's episodes act in.
func (s *Suite) Domain() *domains.Domain { return s.domain }

// Hidden reports whether a registered domain is one the suite serves
// itself: commands that serve every compiled-in domain leave it out, since
// it needs tau-bench's data (simgym serve --taubench DIR serves it).
func Hidden(d *domains.Domain) bool { return d.Name == "airline" }
