package leads

import (
	"context"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service edits, merges and follows up leads (ingest is the Ingester's), in
// the transaction the context carries or in its own.
type Service struct {
	txn.Root
	// Promises, when set, hears of every follow-up in its transaction
	// (tasks.Service: follow-up promises as tasks).
	Promises Promises
	// Events, when set, hears of the system events a merge records
	// (lead.merged), in the merge's transaction (journeys triggered by an
	// event).
	Events EventWatcher
}

// EventWatcher is told about events recorded on leads (internal/journey).
type EventWatcher interface {
	EventTracked(ctx context.Context, name string, leads []uuid.UUID) error
}

// Promises hears of each follow-up recorded on lead l, in the transaction
// of c, so that it keeps and makes follow-up promises.
type Promises interface {
	FollowedUp(ctx context.Context, c *ent.Client, f *ent.FollowUp, l *ent.Lead) error
}

// New returns the service over the root client c (app.New builds the one
// the processes use).
func New(c *ent.Client) *Service { return &Service{Root: txn.NewRoot(c)} }
