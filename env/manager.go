package env

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env/protocol"
)

// Environment is one domain served to agents, with its tasks.
type Environment struct {
	Name   string
	Domain *domains.Domain
	// Tasks can be reset by id.
	Tasks []*task.Task

	byID   map[string]*task.Task
	mu     sync.Mutex
	bySeed map[int64]*task.Task

	infoOnce sync.Once
	info     WorldInfo // what Info returns, made once: every reset asks
}

// NewEnvironment serves a domain with the given tasks.
func NewEnvironment(d *domains.Domain, tasks []*task.Task) *Environment {
	e := &Environment{Name: d.Name, Domain: d, Tasks: tasks, byID: map[string]*task.Task{}, bySeed: map[int64]*task.Task{}}
	for _, t := range tasks {
		e.byID[t.ID] = t
	}
	return e
}

// TaskIDs lists the environment's task ids, sorted.
func (e *Environment) TaskIDs() []string {
	ids := make([]string, 0, len(e.byID))
	for id := range e.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// taskFor returns the task of a reset: by id, or sampled (and cached)
// from a seed, the same task for the same seed.
func (e *Environment) taskFor(ctx context.Context, id string, seed *int64) (*task.Task, error) {
	if id != "" {
		t := e.byID[id]
		if t == nil {
			return nil, fmt.Errorf("%w %q in %s", ErrUnknownTask, id, e.Name)
		}
		return t, nil
	}
	s := int64(0)
	if seed != nil {
		s = *seed
	}
	e.mu.Lock()
	t := e.bySeed[s]
	e.mu.Unlock()
	if t != nil {
		return t, nil
	}
	ts, err := task.NewSampler(e.Domain, task.Options{Seed: s}).Sample(ctx, 1)
	if err != nil {
		return nil, fmt.Errorf("sample a task of %s for seed %d: %w", e.Name, s, err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("%w: no task could be sampled in %s for seed %d", ErrUnknownTask, e.Name, s)
	}
	e.mu.Lock()
	if len(e.bySeed) > 4096 {
		clear(e.bySeed)
	}
	e.bySeed[s] = ts[0]
	e.mu.Unlock()
	return ts[0], nil
}

// Limits bound what clients may hold. Zero means no limit (and the
// defaults of DefaultLimits apply where the server sets them).
type Limits struct {
	// MaxEpisodes bounds open episodes on the server.
	MaxEpisodes int
	// MaxEpisodesPerOwner bounds open episodes per connection.
	MaxEpisodesPerOwner int
	// MaxSteps bounds tool calls per episode; the episode then ends,
	// truncated.
	MaxSteps int
	// IdleTimeout closes episodes nobody touched for this long.
	IdleTimeout time.Duration
}

// DefaultLimits are the server's limits unless flags say otherwise.
var DefaultLimits = Limits{MaxEpisodes: 20000, MaxEpisodesPerOwner: 4096, MaxSteps: 50, IdleTimeout: 10 * time.Minute}

// Manager holds the open episodes of every environment.
type Manager struct {
	envs   map[string]*Environment
	worlds map[string]World
	names  []string
	limits Limits

	mu       sync.RWMutex
	episodes map[string]*Episode
	perOwner map[uint64]int
	seq      atomic.Uint64
	expired  expiredSet
	run      string // random, in every episode id: ids differ across runs

	// OnFinish, when set, is called once for each episode that ends (by
	// answer or step limit), outside the episode's lock. Step calls it
	// and waits for it to return before returning the finishing step's
	// result, so the reply that tells a client "done" goes out after it:
	// a Recorder's Add, which returns once the episode is committed,
	// makes every episode a client saw finish durable.
	OnFinish func(*Episode)
}

// NewManager serves the environments under the limits.
func NewManager(envs []*Environment, lim Limits) *Manager {
	m := &Manager{envs: map[string]*Environment{}, worlds: map[string]World{}, limits: lim, episodes: map[string]*Episode{}, perOwner: map[uint64]int{}, run: newRunID()}
	for _, e := range envs {
		m.envs[e.Name] = e
		m.worlds[e.Name] = e
		m.names = append(m.names, e.Name)
	}
	sort.Strings(m.names)
	return m
}

// newRunID is 8 random hex digits naming one manager's run.
func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// RunID is the random part of this manager's episode ids.
func (m *Manager) RunID() string { return m.run }

// newEpisodeID names an episode "ep-RUN-N": N counts up within the run,
// and RUN, random per manager, keeps a server restarted on the same
// recording file from reusing the ids of its earlier runs.
func (m *Manager) newEpisodeID() string {
	return "ep-" + m.run + "-" + strconv.FormatUint(m.seq.Add(1), 10)
}

// AddWorld serves another kind of world (such as the offline web) beside
// the domain environments. Call it before serving.
func (m *Manager) AddWorld(w World) error {
	name := w.Info().Name
	if _, dup := m.worlds[name]; dup {
		return fmt.Errorf("add world: duplicate environment %q", name)
	}
	m.worlds[name] = w
	m.names = append(m.names, name)
	sort.Strings(m.names)
	return nil
}

// Worlds returns every environment, sorted by name.
func (m *Manager) Worlds() []World {
	out := make([]World, len(m.names))
	for i, n := range m.names {
		out[i] = m.worlds[n]
	}
	return out
}

// Limits returns the manager's limits.
func (m *Manager) Limits() Limits { return m.limits }

// Envs returns the domain environments, sorted by name.
func (m *Manager) Envs() []*Environment {
	var out []*Environment
	for _, n := range m.names {
		if e := m.envs[n]; e != nil {
			out = append(out, e)
		}
	}
	return out
}

// Env returns the named environment or nil.
func (m *Manager) Env(name string) *Environment { return m.envs[name] }

// Open counts open episodes.
func (m *Manager) Open() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.episodes)
}

// NewOwner returns a fresh owner id (one per connection).
func (m *Manager) NewOwner() uint64 { return m.seq.Add(1) }

// admit reserves room for one more episode of owner.
func (m *Manager) admit(owner uint64) error {
	if m.limits.MaxEpisodes > 0 && len(m.episodes) >= m.limits.MaxEpisodes {
		return fmt.Errorf("%w: the server holds %d open episodes (max_episodes); close some", ErrLimit, len(m.episodes))
	}
	if m.limits.MaxEpisodesPerOwner > 0 && m.perOwner[owner] >= m.limits.MaxEpisodesPerOwner {
		return fmt.Errorf("%w: this connection holds %d open episodes (max_episodes_per_connection); close some", ErrLimit, m.perOwner[owner])
	}
	return nil
}

func (m *Manager) add(e *Episode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.admit(e.owner); err != nil {
		return err
	}
	m.episodes[e.ID] = e
	m.perOwner[e.owner]++
	return nil
}

// Reset starts an episode of env on a task given by id, or chosen by a
// seed. With env empty it starts one of the only environment served;
// with several, the error lists them.
func (m *Manager) Reset(ctx context.Context, owner uint64, envName, taskID string, seed *int64) (*Episode, error) {
	if envName == "" && len(m.names) == 1 {
		envName = m.names[0] // the only environment served
	}
	w := m.worlds[envName]
	if w == nil {
		if envName == "" {
			return nil, fmt.Errorf("%w: reset needs env, one of %s", ErrUnknownEnv, strings.Join(m.names, ", "))
		}
		return nil, fmt.Errorf("%w %q (have %s)", ErrUnknownEnv, envName, strings.Join(m.names, ", "))
	}
	m.mu.RLock()
	err := m.admit(owner)
	m.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	run, err := w.Start(ctx, taskID, seed)
	if err != nil {
		return nil, err
	}
	e := newEpisode(m.newEpisodeID(), w.Info(), run, owner)
	if err := m.add(e); err != nil {
		run.Close()
		return nil, err
	}
	return e, nil
}

// get returns an episode of owner.
func (m *Manager) get(owner uint64, id string) (*Episode, error) {
	m.mu.RLock()
	e := m.episodes[id]
	m.mu.RUnlock()
	if e == nil || e.owner != owner {
		return nil, m.unknown(owner, id)
	}
	return e, nil
}

// Step runs an action in an episode. When the action ends the episode,
// Step returns only after OnFinish has returned.
func (m *Manager) Step(ctx context.Context, owner uint64, id string, a protocol.Action) (StepResult, error) {
	e, err := m.get(owner, id)
	if err != nil {
		return StepResult{}, err
	}
	r, err := e.step(ctx, a, m.limits.MaxSteps)
	if err == nil && r.Done && m.OnFinish != nil {
		m.OnFinish(e)
	}
	return r, err
}

// Fork starts a new episode with a copy of an episode's state and
// history; the two then diverge independently.
func (m *Manager) Fork(ctx context.Context, owner uint64, id string) (*Episode, error) {
	src, err := m.get(owner, id)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	err = m.admit(owner)
	m.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	e, err := src.fork(ctx, m.newEpisodeID(), owner)
	if err != nil {
		return nil, err
	}
	if err := m.add(e); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// Close ends an episode and frees its state.
func (m *Manager) Close(owner uint64, id string) error {
	m.mu.Lock()
	e := m.episodes[id]
	if e == nil || e.owner != owner {
		m.mu.Unlock()
		return m.unknown(owner, id)
	}
	m.remove(e)
	m.mu.Unlock()
	e.close()
	return nil
}

// remove drops e from the maps; m.mu is held.
func (m *Manager) remove(e *Episode) {
	delete(m.episodes, e.ID)
	if m.perOwner[e.owner]--; m.perOwner[e.owner] <= 0 {
		delete(m.perOwner, e.owner)
	}
}

// CloseOwner closes every episode of an owner (its connection went away)
// and returns how many.
func (m *Manager) CloseOwner(owner uint64) int {
	return m.closeWhere(func(e *Episode) bool { return e.owner == owner })
}

// Sweep closes episodes idle since before now minus the idle timeout,
// and returns how many.
func (m *Manager) Sweep(now time.Time) int {
	if m.limits.IdleTimeout <= 0 {
		return 0
	}
	cutoff := now.Add(-m.limits.IdleTimeout)
	return m.closeWhere(func(e *Episode) bool {
		e.mu.Lock()
		idle := e.last.Before(cutoff)
		e.mu.Unlock()
		if idle {
			m.expired.add(e.ID, e.owner)
		}
		return idle
	})
}

// unknown is the error for an episode id owner does not hold: expired
// when the idle sweep closed it, else unknown.
func (m *Manager) unknown(owner uint64, id string) error {
	if m.expired.has(id, owner) {
		return fmt.Errorf("%w: episode %q was closed after %s without a request (idle timeout)", ErrEpisodeExpired, id, m.limits.IdleTimeout)
	}
	return fmt.Errorf("%w %q", ErrUnknownEpisode, id)
}

// closeWhere closes the episodes that match and returns how many.
func (m *Manager) closeWhere(match func(*Episode) bool) int {
	m.mu.Lock()
	var gone []*Episode
	for _, e := range m.episodes {
		if match(e) {
			gone = append(gone, e)
		}
	}
	for _, e := range gone {
		m.remove(e)
	}
	m.mu.Unlock()
	for _, e := range gone {
		e.close()
	}
	return len(gone)
}

// CloseAll closes every episode (at shutdown).
func (m *Manager) CloseAll() {
	m.mu.Lock()
	all := make([]*Episode, 0, len(m.episodes))
	for _, e := range m.episodes {
		all = append(all, e)
	}
	clear(m.episodes)
	clear(m.perOwner)
	m.mu.Unlock()
	for _, e := range all {
		e.close()
	}
}
