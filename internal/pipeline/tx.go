package pipeline

import (
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
)

// Advisory lock classes (first key of pg_advisory_xact_lock(int, int)); the
// second key is derived from the workspace id.
const lockDefaultPipeline = 7262101

// text is textinput.Clean; kept short because every input of this package uses it.
var text = textinput.Clean

// notFound turns ent's not-found into NOT_FOUND at field and passes other errors on.
func notFound(err error, field, what string) error {
	if ent.IsNotFound(err) {
		return apperr.Wrap(err, apperr.NotFound, field, what+" not found")
	}
	return err
}

// Shared helpers, under the names this package's code uses.
var (
	withTx        = txn.WithTx
	tenantOf      = txn.Tenant
	lockWorkspace = txn.LockWorkspace
	checkActor    = org.CheckActor
	uuidArray     = txn.UUIDArray
)
