package pipeline

import (
	"time"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service changes pipelines, stages and lost reasons and moves leads between
// stages, in the transaction the context carries or in its own.
type Service struct{ txn.Root }

// New returns the service over the root client c with the clock now (nil:
// the system clock); app.New builds the one the processes use.
func New(c *ent.Client, now func() time.Time) *Service {
	return &Service{txn.NewRoot(c).WithClock(now)}
}
