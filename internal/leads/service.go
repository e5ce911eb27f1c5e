package leads

import (
	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service edits, merges and follows up leads (ingest is the Ingester's), in
// the transaction the context carries or in its own.
type Service struct{ txn.Root }

// New returns the service over the root client c (app.New builds the one
// the processes use).
func New(c *ent.Client) *Service { return &Service{txn.NewRoot(c)} }
