package pool

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
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
	now := s.now()
	err = s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		cl := &claim{c: c, tid: tid, rep: userID, now: now, filter: scope.Filter(ctx)}
		var err error
		claimed, failures, err = cl.run(ctx, ids)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	// Read in the transaction, which is over: later edge loads go through
	// the client (s.Client is never a transaction's, so inTx began its own).
	for _, l := range claimed {
		l.Unwrap()
	}
	return claimed, failures, nil
}

// claim is one attempt of a Claim, inside its transaction.
type claim struct {
	c      *ent.Client
	tid    uuid.UUID
	rep    uuid.UUID
	now    time.Time
	loc    *time.Location         // the workspace's time zone, read with the rep
	filter func(*entsql.Selector) // the caller's row scope (nil: none)
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

// run is the claim in four statements of its transaction: lock the rep (and
// read the workspace's time zone), read and lock everything the checks need
// (read), then write the winners and read them back (write).
func (cl *claim) run(ctx context.Context, ids []uuid.UUID) ([]*ent.Lead, []Failure, error) {
	r, err := cl.lockRep(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := cl.read(ctx, r, ids)
	if err != nil {
		return nil, nil, err
	}
	var won, wonPools []uuid.UUID
	el := &eligibility{seen: st.seen, locked: st.locked}
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
		p := st.pools[*l.pool]
		if !p.admin {
			if !p.allowed {
				el.fail(id, CodeNotAllowed, "pool %q is not open to your teams or territories", p.name).Pool = &p.name
				return
			}
			if lost, ok := st.losses[id]; ok && p.cooldownDays > 0 {
				if end := lost.at.Add(days(p.cooldownDays)); cl.now.Before(end) {
					el.fail(id, CodeCooldown, "%s; you can claim it again from %s", lostHow(lost.kind), localMinute(end, cl.loc)).Until = &end
					return
				}
			}
			if st.todayTotal+1 > r.dailyLimit {
				el.fail(id, CodeDailyLimit, "you have reached your daily claim limit (%d)", r.dailyLimit).Limit = &r.dailyLimit
				return
			}
			if p.dailyLimit != nil && st.today[*l.pool]+1 > *p.dailyLimit {
				f := el.fail(id, CodeDailyLimit, "you have reached the daily claim limit of pool %q (%d)", p.name, *p.dailyLimit)
				f.Limit, f.Pool = p.dailyLimit, &p.name
				return
			}
		}
		if l.open && st.open+1 > r.capacity {
			el.fail(id, CodeOverCapacity, "your private pool is full (capacity %d open leads)", r.capacity).Limit = &r.capacity
			return
		}
		won = append(won, id)
		wonPools = append(wonPools, *l.pool)
		st.todayTotal++
		st.today[*l.pool]++
		if l.open {
			st.open++
		}
	})
	failures := el.failures
	if len(won) == 0 {
		return []*ent.Lead{}, failures, nil
	}
	claimed, err := cl.write(ctx, won, wonPools)
	if err != nil {
		return nil, nil, err
	}
	return claimed, failures, nil
}

// lockRep locks the claiming rep's users row, serialising their claims, and
// reads the workspace's time zone on the way.
func (cl *claim) lockRep(ctx context.Context) (*rep, error) {
	rows, err := cl.c.QueryContext(ctx, `SELECT u.capacity, u.daily_claim_limit, u.active, u.team_id, w.settings
		FROM users u JOIN workspaces w ON w.id = u.tenant_id
		WHERE u.tenant_id = $1 AND u.id = $2 FOR NO KEY UPDATE OF u`, cl.tid, cl.rep)
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
	var settings []byte
	if err := rows.Scan(&r.capacity, &r.dailyLimit, &r.active, &team, &settings); err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if team.Valid {
		r.teamID = &team.UUID
	}
	var set schematype.WorkspaceSettings
	if err := json.Unmarshal(settings, &set); err != nil {
		return nil, fmt.Errorf("pool: workspace settings: %w", err)
	}
	if cl.loc, err = loadLocation(workspace.WithDefaults(set).Timezone); err != nil {
		return nil, err
	}
	if !r.active {
		return nil, apperr.Wrap(ErrInactiveUser, apperr.Forbidden, "userID", "your account is inactive")
	}
	return &r, nil
}

// claimState is what the checks of a claim read, in one statement.
type claimState struct {
	seen       map[uuid.UUID]bool // visible to the caller
	locked     map[uuid.UUID]*candidate
	pools      map[uuid.UUID]*poolRules
	losses     map[uuid.UUID]loss
	today      map[uuid.UUID]int // the rep's claims since local midnight, per pool
	todayTotal int
	open       int // the rep's open leads
}

// readSQL finds which of the ids the caller sees (vis, the caller's row
// scope), locks those no other transaction holds, and reads, for the ones
// that may be claimed (wanted), their pools' rules for the rep, the rep's
// last loss of each, and the rep's claims today and open leads. It runs
// after the rep's row is locked, so its snapshot holds every earlier claim
// of the rep. {VIS} is the visibility query, the other {X} its parameters.
const readSQL = `WITH vis AS MATERIALIZED ({VIS}),
locked AS MATERIALIZED (
	SELECT l.id, l.status, l.owner_id, l.pool_id, l.stage_id FROM leads l
	WHERE l.tenant_id = {T} AND l.id IN (SELECT id FROM vis)
	FOR UPDATE OF l SKIP LOCKED),
wanted AS MATERIALIZED (
	SELECT id, pool_id FROM locked WHERE status = 'ACTIVE' AND owner_id IS NULL AND pool_id IS NOT NULL),
today AS MATERIALIZED (
	SELECT pool_id, count(*) AS n FROM owner_changes
	WHERE tenant_id = {T} AND to_user_id = {R} AND kind = 'CLAIM' AND at >= {S} AND at < {E}
		AND EXISTS (SELECT 1 FROM wanted)
	GROUP BY pool_id)
SELECT v.id, k.id IS NOT NULL, coalesce(k.status, ''), k.owner_id, k.pool_id, (st.kind IS NULL OR st.kind = 'OPEN'),
	p.id IS NOT NULL, coalesce(p.name, ''), coalesce(p.cooldown_days, 0), p.daily_claim_limit,
	p.id IS NOT NULL AND EXISTS (SELECT 1 FROM pool_admins pa WHERE pa.pool_id = p.id AND pa.user_id = {R}),
	p.id IS NOT NULL AND (
		(NOT EXISTS (SELECT 1 FROM pool_teams pt WHERE pt.pool_id = p.id)
			AND NOT EXISTS (SELECT 1 FROM pool_territories ptr WHERE ptr.pool_id = p.id))
		OR EXISTS (SELECT 1 FROM pool_teams pt WHERE pt.pool_id = p.id AND pt.team_id = {TEAM}::uuid)
		OR EXISTS (SELECT 1 FROM pool_territories ptr
			JOIN territories pterr ON pterr.tenant_id = {T} AND pterr.id = ptr.territory_id
			JOIN territories mine ON mine.tenant_id = {T}
				AND (mine.id = pterr.id OR (pterr.path <> '' AND mine.path LIKE pterr.path || '%'))
			JOIN user_territories ut ON ut.territory_id = mine.id AND ut.user_id = {R}
			WHERE ptr.pool_id = p.id)),
	lo.kind, lo.at,
	coalesce((SELECT t.n FROM today t WHERE t.pool_id = wd.pool_id), 0),
	(SELECT coalesce(sum(t.n), 0) FROM today t),
	(SELECT count(*) FROM leads o LEFT JOIN stages os ON os.tenant_id = o.tenant_id AND os.id = o.stage_id
		WHERE o.tenant_id = {T} AND o.owner_id = {R} AND o.status = 'ACTIVE' AND (os.kind IS NULL OR os.kind = 'OPEN')
			AND EXISTS (SELECT 1 FROM wanted))
FROM vis v
LEFT JOIN locked k ON k.id = v.id
LEFT JOIN stages st ON st.tenant_id = {T} AND st.id = k.stage_id
LEFT JOIN wanted wd ON wd.id = k.id
LEFT JOIN pools p ON p.tenant_id = {T} AND p.id = wd.pool_id
LEFT JOIN LATERAL (SELECT oc.kind, oc.at FROM owner_changes oc
	WHERE oc.tenant_id = {T} AND oc.lead_id = wd.id AND oc.from_user_id = {R} AND oc.kind IN ('RELEASE', 'RECYCLE', 'ASSIGN')
	ORDER BY oc.at DESC LIMIT 1) lo ON wd.id IS NOT NULL`

// read runs readSQL for ids.
func (cl *claim) read(ctx context.Context, r *rep, ids []uuid.UUID) (*claimState, error) {
	t := entsql.Table(lead.Table).As("v")
	vis := entsql.Dialect(dialect.Postgres).Select(t.C(lead.FieldID)).From(t).Where(entsql.And(
		entsql.EQ(t.C(lead.FieldTenantID), cl.tid),
		entsql.P(func(b *entsql.Builder) {
			b.Ident(t.C(lead.FieldID)).WriteString(" = ANY(").Arg(txn.UUIDArray(ids)).WriteString("::uuid[])")
		})))
	if cl.filter != nil {
		cl.filter(vis)
	}
	visSQL, args := vis.Query()
	var team any
	if r.teamID != nil {
		team = *r.teamID
	}
	y, m, d := cl.now.In(cl.loc).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, cl.loc)
	params := []any{cl.tid, cl.rep, team, start, start.AddDate(0, 0, 1)}
	names := []string{"{T}", "{R}", "{TEAM}", "{S}", "{E}"}
	repl := []string{"{VIS}", visSQL}
	for i, name := range names {
		repl = append(repl, name, fmt.Sprintf("$%d", len(args)+i+1))
	}
	args = append(args, params...)
	rows, err := cl.c.QueryContext(ctx, strings.NewReplacer(repl...).Replace(readSQL), args...)
	if err != nil {
		return nil, fmt.Errorf("pool: read leads: %w", err)
	}
	defer rows.Close()
	st := &claimState{seen: map[uuid.UUID]bool{}, locked: map[uuid.UUID]*candidate{},
		pools: map[uuid.UUID]*poolRules{}, losses: map[uuid.UUID]loss{}, today: map[uuid.UUID]int{}}
	for rows.Next() {
		var (
			id                  uuid.UUID
			isLocked, hasPool   bool
			l                   candidate
			owner, pool         uuid.NullUUID
			p                   poolRules
			limit               sql.NullInt64
			lossKind            sql.NullString
			lossAt              sql.NullTime
			inPool, total, open int
		)
		if err := rows.Scan(&id, &isLocked, &l.status, &owner, &pool, &l.open, &hasPool, &p.name, &p.cooldownDays, &limit,
			&p.admin, &p.allowed, &lossKind, &lossAt, &inPool, &total, &open); err != nil {
			return nil, err
		}
		st.seen[id] = true
		if !isLocked {
			continue
		}
		l.owner, l.pool = ptr(owner), ptr(pool)
		st.locked[id] = &l
		st.todayTotal, st.open = total, open
		if l.status != "ACTIVE" || l.owner != nil || l.pool == nil {
			continue
		}
		if !hasPool { // the pool row is gone; the foreign key clears pool_id soon
			p = poolRules{name: "?"}
		}
		if limit.Valid {
			n := int(limit.Int64)
			p.dailyLimit = &n
		}
		st.pools[*l.pool] = &p
		st.today[*l.pool] = inPool
		if lossKind.Valid {
			st.losses[id] = loss{kind: lossKind.String, at: lossAt.Time}
		}
	}
	return st, rows.Err()
}

// write claims the winners and records them, in one statement that returns
// the claimed leads as they are now, in the order of won.
func (cl *claim) write(ctx context.Context, won, pools []uuid.UUID) ([]*ent.Lead, error) {
	changeIDs := make([]uuid.UUID, len(won))
	for i := range changeIDs {
		changeIDs[i] = newOwnerChangeID()
	}
	ls, err := cl.c.Lead.Query().Modify(func(s *entsql.Selector) {
		s.Prefix(entsql.ExprFunc(func(b *entsql.Builder) {
			withArgs(b, `WITH claimed AS (
				UPDATE leads l SET owner_id = ?::uuid, claimed_at = ?::timestamptz, updated_at = ?::timestamptz,
					protected_until = CASE WHEN p.protection_days > 0 THEN ?::timestamptz + p.protection_days * interval '24 hours' END
				FROM pools p
				WHERE l.tenant_id = ?::uuid AND l.id = ANY(?::uuid[]) AND l.owner_id IS NULL AND l.status = 'ACTIVE'
					AND p.tenant_id = l.tenant_id AND p.id = l.pool_id
				RETURNING l.*),
			recorded AS (
				INSERT INTO owner_changes (id, tenant_id, lead_id, from_user_id, to_user_id, pool_id, kind, by, actor_id, reason, at)
				SELECT x.id, c.tenant_id, x.lead_id, NULL, c.owner_id, x.pool_id, 'CLAIM', 'USER', c.owner_id, '', c.claimed_at
				FROM unnest(?::uuid[], ?::uuid[], ?::uuid[]) AS x(id, lead_id, pool_id) JOIN claimed c ON c.id = x.lead_id)`,
				cl.rep, cl.now, cl.now, cl.now, cl.tid, txn.UUIDArray(won),
				txn.UUIDArray(changeIDs), txn.UUIDArray(won), txn.UUIDArray(pools))
		}))
		s.From(entsql.Table("claimed").As(lead.Table))
	}).All(scope.Unscoped(ctx))
	if err != nil {
		return nil, fmt.Errorf("pool: claim leads: %w", err)
	}
	if len(ls) != len(won) {
		return nil, errRaced
	}
	byID := make(map[uuid.UUID]*ent.Lead, len(ls))
	for _, l := range ls {
		byID[l.ID] = l
	}
	out := make([]*ent.Lead, len(won))
	for i, id := range won {
		out[i] = byID[id]
	}
	return out, nil
}

// withArgs writes query to b with each ? replaced by the next of args, bound
// as a parameter.
func withArgs(b *entsql.Builder, query string, args ...any) {
	parts := strings.Split(query, "?")
	if len(parts) != len(args)+1 {
		b.AddError(fmt.Errorf("pool: %d placeholders for %d arguments", len(parts)-1, len(args)))
		return
	}
	b.WriteString(parts[0])
	for i, a := range args {
		b.Arg(a).WriteString(parts[i+1])
	}
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
