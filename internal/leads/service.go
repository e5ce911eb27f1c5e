package leads

import (
	"context"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service edits, merges and follows up leads (ingest is the Ingester's), in
// the transaction the context carries or in its own.
type Service struct {
	txn.Root
	// Promises, when set, hears of every follow-up in its transaction
	// (tasks.Service: follow-up promises as tasks).
	Promises Promises
	// Events records the system events of a merge (lead.merged) and tells
	// its watcher in the merge's transaction (journeys triggered by an
	// event); nil: recorded, nobody told.
	Events *events.Recorder
	// Tags, when set, hears of the tags a merge moves onto the surviving
	// lead that it did not have (tag → the survivor), in the merge's
	// transaction (journeys triggered by a tag).
	Tags TagWatcher
}

// Promises hears of each follow-up recorded on lead l, in the transaction
// of c, so that it keeps and makes follow-up promises.
type Promises interface {
	FollowedUp(ctx context.Context, c *ent.Client, f *ent.FollowUp, l *ent.Lead) error
}

// New returns the service over the root client c (app.New builds the one
// the processes use).
func New(c *ent.Client) *Service { return &Service{Root: txn.NewRoot(c)} }
