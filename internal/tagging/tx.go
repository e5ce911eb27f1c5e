package tagging

import (
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// lockTagNames is the advisory lock class (first key of
// pg_advisory_xact_lock(int, int)) that serialises tag creation per workspace.
// Tag names are unique in the workspace, which the schema's unique index
// (tenant, group, name) does not cover; the lock makes check-then-insert safe.
const lockTagNames = 7262201

// text is textinput.Clean; kept short because every input of this package uses it.
var text = textinput.Clean

// Shared helpers, under the names this package's code uses.
var (
	withTx        = txn.WithTx
	tenantOf      = txn.Tenant
	lockWorkspace = txn.LockWorkspace
	checkActor    = org.CheckActor
	uuidArray     = txn.UUIDArray
)
