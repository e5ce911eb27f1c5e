package pool

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// Assign is a manager's move of the leads ids to the rep ownerID, or back
// to their public pool when ownerID is nil. Each lead is checked on its own:
// NOT_FOUND (no such lead, or outside the row scope in ctx), CONFLICT
// (another transaction holds it), INACTIVE, NOT_ACTIVE_USER (the rep is
// inactive), PROTECTED (another rep owns it and its protection lasts past
// now, unless the actor administers the lead's pool or is that owner) and
// OVER_CAPACITY (the rep's open leads would exceed their capacity). A lead
// the target already has (for nil: an unowned lead with a pool) counts as
// assigned and is not changed.
//
// A lead moved to a rep gets claimedAt now and protectedUntil by its pool's
// protection days; a lead moved to the pool is released like by Release.
// Each move is recorded as an ASSIGN OwnerChange by the actor with the reason
// (trimmed, at most 1000 characters); the former owner is then in the pool's
// cooldown for it. An actor that is no user of the workspace is NOT_FOUND at
// "actorID". An ownerID that is no user of the workspace is bad input
// at "ownerID" and nothing is written; an inactive rep is not an input error
// but a NOT_ACTIVE_USER failure per lead, since the id is valid. The leads'
// owners, the target and the actor are locked (users rows in id order)
// before the leads.
func (s *Service) Assign(ctx context.Context, actorID uuid.UUID, ids []uuid.UUID, ownerID *uuid.UUID, reason string) (assigned []uuid.UUID, failures []Failure, err error) {
	ids, err = distinct(ids)
	if err != nil {
		return nil, nil, err
	}
	reason, err = textinput.Clean("reason", reason, maxReason, false)
	if err != nil {
		return nil, nil, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, nil, err
	}
	if ownerID != nil {
		ok, err := s.Client.User.Query().Where(user.ID(*ownerID)).Exist(ctx)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, unknownOwner()
		}
	}
	loc, err := s.location(ctx, tid)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	err = s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		a := &assignment{c: c, tid: tid, actor: actorID, target: ownerID, now: now, loc: loc, reason: reason, notify: s.Notify}
		var err error
		assigned, failures, err = a.run(ctx, ids)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return assigned, failures, nil
}

func unknownOwner() error {
	return apperr.Input("ownerID", "no user with this id in the workspace")
}

// assignment is one attempt of an Assign, inside its transaction.
type assignment struct {
	c      *ent.Client
	tid    uuid.UUID
	actor  uuid.UUID
	target *uuid.UUID
	now    time.Time
	loc    *time.Location
	reason string
	// notify queues the target's lead.assigned notification (nil: written only).
	notify notices.Deliverer
}

// lockedUser is a users row an assignment holds.
type lockedUser struct {
	capacity int
	active   bool
}

func (a *assignment) run(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, []Failure, error) {
	// Read the leads the caller sees, to learn their owners: the owners'
	// rows are locked with the target's, in id order, before the leads, so
	// the owner changes written below never wait on a users row out of order.
	seen, err := a.c.Lead.Query().Where(lead.IDIn(ids...)).Select(lead.FieldID, lead.FieldOwnerID).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("pool: read leads: %w", err)
	}
	visibleIDs := make([]uuid.UUID, 0, len(seen))
	// The actor is locked too: the OwnerChange rows name it.
	userIDs := []uuid.UUID{a.actor}
	if a.target != nil {
		userIDs = append(userIDs, *a.target)
	}
	for _, l := range seen {
		visibleIDs = append(visibleIDs, l.ID)
		if l.OwnerID != nil {
			userIDs = append(userIDs, *l.OwnerID)
		}
	}
	users, err := lockUsers(ctx, a.c, a.tid, userIDs)
	if err != nil {
		return nil, nil, err
	}
	if users[a.actor] == nil {
		return nil, nil, apperr.New(apperr.NotFound, "actorID", "user not found")
	}
	var target *lockedUser
	if a.target != nil {
		if target = users[*a.target]; target == nil {
			return nil, nil, unknownOwner()
		}
	}
	locked, err := lockCandidates(ctx, a.c, a.tid, a.actor, visibleIDs)
	if err != nil {
		return nil, nil, err
	}
	open := 0
	if target != nil && target.active {
		if open, err = openLeads(ctx, a.c, a.tid, *a.target); err != nil {
			return nil, nil, err
		}
	}

	vis := make(map[uuid.UUID]bool, len(visibleIDs))
	for _, id := range visibleIDs {
		vis[id] = true
	}
	var (
		assigned  []uuid.UUID
		moved     []uuid.UUID
		movedFrom []uuid.UUID // uuid.Nil: no owner
		movedPool []uuid.UUID // uuid.Nil: no pool at all
	)
	el := &eligibility{seen: vis, locked: locked,
		// The owner changed between the read and the lock.
		stale: func(l *candidate) bool { return l.owner != nil && users[*l.owner] == nil }}
	el.each(ids, func(id uuid.UUID, l *candidate) {
		switch {
		case target != nil && !target.active:
			el.fail(id, CodeNotActiveUser, "the rep is inactive")
			return
		case a.target != nil && l.owner != nil && *l.owner == *a.target,
			a.target == nil && l.owner == nil && l.pool != nil:
			assigned = append(assigned, id)
			return
		case l.owner != nil && *l.owner != a.actor && !l.actorAdmin &&
			l.protectedUntil != nil && l.protectedUntil.After(a.now):
			el.fail(id, CodeProtected, "the lead is protected for its owner until %s", localMinute(*l.protectedUntil, a.loc)).Until = l.protectedUntil
			return
		case target != nil && l.open && open+1 > target.capacity:
			el.fail(id, CodeOverCapacity, "the rep's private pool is full (capacity %d open leads)", target.capacity).Limit = &target.capacity
			return
		}
		if target != nil && l.open {
			open++
		}
		assigned = append(assigned, id)
		moved = append(moved, id)
		movedFrom = append(movedFrom, deref(l.owner))
		movedPool = append(movedPool, deref(l.homePool))
	})
	failures := el.failures
	if len(moved) > 0 {
		if err := a.write(ctx, moved, movedFrom, movedPool); err != nil {
			return nil, nil, err
		}
	}
	return assigned, failures, nil
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

// lockUsers locks the users rows ids of the workspace in id order (the
// order every transaction that locks several takes) and reads them; ids
// that are no user of the workspace are missing from the result.
func lockUsers(ctx context.Context, c *ent.Client, tid uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]*lockedUser, error) {
	out := map[uuid.UUID]*lockedUser{}
	if len(ids) == 0 {
		return out, nil
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	ids = slices.Compact(ids)
	rows, err := c.QueryContext(ctx, `SELECT id, capacity, active FROM users
		WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR NO KEY UPDATE`, tid, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("pool: lock users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var u lockedUser
		if err := rows.Scan(&id, &u.capacity, &u.active); err != nil {
			return nil, err
		}
		out[id] = &u
	}
	return out, rows.Err()
}

// write moves the leads with one update and records the moves with one insert.
func (a *assignment) write(ctx context.Context, ids, from, pools []uuid.UUID) error {
	var query string
	args := []any{a.tid, txn.UUIDArray(ids), a.now}
	if a.target != nil {
		query = `UPDATE leads l SET owner_id = $4, claimed_at = $3, updated_at = $3,
			protected_until = (SELECT CASE WHEN p.protection_days > 0 THEN $3::timestamptz + p.protection_days * interval '24 hours' END
				FROM pools p WHERE p.tenant_id = $1 AND p.id = coalesce(l.pool_id, ` + defaultPoolSQL + `))
			WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[]) AND l.status = 'ACTIVE'`
		args = append(args, *a.target)
	} else {
		query = `UPDATE leads l SET owner_id = NULL, claimed_at = NULL, protected_until = NULL,
			pool_id = coalesce(l.pool_id, ` + defaultPoolSQL + `), updated_at = $3
			WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[]) AND l.status = 'ACTIVE'`
	}
	res, err := a.c.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("pool: assign leads: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != int64(len(ids)) {
		return errRaced
	}
	changeIDs := make([]uuid.UUID, len(ids))
	for i := range changeIDs {
		changeIDs[i] = newOwnerChangeID()
	}
	var to any
	if a.target != nil {
		to = *a.target
	}
	_, err = a.c.ExecContext(ctx, `
		INSERT INTO owner_changes (id, tenant_id, lead_id, from_user_id, to_user_id, pool_id, kind, by, actor_id, reason, at)
		SELECT x.id, $1, x.lead_id, nullif(x.from_user, '')::uuid, $2::uuid, nullif(x.pool, '')::uuid, 'ASSIGN', 'USER', $3, $4, $5
		FROM unnest($6::uuid[], $7::uuid[], $8::text[], $9::text[]) AS x(id, lead_id, from_user, pool)`,
		a.tid, to, a.actor, a.reason, a.now,
		txn.UUIDArray(changeIDs), txn.UUIDArray(ids), nullableUUIDs(from), nullableUUIDs(pools))
	if err != nil {
		return fmt.Errorf("pool: record assignments: %w", err)
	}
	if a.target == nil || *a.target == a.actor {
		return nil
	}
	// The rep is told who gave them the leads (not when they took them themselves).
	actor, err := a.c.User.Get(ctx, a.actor)
	if err != nil {
		return fmt.Errorf("pool: read the actor: %w", err)
	}
	reps := make([]uuid.UUID, len(ids))
	for i := range reps {
		reps[i] = *a.target
	}
	_, err = notices.Assigned(ctx, a.c, a.notify, a.tid, a.now, ids, reps, "（"+actor.Name+" 分配）", a.actor)
	return err
}
