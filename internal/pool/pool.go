// Package pool runs the public and private pools (公海/私海): reps claim
// leads from a public pool and release them back, managers move leads
// between reps and pools, and a periodic pass recycles stalled leads and
// reminds their owners first.
//
// Model. A lead's pool_id is its home pool and is kept while a rep owns it;
// a lead is in the public pool when it is ACTIVE, has no owner and has a
// pool. A lead without a pool follows the workspace's default pool. A rep's
// private pool is the ACTIVE leads the rep owns; its open leads (those whose
// stage is unset or of kind OPEN) count against the rep's capacity. "Today"
// for daily limits starts at local midnight in the workspace's time zone; a
// span of N days (cooldown, protection, recycle rules) is N×24 hours.
//
// Locks. A transaction locks users rows FOR NO KEY UPDATE (one, or several
// in id order) before any lead, and locks leads only with SKIP LOCKED, so it
// never waits on a lead row and claims, assignments and recycle passes
// cannot deadlock. NO KEY UPDATE serialises a rep's claims exactly like FOR
// UPDATE does, but lets other transactions insert rows that merely refer to
// the user (notifications, owner changes) without waiting. A requested lead
// that another transaction holds fails with CONFLICT. Every owner change is
// written with its OwnerChange row in the same transaction, set-based.
package pool

import (
	"context"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // the workspace time zone must resolve on hosts without zoneinfo

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// Service claims, releases, assigns and recycles the leads of the workspace
// in the context it is called with.
type Service struct {
	Client *ent.Client
	// Now is the clock; nil means the wall clock.
	Now func() time.Time
	// Notify, when set, queues the delivery of the notifications a recycle
	// batch writes, in the batch's transaction.
	Notify Notifier
}

// db is the client of the transaction ctx carries, else the root client.
func (s *Service) db(ctx context.Context) *ent.Client { return txn.Client(ctx, s.Client) }

// Notifier queues the delivery of new notification rows (jobs.Queue) in the
// transaction ctx carries.
type Notifier interface {
	DeliverNotifications(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) error
}

// Failure is why one lead was not claimed or assigned. Message says it in
// English; the fields after it give a client what it needs to say it in its
// own language.
type Failure struct {
	LeadID  uuid.UUID
	Code    string
	Message string
	// Until: COOLDOWN, when the rep may claim the lead again; PROTECTED, when
	// its protection ends.
	Until *time.Time
	// Limit: DAILY_LIMIT, the limit reached; OVER_CAPACITY, the capacity.
	Limit *int
	// Pool: NOT_ALLOWED, and DAILY_LIMIT when it is the pool's limit (not the
	// rep's), the pool's name.
	Pool *string
}

// The codes of a Failure.
const (
	// CodeNotFound: no such lead in the workspace, or outside the caller's row scope.
	CodeNotFound = "NOT_FOUND"
	// CodeInactive: the lead was merged or archived.
	CodeInactive = "INACTIVE"
	// CodeAlreadyOwned: a rep (maybe the caller) owns the lead.
	CodeAlreadyOwned = "ALREADY_OWNED"
	// CodeNotInPool: the lead is in no public pool.
	CodeNotInPool = "NOT_IN_POOL"
	// CodeNotAllowed: the pool's teams and territories exclude the rep.
	CodeNotAllowed = "NOT_ALLOWED"
	// CodeOverCapacity: the rep's open leads would exceed their capacity.
	CodeOverCapacity = "OVER_CAPACITY"
	// CodeDailyLimit: the rep's or the pool's daily claim limit is reached.
	CodeDailyLimit = "DAILY_LIMIT"
	// CodeCooldown: the rep lost this lead recently; the message says when
	// they may claim it again.
	CodeCooldown = "COOLDOWN"
	// CodeProtected: the lead is in its owner's protection period; the
	// message says until when.
	CodeProtected = "PROTECTED"
	// CodeConflict: another transaction is changing the lead; try again.
	CodeConflict = "CONFLICT"
	// CodeNotActiveUser: the rep the leads should go to is inactive.
	CodeNotActiveUser = "NOT_ACTIVE_USER"
)

// MaxIDs is how many distinct lead ids one call may name.
const MaxIDs = 1000

// maxReason is the length limit of a reason, in characters.
const maxReason = 1000

// maxAttempts bounds the retries of a transaction lost to a serialization
// failure or a deadlock.
const maxAttempts = 5

// lockRecycle is the advisory lock class (first key of
// pg_advisory_xact_lock(int, int)) that serialises the write batches of
// concurrent recycle passes of one workspace, so reminders are sent once.
const lockRecycle = 7262201

// errRaced reports a write that did not touch every row its transaction had
// locked, which only a broken lock discipline elsewhere can cause; the
// transaction is retried.
var errRaced = errors.New("pool: a locked lead changed under the transaction")

// ErrInactiveUser is returned when an inactive user tries to claim.
var ErrInactiveUser = errors.New("the user is inactive")

// Notification kinds written by this package.
const (
	// KindRecycled tells a rep that a lead was recycled from them.
	KindRecycled = "pool.recycled"
	// KindRecycleReminder tells a rep that a lead of theirs will be recycled soon.
	KindRecycleReminder = "pool.recycle_reminder"
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		// Postgres keeps microseconds; leads read back must equal what was written.
		return s.Now().Truncate(time.Microsecond)
	}
	return time.Now().Truncate(time.Microsecond)
}

// days is n days as a duration: a span of days is n×24 hours everywhere in
// this package, in Go and in SQL.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// location returns the time zone of workspace tid.
func (s *Service) location(ctx context.Context, tid uuid.UUID) (*time.Location, error) {
	set, err := workspace.SettingsOf(ctx, s.Client, tid)
	if err != nil {
		return nil, err
	}
	return loadLocation(set.Timezone)
}

// loadLocation is the time zone of a workspace's settings.
func loadLocation(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("pool: workspace time zone %q: %w", name, err)
	}
	return loc, nil
}

// localMinute formats t in loc to the minute, rounding up so that the time
// shown is never before t (a cooldown "until 10:01" has ended at 10:01).
func localMinute(t time.Time, loc *time.Location) string {
	if r := t.Truncate(time.Minute); !r.Equal(t) {
		t = r.Add(time.Minute)
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// distinct checks the ids of a call and returns them without repeats, in
// their first order.
func distinct(ids []uuid.UUID) ([]uuid.UUID, error) {
	if len(ids) == 0 {
		return nil, apperr.Input("ids", "give at least one lead id")
	}
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) > MaxIDs {
		return nil, apperr.Input("ids", "give at most %d lead ids", MaxIDs)
	}
	return out, nil
}

// inTx runs fn in a transaction of the service's client, retried when it
// loses a race (txn.Retry).
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, c *ent.Client) error) error {
	return txn.Retry(ctx, s.Client, maxAttempts, retryable, fn)
}

// retryable reports whether err is a lost race a new attempt resolves.
func retryable(err error) bool { return errors.Is(err, errRaced) || txn.LostRace(err) }

// typeBytes holds bytes 6-7 of an id of type t (UUID version and entity
// type code, see internal/gid), taken from a real id so that ids made in SQL
// cannot drift from gid.
func typeBytes(t gid.Type) []byte {
	id := gid.New(t)
	return []byte{id[6], id[7]}
}

func newOwnerChangeID() uuid.UUID { return gid.New(gid.OwnerChange) }

var (
	ownerChangeType  = typeBytes(gid.OwnerChange)
	notificationType = typeBytes(gid.Notification)
)

// nullableUUIDs binds ids, where uuid.Nil stands for NULL, as one text[]
// parameter; SQL reads each element with nullif(x, ”)::uuid.
func nullableUUIDs(ids []uuid.UUID) pq.StringArray {
	s := make(pq.StringArray, len(ids))
	for i, id := range ids {
		if id != uuid.Nil {
			s[i] = id.String()
		}
	}
	return s
}

// orderLike returns the members of got in the order of ids.
func orderLike(ids []uuid.UUID, got map[uuid.UUID]bool) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(got))
	for _, id := range ids {
		if got[id] {
			out = append(out, id)
		}
	}
	return out
}

// inactive is the failure of a merged or archived lead.
func inactive(id uuid.UUID, status string) Failure {
	msg := "the lead is archived"
	if status == "MERGED" {
		msg = "the lead was merged into another lead"
	}
	return Failure{LeadID: id, Code: CodeInactive, Message: msg}
}

func notFound(id uuid.UUID) Failure {
	return Failure{LeadID: id, Code: CodeNotFound, Message: "lead not found"}
}

func conflict(id uuid.UUID) Failure {
	return Failure{LeadID: id, Code: CodeConflict, Message: "the lead is being changed by someone else; try again"}
}
