package suppress

import (
	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service adds suppressions, in the transaction the context carries or in
// its own. The blacklist checks (BlacklistedContacts, BlacklistedLeads) are
// steps of a caller's transaction and take its client.
type Service struct{ txn.Root }

// New returns the service over the root client c (app.New builds the one
// the processes use).
func New(c *ent.Client) *Service { return &Service{txn.NewRoot(c)} }
