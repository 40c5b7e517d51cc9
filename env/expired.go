package env

import "sync"

// expiredCap bounds how many swept episode ids the manager remembers, so
// a late step can be told its episode expired rather than that it never
// existed. About 64 bytes an entry: a few MiB at most.
const expiredCap = 1 << 16

// expiredSet remembers the most recently swept episodes (id and owner),
// forgetting the oldest past its capacity.
type expiredSet struct {
	mu    sync.Mutex
	owner map[string]uint64
	ring  []string
	next  int
}

// add remembers that episode id of owner was swept.
func (s *expiredSet) add(id string, owner uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner == nil {
		s.owner = map[string]uint64{}
		s.ring = make([]string, expiredCap)
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.owner, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.owner[id] = owner
}

// has reports whether episode id of owner was swept.
func (s *expiredSet) has(id string, owner uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.owner[id]
	return ok && o == owner
}
