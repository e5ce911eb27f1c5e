package pool

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// Claim gives the rep userID the leads ids from the public pool, each
// checked on its own, in this order: NOT_FOUND (no such lead, or outside the
// row scope in ctx), CONFLICT (another transaction holds it), INACTIVE,
// ALREADY_OWNED, NOT_IN_POOL, NOT_ALLOWED (the pool has teams or territories
// and the rep is in none of them, a territory counting for everything below
// it), COOLDOWN (the rep released the lead, or it was recycled or moved away
// from them, less than the pool's cooldown ago), DAILY_LIMIT (claims since
// local midnight would exceed the rep's limit, or the pool's limit counted
// over claims from that pool) and OVER_CAPACITY (the rep's open leads would
// exceed their capacity; a lead in a WON or LOST stage does not count).
// Admins of a lead's pool bypass NOT_ALLOWED, COOLDOWN and DAILY_LIMIT, never
// capacity. A claimed lead gets claimedAt now and protectedUntil now plus the
// pool's protection days (none when 0), and a CLAIM OwnerChange.
//
// The rep's users row is locked first, so one rep's claims run one at a
// time and capacity and limits are exact; the leads are locked with SKIP
// LOCKED. The claimed leads are returned as they are after the claim, in the
// order of ids. An unknown user is NOT_FOUND at "userID", an inactive one
// FORBIDDEN (ErrInactiveUser).
func (s *Service) Claim(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) (claimed []*ent.Lead, failures []Failure, err error) {
	ids, err = distinct(ids)
	if err != nil {
		return nil, nil, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, nil, err
	}
	loc, err := s.location(ctx, tid)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	var won []uuid.UUID
	err = s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		cl := &claim{c: c, tid: tid, rep: userID, now: now, loc: loc}
		var err error
		won, failures, err = cl.run(ctx, ids)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if len(won) == 0 {
		return []*ent.Lead{}, failures, nil
	}
	ls, err := s.Client.Lead.Query().Where(lead.IDIn(won...)).All(scope.Unscoped(ctx))
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[uuid.UUID]*ent.Lead, len(ls))
	for _, l := range ls {
		byID[l.ID] = l
	}
	claimed = make([]*ent.Lead, 0, len(won))
	for _, id := range won {
		if l := byID[id]; l != nil {
			claimed = append(claimed, l)
		}
	}
	return claimed, failures, nil
}

// claim is one attempt of a Claim, inside its transaction.
type claim struct {
	c   *ent.Client
	tid uuid.UUID
	rep uuid.UUID
	now time.Time
	loc *time.Location
}

// rep is what a claim needs of the claiming user.
type rep struct {
	capacity, dailyLimit int
	active               bool
	teamID               *uuid.UUID
}

// candidate is a locked lead of a claim or an assignment.
type candidate struct {
	status         string
	owner, pool    *uuid.UUID
	homePool       *uuid.UUID // pool, or the default pool when pool is NULL
	protectedUntil *time.Time
	open           bool // its stage is unset or OPEN: it counts against capacity
	actorAdmin     bool // the actor administers homePool (assignments)
}

// poolRules is what a claim needs of one pool, for the claiming rep.
type poolRules struct {
	name         string
	cooldownDays int
	dailyLimit   *int
	admin        bool // the rep administers the pool
	allowed      bool // the pool is open to everyone or to one of the rep's teams or territories
}

// loss is the last time the rep lost a lead.
type loss struct {
	kind string
	at   time.Time
}

func (cl *claim) run(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, []Failure, error) {
	r, err := cl.lockRep(ctx)
	if err != nil {
		return nil, nil, err
	}
	seen, err := visible(ctx, cl.c, ids)
	if err != nil {
		return nil, nil, err
	}
	locked, err := lockCandidates(ctx, cl.c, cl.tid, uuid.Nil, keys(seen))
	if err != nil {
		return nil, nil, err
	}
	var poolIDs, wanted []uuid.UUID
	inPool := map[uuid.UUID]bool{}
	for id, l := range locked {
		if l.status == "ACTIVE" && l.owner == nil && l.pool != nil {
			wanted = append(wanted, id)
			if !inPool[*l.pool] {
				inPool[*l.pool] = true
				poolIDs = append(poolIDs, *l.pool)
			}
		}
	}
	var (
		pools      map[uuid.UUID]*poolRules
		losses     map[uuid.UUID]loss
		today      map[uuid.UUID]int
		todayTotal int
		open       int
	)
	if len(wanted) > 0 {
		if pools, err = cl.poolRules(ctx, r, poolIDs); err != nil {
			return nil, nil, err
		}
		if losses, err = cl.losses(ctx, wanted); err != nil {
			return nil, nil, err
		}
		if today, todayTotal, err = cl.claimsToday(ctx); err != nil {
			return nil, nil, err
		}
		if open, err = openLeads(ctx, cl.c, cl.tid, cl.rep); err != nil {
			return nil, nil, err
		}
	}

	var won, wonPools []uuid.UUID
	el := &eligibility{seen: seen, locked: locked}
	el.each(ids, func(id uuid.UUID, l *candidate) {
		switch {
		case l.owner != nil && *l.owner == cl.rep:
			el.fail(id, CodeAlreadyOwned, "already yours")
			return
		case l.owner != nil:
			el.fail(id, CodeAlreadyOwned, "another rep owns this lead")
			return
		case l.pool == nil:
			el.fail(id, CodeNotInPool, "the lead is not in a public pool")
			return
		}
		p := pools[*l.pool]
		if !p.admin {
			if !p.allowed {
				el.fail(id, CodeNotAllowed, "pool %q is not open to your teams or territories", p.name)
				return
			}
			if lost, ok := losses[id]; ok && p.cooldownDays > 0 {
				if end := lost.at.Add(days(p.cooldownDays)); cl.now.Before(end) {
					el.fail(id, CodeCooldown, "%s; you can claim it again from %s", lostHow(lost.kind), localMinute(end, cl.loc))
					return
				}
			}
			if todayTotal+1 > r.dailyLimit {
				el.fail(id, CodeDailyLimit, "you have reached your daily claim limit (%d)", r.dailyLimit)
				return
			}
			if p.dailyLimit != nil && today[*l.pool]+1 > *p.dailyLimit {
				el.fail(id, CodeDailyLimit, "you have reached the daily claim limit of pool %q (%d)", p.name, *p.dailyLimit)
				return
			}
		}
		if l.open && open+1 > r.capacity {
			el.fail(id, CodeOverCapacity, "your private pool is full (capacity %d open leads)", r.capacity)
			return
		}
		won = append(won, id)
		wonPools = append(wonPools, *l.pool)
		todayTotal++
		today[*l.pool]++
		if l.open {
			open++
		}
	})
	failures := el.failures
	if len(won) == 0 {
		return nil, failures, nil
	}
	if err := cl.write(ctx, won, wonPools); err != nil {
		return nil, nil, err
	}
	return won, failures, nil
}

// lostHow says how the rep lost a lead, for a COOLDOWN message.
func lostHow(kind string) string {
	switch kind {
	case "RELEASE":
		return "you released this lead recently"
	case "RECYCLE":
		return "this lead was recycled from you recently"
	default:
		return "this lead was moved away from you recently"
	}
}

// lockRep locks the claiming rep's users row, serialising their claims.
func (cl *claim) lockRep(ctx context.Context) (*rep, error) {
	rows, err := cl.c.QueryContext(ctx, `SELECT capacity, daily_claim_limit, active, team_id FROM users
		WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`, cl.tid, cl.rep)
	if err != nil {
		return nil, fmt.Errorf("pool: lock user: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, apperr.New(apperr.NotFound, "userID", "user not found")
	}
	var r rep
	var team uuid.NullUUID
	if err := rows.Scan(&r.capacity, &r.dailyLimit, &r.active, &team); err != nil {
		return nil, err
	}
	if team.Valid {
		r.teamID = &team.UUID
	}
	if !r.active {
		return nil, apperr.Wrap(ErrInactiveUser, apperr.Forbidden, "userID", "your account is inactive")
	}
	return &r, rows.Close()
}

// visible returns which of ids the caller may see under the row scope of
// ctx (no row scope: every lead of the workspace).
func visible(ctx context.Context, c *ent.Client, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	got, err := c.Lead.Query().Where(lead.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("pool: read leads: %w", err)
	}
	out := make(map[uuid.UUID]bool, len(got))
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}

func keys(m map[uuid.UUID]bool) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}

// lockCandidates locks those of ids no other transaction holds and reads
// them; the others are missing from the result. actor, when set, is checked
// for being an admin of each lead's home pool.
func lockCandidates(ctx context.Context, c *ent.Client, tid, actor uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]*candidate, error) {
	out := make(map[uuid.UUID]*candidate, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := c.QueryContext(ctx, `
		SELECT l.id, l.status, l.owner_id, l.pool_id, hp.id, l.protected_until,
			(s.kind IS NULL OR s.kind = 'OPEN'),
			EXISTS (SELECT 1 FROM pool_admins pa WHERE pa.pool_id = hp.id AND pa.user_id = $3)
		FROM leads l
		LEFT JOIN stages s ON s.tenant_id = l.tenant_id AND s.id = l.stage_id
		LEFT JOIN pools hp ON hp.tenant_id = l.tenant_id
			AND hp.id = coalesce(l.pool_id, (SELECT d.id FROM pools d WHERE d.tenant_id = $1 AND d.is_default))
		WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[])
		FOR UPDATE OF l SKIP LOCKED`, tid, txn.UUIDArray(ids), actor)
	if err != nil {
		return nil, fmt.Errorf("pool: lock leads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id                    uuid.UUID
			l                     candidate
			owner, pool, homePool uuid.NullUUID
			protected             sql.NullTime
		)
		if err := rows.Scan(&id, &l.status, &owner, &pool, &homePool, &protected, &l.open, &l.actorAdmin); err != nil {
			return nil, err
		}
		l.owner, l.pool, l.homePool = ptr(owner), ptr(pool), ptr(homePool)
		if protected.Valid {
			l.protectedUntil = &protected.Time
		}
		out[id] = &l
	}
	return out, rows.Err()
}

func ptr(u uuid.NullUUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	return &u.UUID
}

// poolRules reads the pools' claim rules and whether the rep administers
// each or may claim from it.
func (cl *claim) poolRules(ctx context.Context, r *rep, ids []uuid.UUID) (map[uuid.UUID]*poolRules, error) {
	var team any
	if r.teamID != nil {
		team = *r.teamID
	}
	rows, err := cl.c.QueryContext(ctx, `
		SELECT p.id, p.name, p.cooldown_days, p.daily_claim_limit,
			EXISTS (SELECT 1 FROM pool_admins pa WHERE pa.pool_id = p.id AND pa.user_id = $3),
			(NOT EXISTS (SELECT 1 FROM pool_teams pt WHERE pt.pool_id = p.id)
				AND NOT EXISTS (SELECT 1 FROM pool_territories ptr WHERE ptr.pool_id = p.id))
			OR EXISTS (SELECT 1 FROM pool_teams pt WHERE pt.pool_id = p.id AND pt.team_id = $4::uuid)
			OR EXISTS (SELECT 1 FROM pool_territories ptr
				JOIN territories pterr ON pterr.tenant_id = $1 AND pterr.id = ptr.territory_id
				JOIN territories mine ON mine.tenant_id = $1
					AND (mine.id = pterr.id OR (pterr.path <> '' AND mine.path LIKE pterr.path || '%'))
				JOIN user_territories ut ON ut.territory_id = mine.id AND ut.user_id = $3
				WHERE ptr.pool_id = p.id)
		FROM pools p WHERE p.tenant_id = $1 AND p.id = ANY($2::uuid[])`,
		cl.tid, txn.UUIDArray(ids), cl.rep, team)
	if err != nil {
		return nil, fmt.Errorf("pool: read pools: %w", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID]*poolRules, len(ids))
	for rows.Next() {
		var (
			id    uuid.UUID
			p     poolRules
			limit sql.NullInt64
		)
		if err := rows.Scan(&id, &p.name, &p.cooldownDays, &limit, &p.admin, &p.allowed); err != nil {
			return nil, err
		}
		if limit.Valid {
			n := int(limit.Int64)
			p.dailyLimit = &n
		}
		out[id] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if out[id] == nil { // the pool row is gone; the foreign key clears pool_id soon
			out[id] = &poolRules{name: "?", allowed: false}
		}
	}
	return out, nil
}

// losses returns, per lead of ids, the last time the rep lost it.
func (cl *claim) losses(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]loss, error) {
	rows, err := cl.c.QueryContext(ctx, `
		SELECT DISTINCT ON (lead_id) lead_id, kind, at FROM owner_changes
		WHERE tenant_id = $1 AND lead_id = ANY($2::uuid[]) AND from_user_id = $3
			AND kind IN ('RELEASE', 'RECYCLE', 'ASSIGN')
		ORDER BY lead_id, at DESC`, cl.tid, txn.UUIDArray(ids), cl.rep)
	if err != nil {
		return nil, fmt.Errorf("pool: read cooldowns: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]loss{}
	for rows.Next() {
		var id uuid.UUID
		var l loss
		if err := rows.Scan(&id, &l.kind, &l.at); err != nil {
			return nil, err
		}
		out[id] = l
	}
	return out, rows.Err()
}

// claimsToday counts the rep's claims since local midnight, per pool and in all.
func (cl *claim) claimsToday(ctx context.Context) (map[uuid.UUID]int, int, error) {
	y, m, d := cl.now.In(cl.loc).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, cl.loc)
	rows, err := cl.c.QueryContext(ctx, `
		SELECT pool_id, count(*) FROM owner_changes
		WHERE tenant_id = $1 AND to_user_id = $2 AND kind = 'CLAIM' AND at >= $3 AND at < $4
		GROUP BY pool_id`, cl.tid, cl.rep, start, start.AddDate(0, 0, 1))
	if err != nil {
		return nil, 0, fmt.Errorf("pool: count claims: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]int{}
	total := 0
	for rows.Next() {
		var pool uuid.NullUUID
		var n int
		if err := rows.Scan(&pool, &n); err != nil {
			return nil, 0, err
		}
		if pool.Valid {
			out[pool.UUID] = n
		}
		total += n
	}
	return out, total, rows.Err()
}

// openLeads counts the open leads user owns: ACTIVE, stage unset or OPEN.
func openLeads(ctx context.Context, c *ent.Client, tid, user uuid.UUID) (int, error) {
	rows, err := c.QueryContext(ctx, `
		SELECT count(*) FROM leads l
		LEFT JOIN stages s ON s.tenant_id = l.tenant_id AND s.id = l.stage_id
		WHERE l.tenant_id = $1 AND l.owner_id = $2 AND l.status = 'ACTIVE' AND (s.kind IS NULL OR s.kind = 'OPEN')`,
		tid, user)
	if err != nil {
		return 0, fmt.Errorf("pool: count open leads: %w", err)
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// write claims the winners with one update and records them with one insert.
func (cl *claim) write(ctx context.Context, won, pools []uuid.UUID) error {
	res, err := cl.c.ExecContext(ctx, `
		UPDATE leads l SET owner_id = $3, claimed_at = $4, updated_at = $4,
			protected_until = CASE WHEN p.protection_days > 0 THEN $4::timestamptz + p.protection_days * interval '24 hours' END
		FROM pools p
		WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[]) AND l.owner_id IS NULL AND l.status = 'ACTIVE'
			AND p.tenant_id = $1 AND p.id = l.pool_id`,
		cl.tid, txn.UUIDArray(won), cl.rep, cl.now)
	if err != nil {
		return fmt.Errorf("pool: claim leads: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != int64(len(won)) {
		return errRaced
	}
	changeIDs := make([]uuid.UUID, len(won))
	for i := range changeIDs {
		changeIDs[i] = newOwnerChangeID()
	}
	_, err = cl.c.ExecContext(ctx, `
		INSERT INTO owner_changes (id, tenant_id, lead_id, from_user_id, to_user_id, pool_id, kind, by, actor_id, reason, at)
		SELECT x.id, $1, x.lead_id, NULL, $2, x.pool_id, 'CLAIM', 'USER', $2, '', $3
		FROM unnest($4::uuid[], $5::uuid[], $6::uuid[]) AS x(id, lead_id, pool_id)`,
		cl.tid, cl.rep, cl.now, txn.UUIDArray(changeIDs), txn.UUIDArray(won), txn.UUIDArray(pools))
	if err != nil {
		return fmt.Errorf("pool: record claims: %w", err)
	}
	return nil
}
