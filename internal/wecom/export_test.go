package wecom

import (
	"testing"

	"github.com/google/uuid"
)

// OnLeaseWait makes f hear, for the rest of t, each time a caller finds
// another upload of a medium under way and waits for it (freshMediaID).
func OnLeaseWait(t testing.TB, f func(id uuid.UUID)) {
	leaseWaited = f
	t.Cleanup(func() { leaseWaited = nil })
}
