package graph

import (
	"context"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/broadcast"
)

// statsBatch lets a page of broadcasts load its stats in one statement: the
// list resolver announces the page's ids, and the first stats field of the
// request counts them all.
type statsBatch struct {
	mu      sync.Mutex
	pending []uuid.UUID
	loaded  map[uuid.UUID]*broadcast.Stats
}

type statsBatchKey struct{}

// WithRequestBatches returns ctx carrying the request's batch loaders; the
// HTTP middleware calls it once per request.
func WithRequestBatches(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, statsBatchKey{}, &statsBatch{loaded: map[uuid.UUID]*broadcast.Stats{}})
	return context.WithValue(ctx, contactWayReadsKey{}, &contactWayReads{scopes: map[*graphql.FieldContext]*contactWayRead{}})
}

// expectStats announces broadcasts whose stats may be asked for.
func expectStats(ctx context.Context, ids []uuid.UUID) {
	if b, _ := ctx.Value(statsBatchKey{}).(*statsBatch); b != nil {
		b.mu.Lock()
		b.pending = append(b.pending, ids...)
		b.mu.Unlock()
	}
}

// statsOf returns a broadcast's stats, counting the announced ones with it.
func statsOf(ctx context.Context, s *broadcast.Service, id uuid.UUID) (*broadcast.Stats, error) {
	b, _ := ctx.Value(statsBatchKey{}).(*statsBatch)
	if b == nil {
		return s.StatsOf(ctx, id)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.loaded[id]; ok {
		return st, nil
	}
	ids := append(slices.DeleteFunc(b.pending, func(p uuid.UUID) bool { _, ok := b.loaded[p]; return ok }), id)
	b.pending = nil
	m, err := s.StatsFor(ctx, ids)
	if err != nil {
		return nil, err
	}
	for k, v := range m {
		b.loaded[k] = v
	}
	return m[id], nil
}
