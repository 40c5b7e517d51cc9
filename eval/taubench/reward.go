package taubench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/simgym/simgym/domains"
)

// RewardResult is tau-bench's account of an episode's reward, in its
// shape: the reward, the check that decided it (Info: an ActionInfo for
// tasks without outputs, an OutputInfo for tasks with them, as tau-bench
// reports) and the ground-truth actions.
type RewardResult struct {
	Reward  float64  `json:"reward"`
	Info    any      `json:"info"`
	Actions []Action `json:"actions"`
}

// ActionInfo says whether the database matched the ground truth's.
type ActionInfo struct {
	RActions bool `json:"r_actions"`
	// GTDataHash is tau-bench's hash of the ground truth's database.
	GTDataHash string `json:"gt_data_hash"`
}

// OutputInfo says which required outputs the agent said to the user.
type OutputInfo struct {
	ROutputs float64         `json:"r_outputs"`
	Outputs  map[string]bool `json:"outputs"`
}

// truth is a task's ground truth, computed once: the fingerprint of the
// changes its actions make, and tau-bench's hash of the database after.
type truth struct {
	once        sync.Once
	fingerprint string
	hash        string
	err         error
}

// truthOf replays a task's ground-truth actions (all but respond and the
// terminate tool, as tau-bench's reward does) on a fresh database.
func (s *Suite) truthOf(ctx context.Context, t *Task) (*truth, error) {
	s.truthMu.Lock()
	if s.truths == nil {
		s.truths = map[int]*truth{}
	}
	tr := s.truths[t.Index]
	if tr == nil {
		tr = &truth{}
		s.truths[t.Index] = tr
	}
	s.truthMu.Unlock()
	tr.once.Do(func() {
		db, err := s.domain.NewDB(ctx, 0)
		if err != nil {
			tr.err = fmt.Errorf("taubench task %d: ground truth: %w", t.Index, err)
			return
		}
		defer db.Close()
		for i, a := range t.Actions {
			if a.Name == RespondTool || a.Name == TransferTool {
				continue
			}
			if _, err := s.domain.Call(ctx, db, a.Name, a.Kwargs); err != nil && !domains.IsToolError(err) {
				tr.err = fmt.Errorf("taubench task %d: ground-truth action %d (%s): %w", t.Index, i, a.Name, err)
				return
			}
		}
		if tr.fingerprint, tr.err = s.fingerprint(ctx, db); tr.err != nil {
			return
		}
		if tr.hash, tr.err = s.hasher.Hash(ctx, db); tr.err != nil {
			tr.err = fmt.Errorf("taubench task %d: ground truth: %w", t.Index, tr.err)
		}
	})
	return tr, tr.err
}

// fingerprint names a database's state: two databases started from the
// airline snapshot are equal exactly when their fingerprints are.
func (s *Suite) fingerprint(ctx context.Context, db *sql.DB) (string, error) {
	ch, err := s.domain.Changes(ctx, db, 0)
	if err != nil {
		return "", fmt.Errorf("taubench: %w", err)
	}
	return domains.Fingerprint(ch), nil
}

// StateMatches reports whether db is in the state the task's ground truth
// leaves.
func (s *Suite) StateMatches(ctx context.Context, t *Task, db *sql.DB) (bool, error) {
	tr, err := s.truthOf(ctx, t)
	if err != nil {
		return false, err
	}
	fp, err := s.fingerprint(ctx, db)
	if err != nil {
		return false, err
	}
	return fp == tr.fingerprint, nil
}

// OutputSaid reports whether a required output appears in something the
// agent said, as tau-bench checks: the output lowercased is a substring
// of the message lowercased with its commas removed.
func OutputSaid(output string, said []string) bool {
	o := strings.ToLower(output)
	for _, m := range said {
		if strings.Contains(strings.ReplaceAll(strings.ToLower(m), ",", ""), o) {
			return true
		}
	}
	return false
}

// Reward scores an episode as tau-bench does: 1 when db matches the
// ground truth's database and every output of the task is in something
// the agent said to the user, else 0.
func (s *Suite) Reward(ctx context.Context, t *Task, db *sql.DB, said []string) (RewardResult, error) {
	tr, err := s.truthOf(ctx, t)
	if err != nil {
		return RewardResult{}, err
	}
	ok, err := s.StateMatches(ctx, t, db)
	if err != nil {
		return RewardResult{}, err
	}
	res := RewardResult{Reward: 1, Actions: groundTruthActions(t)}
	var info any = ActionInfo{RActions: ok, GTDataHash: tr.hash}
	if !ok {
		res.Reward = 0
	}
	if len(t.Outputs) > 0 {
		oi := OutputInfo{ROutputs: 1, Outputs: map[string]bool{}}
		for _, o := range t.Outputs {
			found := OutputSaid(o, said)
			oi.Outputs[o] = found
			if !found {
				oi.ROutputs, res.Reward = 0, 0
			}
		}
		info = oi
	}
	res.Info = info
	return res, nil
}

// groundTruthActions are the task's actions but respond, as tau-bench's
// reward lists them.
func groundTruthActions(t *Task) []Action {
	out := []Action{}
	for _, a := range t.Actions {
		if a.Name != RespondTool {
			out = append(out, a)
		}
	}
	return out
}
