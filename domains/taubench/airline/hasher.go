package airline

import (
	"context"
	"sync"

	"github.com/simgym/simgym/domains"
)

// Hasher computes Hash for many databases that share most of their
// records (episodes started from tau-bench's one initial state): it
// remembers each record's hashed form by its JSON text, so only the
// records that differ are formatted again. It is safe for concurrent
// use; hashes are computed one at a time.
type Hasher struct {
	mu sync.Mutex
	hs hasher
}

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher { return &Hasher{hs: hasher{cache: map[string][]byte{}}} }

// Hash is Hash(ctx, db), with the Hasher's memory of records.
func (h *Hasher) Hash(ctx context.Context, db domains.DBTX) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hs.hashDB(ctx, db)
}
