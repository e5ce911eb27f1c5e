package policy

import (
	"context"
	"slices"
	"sync"
)

// MemoryStore is a Store kept in memory, for tests and for tools that run
// without a database. Apply plays the part of the database write a caller
// does with the changes of Grant and Revoke.
type MemoryStore struct {
	mu    sync.Mutex
	rules []Rule
}

// NewMemoryStore returns a store holding rules.
func NewMemoryStore(rules ...Rule) *MemoryStore {
	return &MemoryStore{rules: slices.Clone(rules)}
}

// Load returns a copy of the stored rules.
func (s *MemoryStore) Load(ctx context.Context) ([]Rule, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rules), nil
}

// Apply adds and removes rows as listed, the way a database store would
// persist the result of Grant or Revoke. Adding a row already present and
// removing one that is absent do nothing, like an upsert and a delete.
func (s *MemoryStore) Apply(changes []Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range changes {
		i := slices.Index(s.rules, c.Rule)
		switch {
		case c.Op == OpAdd && i < 0:
			s.rules = append(s.rules, c.Rule)
		case c.Op == OpRemove && i >= 0:
			s.rules = slices.Delete(s.rules, i, i+1)
		}
	}
}
