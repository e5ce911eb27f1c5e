package pool

import (
	"fmt"

	"github.com/google/uuid"
)

// eligibility is the pass a claim and an assignment make over their leads,
// in the caller's order, recording at most one failure per lead. The checks
// every move shares come first: NOT_FOUND (the caller cannot see the lead),
// CONFLICT (another transaction holds it, or stale reports that it changed
// between the read and the lock) and INACTIVE.
type eligibility struct {
	seen     map[uuid.UUID]bool
	locked   map[uuid.UUID]*candidate
	stale    func(l *candidate) bool // nil: never
	failures []Failure
}

// each calls check, in the order of ids, with every lead that passes the
// shared checks; check records the lead's own failure with fail, if any.
func (e *eligibility) each(ids []uuid.UUID, check func(id uuid.UUID, l *candidate)) {
	for _, id := range ids {
		l, ok := e.locked[id]
		switch {
		case !e.seen[id]:
			e.failures = append(e.failures, notFound(id))
			continue
		case !ok:
			e.failures = append(e.failures, conflict(id))
			continue
		case e.stale != nil && e.stale(l):
			e.failures = append(e.failures, conflict(id))
			continue
		case l.status != "ACTIVE":
			e.failures = append(e.failures, inactive(id, l.status))
			continue
		}
		check(id, l)
	}
}

// fail records the failure of lead id.
func (e *eligibility) fail(id uuid.UUID, code, format string, args ...any) *Failure {
	e.failures = append(e.failures, Failure{LeadID: id, Code: code, Message: fmt.Sprintf(format, args...)})
	return &e.failures[len(e.failures)-1]
}
