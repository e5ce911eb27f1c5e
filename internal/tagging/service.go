package tagging

import (
	"time"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service creates tags and tag groups and tags leads, in the transaction
// the context carries or in its own.
type Service struct{ txn.Root }

// New returns the service over the root client c with the clock now (nil:
// the system clock); app.New builds the one the processes use.
func New(c *ent.Client, now func() time.Time) *Service {
	return &Service{txn.NewRoot(c).WithClock(now)}
}
