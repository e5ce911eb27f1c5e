// Package assign is the assignment engine (分配规则): it hands leads waiting
// in a public pool to reps by the workspace's enabled assignment rules.
//
// For each lead, in lead-number order, the first enabled rule (by priority,
// then name) whose condition matches picks a rep among its eligible
// candidates with its strategy; when it finds none the lead goes to the
// rule's fallback pool (or stays where it is), and a lead no rule matches
// stays in its pool. A rep is eligible when active, under capacity (open
// leads < capacity) and under the rule's daily cap (leads received from that
// rule since local midnight in the workspace's time zone).
//
// Locks follow the order the claim service uses, so the two never deadlock
// and capacity holds when they race: the tenant's enabled assignment_rules
// rows (by id), then the candidate users rows (by id, FOR NO KEY UPDATE like
// the claim service's), then the leads with
// SKIP LOCKED — a lead someone else holds is left for a later run. Decisions
// are made in memory and written with a handful of set-based statements per
// batch.
package assign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// BatchSize is how many leads one transaction assigns at most.
const BatchSize = 500

// maxAttempts bounds the retries of a batch lost to a serialization failure
// or a deadlock.
const maxAttempts = 5

// ErrCondition is returned (as a CONFLICT apperr.Error naming the rule)
// when an enabled rule's condition cannot be evaluated. Every run of the
// workspace fails until the rule is fixed or disabled: skipping it would
// route its leads by the rules after it.
var ErrCondition = errors.New("assignment rule condition cannot be evaluated")

// errRaced reports a write that did not touch every row it had locked, which
// only a broken lock discipline elsewhere can cause; the batch is retried.
var errRaced = errors.New("assign: a locked lead changed under the batch")

// Matcher reports which of ids match a rule condition; an empty condition
// matches all. It is called inside the batch's transaction (ctx carries it,
// see ent.TxFromContext), without a viewer's row scope.
type Matcher func(ctx context.Context, condition string, ids []uuid.UUID) (map[uuid.UUID]bool, error)

// Engine runs the assignment rules of the workspace in ctx over leads. It is
// system work: no caller's row scope limits it. Any number of engines, in any
// number of processes, may run at once.
type Engine struct {
	Client *ent.Client
	Now    func() time.Time
	Match  Matcher // nil: only rules with an empty condition can match
	// Notify queues the delivery of the reps' lead.assigned notifications
	// (internal/notices) in the batch's transaction; nil writes them
	// without queueing.
	Notify notices.Deliverer
}

// db is the client of the transaction ctx carries, else the root client:
// the rule configuration joins a caller's transaction.
func (e *Engine) db(ctx context.Context) *ent.Client { return txn.Client(ctx, e.Client) }

// Result says what became of the leads given to Run.
type Result struct {
	Assigned map[uuid.UUID]uuid.UUID // lead → rep
	Pooled   []uuid.UUID             // no rule matched or no eligible rep: left in / moved to the fallback pool
	Skipped  []uuid.UUID             // not in the public pool, inactive, unknown, or locked by another transaction
	// Released are the leads Reassign took from their owners (lead →
	// former owner), whether they went to a rep or to a pool.
	Released map[uuid.UUID]uuid.UUID
}

// Run assigns the leads ids of the workspace in ctx, in batches of at most
// BatchSize leads, one transaction each, retried on serialization failures
// and deadlocks. When a batch fails, the batches before it stay committed:
// the returned Result (never nil) covers them, next to the error.
func (e *Engine) Run(ctx context.Context, ids []uuid.UUID) (*Result, error) {
	return e.RunExcluding(ctx, ids, nil)
}

// RunExcluding is Run, except that no lead goes to the rep exclude names
// for it (lead → rep): a reassignment (二次分配) that must not give a lead
// back to the owner it just had. Inside a caller's transaction (ctx carries
// it) the leads are one batch, under a savepoint of it.
func (e *Engine) RunExcluding(ctx context.Context, ids []uuid.UUID, exclude map[uuid.UUID]uuid.UUID) (*Result, error) {
	res := &Result{Assigned: map[uuid.UUID]uuid.UUID{}}
	tid, loc, ids, err := e.prepare(ctx, ids)
	if err != nil || len(ids) == 0 {
		return res, err
	}
	ctx = scope.Unscoped(ctx)
	waiting, err := e.waiting(ctx, tid, ids)
	if err != nil {
		return res, err
	}
	in := make(map[uuid.UUID]bool, len(waiting))
	for _, id := range waiting {
		in[id] = true
	}
	for _, id := range ids {
		if !in[id] {
			res.Skipped = append(res.Skipped, id)
		}
	}
	return res, e.runBatches(ctx, tid, loc, waiting, res, func(b *batch) { b.exclude = exclude })
}

// prepare reads what every run needs: the workspace, its time zone and the
// distinct ids.
func (e *Engine) prepare(ctx context.Context, ids []uuid.UUID) (uuid.UUID, *time.Location, []uuid.UUID, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return uuid.Nil, nil, nil, err
	}
	ids = distinct(ids)
	if len(ids) == 0 {
		return tid, nil, nil, nil
	}
	settings, err := workspace.SettingsOf(scope.Unscoped(ctx), e.Client, tid)
	if err != nil {
		return tid, nil, nil, err
	}
	loc, err := time.LoadLocation(settings.Timezone)
	if err != nil {
		return tid, nil, nil, fmt.Errorf("assign: workspace time zone %q: %w", settings.Timezone, err)
	}
	return tid, loc, ids, nil
}

// runBatches runs ids in batches, each set up by setup, adding what they did
// to res. In a caller's transaction every lock is held until it ends
// whatever the batches, so smaller ones bound nothing and the ids are one
// batch; each batch recounts its reps' open leads, which grows with what
// they own.
func (e *Engine) runBatches(ctx context.Context, tid uuid.UUID, loc *time.Location, ids []uuid.UUID, res *Result, setup func(*batch)) error {
	size := BatchSize
	if ent.TxFromContext(ctx) != nil && len(ids) > 0 {
		size = len(ids)
	}
	for chunk := range slices.Chunk(ids, size) {
		out, err := e.runBatch(ctx, tid, loc, chunk, setup)
		if err != nil {
			return err
		}
		for id, u := range out.Assigned {
			res.Assigned[id] = u
		}
		for id, u := range out.Released {
			if res.Released == nil {
				res.Released = map[uuid.UUID]uuid.UUID{}
			}
			res.Released[id] = u
		}
		res.Pooled = append(res.Pooled, out.Pooled...)
		res.Skipped = append(res.Skipped, out.Skipped...)
	}
	return nil
}

// waiting returns those of ids that are in a public pool now, in lead-number
// order, so batches follow the order leads arrived in. Each batch checks
// again under its locks.
func (e *Engine) waiting(ctx context.Context, tid uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	rows, err := e.db(ctx).QueryContext(ctx, `SELECT id FROM leads
		WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND owner_id IS NULL AND status = 'ACTIVE'
		ORDER BY seq`, tid, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("assign: read leads: %w", err)
	}
	defer rows.Close()
	out := make([]uuid.UUID, 0, len(ids))
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// runBatch assigns one batch in its own transaction, retrying lost races.
func (e *Engine) runBatch(ctx context.Context, tid uuid.UUID, loc *time.Location, ids []uuid.UUID, setup func(*batch)) (*Result, error) {
	var out *Result
	err := txn.Retry(ctx, e.db(ctx), maxAttempts, retryable, func(ctx context.Context, c *ent.Client) error {
		b := newBatch(e, c, tid, e.now(), loc)
		setup(b)
		var err error
		out, err = b.run(ctx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// retryable reports whether err is a lost race a new attempt resolves.
func retryable(err error) bool { return errors.Is(err, errRaced) || txn.LostRace(err) }

// distinct returns ids without repeats, in their first order.
func distinct(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}
