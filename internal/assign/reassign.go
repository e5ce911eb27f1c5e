package assign

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// ErrConditional is returned by Reassign when a rule with a condition would
// decide some of the leads. A condition sees a lead as it is, and a
// reassigned lead must be judged as it is in the pool it returns to (no
// owner, its pool): the caller returns the leads to their pool first and
// runs RunExcluding, as Reassign would have, in two writes of each lead.
var ErrConditional = errors.New("assign: a rule with a condition decides these leads")

// maxReleaseReason bounds the reason of Reassign's RELEASE rows, as the pool
// service bounds its own.
const maxReleaseReason = 1000

// reassigning is what a Reassign batch needs besides its leads.
type reassigning struct {
	excludeOwner bool
	reason       string // of the RELEASE rows
}

// Reassign (二次分配) is system work: it takes the ACTIVE leads among ids
// from their owners and gives each the rep the workspace's assignment rules
// pick for it, never its current owner when excludeOwner, or else returns it
// to its pool (the rule's fallback pool when it has one). It is what
// ReturnToPool followed by RunExcluding does, owner changes included (a
// RELEASE by SYSTEM with reason, then the rule's AUTO_ASSIGN), with one
// update of each lead instead of two: the leads are decided as they will be
// in their pool (no owner, the default pool for one without), and their
// owners' open leads are counted without them.
//
// The leads are locked first, waiting for those another transaction holds,
// in id order like every bulk lead write; then the rules and the reps, as
// Run locks them. When a rule with a condition would be asked about a lead,
// Reassign returns ErrConditional; in a caller's transaction (the journey
// engine's, its one caller) the leads are one batch, so it has written
// nothing, while outside one the batches before stay committed.
func (e *Engine) Reassign(ctx context.Context, ids []uuid.UUID, excludeOwner bool, reason string) (*Result, error) {
	res := &Result{Assigned: map[uuid.UUID]uuid.UUID{}, Released: map[uuid.UUID]uuid.UUID{}}
	reason, err := textinput.Clean("reason", reason, maxReleaseReason, false)
	if err != nil {
		return res, err
	}
	tid, loc, ids, err := e.prepare(ctx, ids)
	if err != nil || len(ids) == 0 {
		return res, err
	}
	ctx = scope.Unscoped(ctx)
	re := &reassigning{excludeOwner: excludeOwner, reason: reason}
	return res, e.runBatches(ctx, tid, loc, ids, res, func(b *batch) { b.re = re })
}

// runReassign is run for Reassign.
func (b *batch) runReassign(ctx context.Context, ids []uuid.UUID) (*Result, error) {
	leads, err := b.readLeads(ctx, ids, true)
	if err != nil {
		return nil, err
	}
	found := make(map[uuid.UUID]bool, len(leads))
	for _, l := range leads {
		found[l.id] = true
		if l.owner == nil {
			continue
		}
		if b.leaving == nil {
			b.leaving = map[uuid.UUID]int{}
		}
		if l.open {
			b.leaving[*l.owner]++
		}
		if b.re.excludeOwner {
			if b.exclude == nil {
				b.exclude = map[uuid.UUID]uuid.UUID{}
			}
			b.exclude[l.id] = *l.owner
		}
	}
	for _, id := range ids {
		if !found[id] {
			b.out.Skipped = append(b.out.Skipped, id)
		}
	}
	// Locked in id order; decided in lead-number order, as Run decides.
	slices.SortFunc(leads, func(x, y *candidate) int { return int(min(max(x.seq-y.seq, -1), 1)) })
	if err := b.lockRules(ctx); err != nil {
		return nil, err
	}
	if err := b.match(ctx, leads); err != nil {
		return nil, err
	}
	if err := b.lookUpCandidates(ctx, leads); err != nil {
		return nil, err
	}
	if err := b.lockUsers(ctx); err != nil {
		return nil, err
	}
	if err := b.loadLoads(ctx); err != nil {
		return nil, err
	}
	b.decide(leads)
	if err := b.writeReassigned(ctx, leads); err != nil {
		return nil, err
	}
	if err := b.writeRules(ctx); err != nil {
		return nil, err
	}
	return b.out, nil
}

// reassignSQL moves each lead from its owner ($4, empty for none) to the rep
// the rules picked ($5, empty for none) and into its pool ($6: the fallback
// pool, else the pool it returns to), in one update, and records the
// history ReturnToPool and the assignment write would: a RELEASE by SYSTEM
// from the former owner into the pool it returns to ($7), then the rule's
// AUTO_ASSIGN ($10, empty for a lead no rule decided). The update keeps the
// owner it read in its WHERE, so owners and history cannot disagree.
// claimed_at and protected_until are the assignment's for a lead given to a
// rep (the protection of its pool), cleared for one taken from its owner,
// kept for a lead that had none. The leads are found by their ctids, read
// by primary key (as readLeads finds them): by `id = ANY($3)` the planner
// hashed a sequential scan of every lead of the workspace per batch.
const reassignSQL = `
WITH d AS (
	SELECT * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], $9::uuid[], $10::text[], $11::text[])
		AS d(lead_id, from_user, to_user, pool_id, home_id, release_id, change_id, rule_id, reason)
), moved AS (
	UPDATE leads l SET owner_id = nullif(d.to_user, '')::uuid, pool_id = nullif(d.pool_id, '')::uuid, updated_at = $2::timestamptz,
		claimed_at = CASE WHEN d.to_user <> '' THEN $2::timestamptz WHEN d.from_user <> '' THEN NULL ELSE l.claimed_at END,
		protected_until = CASE
			WHEN d.to_user <> '' THEN (SELECT CASE WHEN p.protection_days > 0 THEN $2::timestamptz + make_interval(days => p.protection_days::int) END
				FROM pools p WHERE p.tenant_id = l.tenant_id AND p.id = nullif(d.pool_id, '')::uuid)
			WHEN d.from_user <> '' THEN NULL ELSE l.protected_until END
	FROM d
	WHERE l.ctid = ANY(ARRAY(SELECT (SELECT x.ctid FROM leads x WHERE x.tenant_id = $1 AND x.id = u.id)
			FROM unnest($3::uuid[]) AS u(id)))
		AND l.tenant_id = $1 AND l.id = ANY($3::uuid[]) AND l.id = d.lead_id AND l.status = 'ACTIVE'
		AND l.owner_id IS NOT DISTINCT FROM nullif(d.from_user, '')::uuid
	RETURNING d.*
), released AS (
	INSERT INTO owner_changes (id, tenant_id, lead_id, from_user_id, to_user_id, pool_id, kind, "by", actor_id, reason, at)
	SELECT release_id, $1, lead_id, from_user::uuid, NULL, nullif(home_id, '')::uuid, 'RELEASE', 'SYSTEM', NULL, $12, $2::timestamptz
	FROM moved WHERE from_user <> ''
), assigned AS (
	INSERT INTO owner_changes (id, tenant_id, lead_id, to_user_id, pool_id, kind, "by", rule_id, reason, at)
	SELECT change_id, $1, lead_id, nullif(to_user, '')::uuid, nullif(pool_id, '')::uuid, 'AUTO_ASSIGN', 'RULE', rule_id::uuid, reason, $2::timestamptz
	FROM moved WHERE rule_id <> ''
)
SELECT count(*) FROM moved`

// writeReassigned writes where Reassign's leads go, in lead-number order.
// A lead that had no owner and stays where it is is not written.
func (b *batch) writeReassigned(ctx context.Context, leads []*candidate) error {
	type outcome struct {
		to     uuid.UUID // rep, or fallback pool
		rule   *rule
		pooled bool
	}
	decided := make(map[uuid.UUID]outcome, len(b.assigned)+len(b.fallbacks))
	for _, d := range b.assigned {
		decided[d.lead.id] = outcome{to: d.to, rule: d.rule}
	}
	for _, d := range b.fallbacks {
		decided[d.lead.id] = outcome{to: d.to, rule: d.rule, pooled: true}
	}
	var ids, releases, changes []uuid.UUID
	var from, to, pools, homes, rules, reasons pq.StringArray
	for _, l := range leads {
		o, ok := decided[l.id]
		if !ok && l.owner == nil {
			continue
		}
		ids = append(ids, l.id)
		from = append(from, text(l.owner))
		homes = append(homes, text(l.pool))
		// Both rows are at the same instant: the RELEASE gets the smaller
		// id so that history read by (at, id) has it first.
		r, c := gid.New(gid.OwnerChange), gid.New(gid.OwnerChange)
		if compareIDs(r, c) > 0 {
			r, c = c, r
		}
		releases, changes = append(releases, r), append(changes, c)
		switch {
		case !ok:
			to, pools, rules, reasons = append(to, ""), append(pools, text(l.pool)), append(rules, ""), append(reasons, "")
		case o.pooled:
			to, pools, rules = append(to, ""), append(pools, o.to.String()), append(rules, o.rule.id.String())
			reasons = append(reasons, "rule "+o.rule.name+": no eligible rep")
		default:
			to, pools, rules = append(to, o.to.String()), append(pools, text(l.pool)), append(rules, o.rule.id.String())
			reasons = append(reasons, "rule "+o.rule.name+": "+string(o.rule.strategy))
		}
		if l.owner != nil {
			b.out.Released[l.id] = *l.owner
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var n int
	if err := txn.QueryRow(ctx, b.c, reassignSQL, b.tid, b.now, txn.UUIDArray(ids), from, to, pools, homes,
		txn.UUIDArray(releases), txn.UUIDArray(changes), rules, reasons, b.re.reason).Scan(&n); err != nil {
		return fmt.Errorf("assign: reassign leads: %w", err)
	}
	if n != len(ids) {
		return fmt.Errorf("%w: wrote %d of %d", errRaced, n, len(ids))
	}
	// The reps who got leads are told, once per batch.
	var got, reps []uuid.UUID
	for _, d := range b.assigned {
		got, reps = append(got, d.lead.id), append(reps, d.to)
	}
	_, err := notices.Assigned(ctx, b.c, b.e.Notify, b.tid, b.now, got, reps, "（重新分配）", uuid.Nil)
	return err
}

// text is id as text, empty for none.
func text(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}
