package assign

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// rateWindow is how far back SCORE_TIER looks for a rep's conversion rate.
const rateWindow = 180 * 24 * time.Hour

// rule is a locked enabled assignment rule with its targets.
type rule struct {
	id        uuid.UUID
	name      string
	priority  int
	condition string
	strategy  assignmentrule.Strategy
	dailyCap  int // 0: none
	fallback  *uuid.UUID
	cursor    int64
	moved     bool      // cursor changed
	targets   []*target // by user id
	stepped   bool      // targets' current changed
	used      bool      // some lead of the batch matched it

	ranking []uuid.UUID // SCORE_TIER, once per batch
	ranked  bool
	allowed map[uuid.UUID]bool // TERRITORY: the targets as a set
}

// target is a rep a rule may pick, with its smooth weighted round-robin state.
type target struct {
	user    uuid.UUID
	weight  int64
	current int64
}

// rep is a locked user with the load that decides eligibility.
type rep struct {
	id       uuid.UUID
	active   bool
	capacity int
	open     int               // ACTIVE leads owned in an open stage (or none)
	today    map[uuid.UUID]int // rule → leads received from it since local midnight
	received int               // distinct leads received in the rate window
	won      int               // distinct leads with a deal credited in the rate window
}

// candidate is a lead of the batch.
type candidate struct {
	id        uuid.UUID
	seq       int64
	pool      *uuid.UUID
	territory *uuid.UUID
	tier      string
	referrer  *uuid.UUID
	open      bool       // its stage counts towards the owner's capacity
	owner     *uuid.UUID // Reassign: the owner it is taken from
}

// territoryRep is a user attached to a lead's territory or one of its
// ancestors; depth is the length of the attached territory's path, so the
// most specific attachment has the largest.
type territoryRep struct {
	user  uuid.UUID
	depth int
}

// batch is one attempt at assigning a batch, inside its transaction.
type batch struct {
	e        *Engine
	c        *ent.Client // the transaction
	tid      uuid.UUID
	now      time.Time
	midnight time.Time

	rules       []*rule // by priority, then name
	ruleOf      map[uuid.UUID]*rule
	reps        map[uuid.UUID]*rep
	territories map[uuid.UUID][]territoryRep // lead territory → reps, most specific first
	original    map[uuid.UUID]uuid.UUID      // lead → referrer's owner or previous owner

	out       *Result
	assigned  []decision
	fallbacks []decision

	// exclude is the rep each lead may not go to (RunExcluding); deciding
	// is the one of the lead being decided.
	exclude  map[uuid.UUID]uuid.UUID
	deciding uuid.UUID

	// re is set for Reassign; leaving counts, per rep, the batch's open
	// leads it is losing, which its open leads are counted without.
	re      *reassigning
	leaving map[uuid.UUID]int
}

// decision is where one lead goes: to a rep, or to the fallback pool of rule.
type decision struct {
	lead *candidate
	rule *rule
	to   uuid.UUID // rep, or pool for a fallback
}

func newBatch(e *Engine, c *ent.Client, tid uuid.UUID, now time.Time, loc *time.Location) *batch {
	local := now.In(loc)
	return &batch{
		e: e, c: c, tid: tid, now: now,
		midnight:    time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc),
		ruleOf:      map[uuid.UUID]*rule{},
		reps:        map[uuid.UUID]*rep{},
		territories: map[uuid.UUID][]territoryRep{},
		original:    map[uuid.UUID]uuid.UUID{},
		out:         &Result{Assigned: map[uuid.UUID]uuid.UUID{}},
	}
}

// run decides and writes the batch ids.
func (b *batch) run(ctx context.Context, ids []uuid.UUID) (*Result, error) {
	if b.re != nil {
		b.out.Released = map[uuid.UUID]uuid.UUID{}
		return b.runReassign(ctx, ids)
	}
	if err := b.lockRules(ctx); err != nil {
		return nil, err
	}
	seen, err := b.readLeads(ctx, ids, false)
	if err != nil {
		return nil, err
	}
	if err := b.match(ctx, seen); err != nil {
		return nil, err
	}
	if err := b.lookUpCandidates(ctx, seen); err != nil {
		return nil, err
	}
	if err := b.lockUsers(ctx); err != nil {
		return nil, err
	}
	locked, err := b.readLeads(ctx, ids, true)
	if err != nil {
		return nil, err
	}
	locked = b.unchanged(ids, seen, locked)
	if err := b.loadLoads(ctx); err != nil {
		return nil, err
	}
	b.decide(locked)
	if err := b.write(ctx); err != nil {
		return nil, err
	}
	return b.out, nil
}

// lockRules locks every enabled rule of the workspace (by id, the order the
// claim service shares) and reads their targets.
func (b *batch) lockRules(ctx context.Context) error {
	rows, err := b.c.QueryContext(ctx, `SELECT r.id, r.name, r.priority, r.condition, r.strategy, r.daily_cap,
			(SELECT p.id FROM pools p WHERE p.tenant_id = r.tenant_id AND p.id = r.fallback_pool_id), r."cursor"
		FROM assignment_rules r WHERE r.tenant_id = $1 AND r.enabled
		ORDER BY r.id FOR UPDATE`, b.tid)
	if err != nil {
		return fmt.Errorf("assign: lock rules: %w", err)
	}
	defer rows.Close()
	byID := map[uuid.UUID]*rule{}
	for rows.Next() {
		r := &rule{}
		var dailyCap sql.NullInt64
		var fallback uuid.NullUUID
		if err := rows.Scan(&r.id, &r.name, &r.priority, &r.condition, &r.strategy, &dailyCap, &fallback, &r.cursor); err != nil {
			return err
		}
		r.condition = strings.TrimSpace(r.condition)
		if dailyCap.Valid {
			r.dailyCap = int(dailyCap.Int64)
		}
		if fallback.Valid {
			r.fallback = &fallback.UUID
		}
		b.rules = append(b.rules, r)
		byID[r.id] = r
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortStableFunc(b.rules, func(x, y *rule) int {
		if x.priority != y.priority {
			return x.priority - y.priority
		}
		return strings.Compare(x.name, y.name)
	})
	if len(b.rules) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	trows, err := b.c.QueryContext(ctx, `SELECT rule_id, user_id, weight, "current" FROM assignment_targets
		WHERE tenant_id = $1 AND rule_id = ANY($2::uuid[]) ORDER BY rule_id, user_id`, b.tid, txn.UUIDArray(ids))
	if err != nil {
		return fmt.Errorf("assign: read targets: %w", err)
	}
	defer trows.Close()
	for trows.Next() {
		var ruleID uuid.UUID
		t := &target{}
		if err := trows.Scan(&ruleID, &t.user, &t.weight, &t.current); err != nil {
			return err
		}
		byID[ruleID].targets = append(byID[ruleID].targets, t)
	}
	if err := trows.Err(); err != nil {
		return err
	}
	for _, r := range b.rules {
		// Go's order of user ids, the one strategies walk, must be the
		// database's; both compare the 16 bytes.
		slices.SortFunc(r.targets, func(x, y *target) int { return compareIDs(x.user, y.user) })
	}
	return nil
}

// readLeads returns those of ids in a public pool, in lead-number order;
// locking, it takes the rows it can without waiting and leaves the rest.
// For Reassign it returns every ACTIVE lead of ids, owned or not, with the
// pool it is in once returned (an owned lead without one returns to the
// default pool), in id order, waiting for the rows another transaction
// holds as ReturnToPool does.
//
// Each lead is found by a probe of its primary key (its ctid, read by id):
// named by `id = ANY($2)` alone, the 2,000 leads of a journey's batch were
// read by a sequential scan of the workspace's 100,000 (28 ms a batch). The
// row's own conditions are checked again on the row read (and on its
// latest version, when the lock waited for another transaction).
func (b *batch) readLeads(ctx context.Context, ids []uuid.UUID, lock bool) ([]*candidate, error) {
	pool, owned, order, locking := `l.pool_id`, ` AND l.owner_id IS NULL`, `l.seq`, ` FOR UPDATE OF l SKIP LOCKED`
	if b.re != nil {
		pool = `CASE WHEN l.owner_id IS NULL THEN l.pool_id
			ELSE coalesce(l.pool_id, (SELECT d.id FROM pools d WHERE d.tenant_id = $1 AND d.is_default)) END`
		owned, order, locking = ``, `l.id`, ` FOR UPDATE OF l`
	}
	q := `SELECT l.id, l.seq, ` + pool + `, l.territory_id, coalesce(l.tier, ''), l.referrer_id,
			l.stage_id IS NULL OR EXISTS (SELECT 1 FROM stages s WHERE s.tenant_id = l.tenant_id AND s.id = l.stage_id AND s.kind = 'OPEN'),
			l.owner_id
		FROM leads l
		WHERE l.ctid = ANY(ARRAY(SELECT (SELECT x.ctid FROM leads x WHERE x.tenant_id = $1 AND x.id = u.id)
				FROM unnest($2::uuid[]) AS u(id)))
			AND l.tenant_id = $1 AND l.id = ANY($2::uuid[])` + owned + ` AND l.status = 'ACTIVE'
		ORDER BY ` + order
	if lock {
		q += locking
	}
	rows, err := b.c.QueryContext(ctx, q, b.tid, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("assign: read leads: %w", err)
	}
	defer rows.Close()
	var out []*candidate
	for rows.Next() {
		l := &candidate{}
		var pool, territory, referrer, owner uuid.NullUUID
		if err := rows.Scan(&l.id, &l.seq, &pool, &territory, &l.tier, &referrer, &l.open, &owner); err != nil {
			return nil, err
		}
		l.pool, l.territory, l.referrer, l.owner = ptr(pool), ptr(territory), ptr(referrer), ptr(owner)
		out = append(out, l)
	}
	return out, rows.Err()
}

// unchanged keeps the locked leads whose territory and referrer are still
// those the candidate reps were looked up (and locked) for, and reports the
// others — and those someone else holds or took meanwhile — as skipped. A
// later run assigns them.
func (b *batch) unchanged(ids []uuid.UUID, seen, locked []*candidate) []*candidate {
	before := make(map[uuid.UUID]*candidate, len(seen))
	for _, l := range seen {
		before[l.id] = l
	}
	kept := locked[:0]
	ok := make(map[uuid.UUID]bool, len(locked))
	for _, l := range locked {
		if s := before[l.id]; s != nil && sameID(s.territory, l.territory) && sameID(s.referrer, l.referrer) {
			kept = append(kept, l)
			ok[l.id] = true
		}
	}
	for _, id := range ids {
		if !ok[id] {
			b.out.Skipped = append(b.out.Skipped, id)
		}
	}
	return kept
}

// match gives each lead the first rule, by priority then name, whose
// condition it matches. Each rule is asked only about the leads no rule
// before it took.
func (b *batch) match(ctx context.Context, leads []*candidate) error {
	left := make([]uuid.UUID, len(leads))
	for i, l := range leads {
		left[i] = l.id
	}
	for _, r := range b.rules {
		if len(left) == 0 {
			break
		}
		var hit map[uuid.UUID]bool
		if r.condition != "" {
			if b.re != nil {
				return ErrConditional
			}
			if b.e.Match == nil {
				continue
			}
			var err error
			if hit, err = b.e.Match(ctx, r.condition, left); err != nil {
				return conditionError(r, err)
			}
		}
		rest := left[:0:0]
		for _, id := range left {
			if r.condition == "" || hit[id] {
				b.ruleOf[id] = r
				r.used = true
			} else {
				rest = append(rest, id)
			}
		}
		left = rest
	}
	return nil
}

// conditionError reports a rule whose condition the matcher refused. A
// condition that no longer compiles (it names a custom field since deleted)
// is the rule's fault, not the caller's input: CONFLICT, naming the rule,
// and ErrCondition for jobs to stop retrying. Other failures pass through.
func conditionError(r *rule, err error) error {
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.BadInput {
		return apperr.Wrap(fmt.Errorf("%w: rule %q: %w", ErrCondition, r.name, err), apperr.Conflict, "",
			fmt.Sprintf("assignment rule %q has a condition that cannot be evaluated (%s); fix or disable the rule", r.name, ae.Message))
	}
	return fmt.Errorf("assign: rule %q: %w", r.name, err)
}

// lookUpCandidates finds the reps the matched rules may pick: their targets,
// the reps of the leads' territories, the referrers' owners and previous
// owners. Their users rows are what lockUsers locks.
func (b *batch) lookUpCandidates(ctx context.Context, leads []*candidate) error {
	var territories, referrers, returning []uuid.UUID
	for _, l := range leads {
		r := b.ruleOf[l.id]
		if r == nil {
			continue
		}
		switch r.strategy {
		case assignmentrule.StrategyTERRITORY:
			if l.territory != nil {
				territories = append(territories, *l.territory)
			}
		case assignmentrule.StrategyORIGINAL_OWNER:
			if l.referrer != nil {
				referrers = append(referrers, *l.referrer)
			}
			returning = append(returning, l.id)
		}
	}
	if len(territories) > 0 {
		if err := b.lookUpTerritories(ctx, distinct(territories)); err != nil {
			return err
		}
	}
	if len(returning) > 0 {
		if err := b.lookUpOriginalOwners(ctx, leads, distinct(referrers), returning); err != nil {
			return err
		}
	}
	return nil
}

// lookUpTerritories reads, for each lead territory, the users attached to
// it or to a territory above it (a territory's path starts with its
// ancestors' paths).
func (b *batch) lookUpTerritories(ctx context.Context, ids []uuid.UUID) error {
	rows, err := b.c.QueryContext(ctx, `SELECT lt.id, ut.user_id, max(length(mine.path))
		FROM territories lt
		JOIN territories mine ON mine.tenant_id = lt.tenant_id AND lt.path LIKE mine.path || '%'
		JOIN user_territories ut ON ut.territory_id = mine.id
		JOIN users u ON u.tenant_id = lt.tenant_id AND u.id = ut.user_id
		WHERE lt.tenant_id = $1 AND lt.id = ANY($2::uuid[]) AND mine.path <> ''
		GROUP BY lt.id, ut.user_id`, b.tid, txn.UUIDArray(ids))
	if err != nil {
		return fmt.Errorf("assign: read territory reps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t uuid.UUID
		var r territoryRep
		if err := rows.Scan(&t, &r.user, &r.depth); err != nil {
			return err
		}
		b.territories[t] = append(b.territories[t], r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for t, reps := range b.territories {
		slices.SortFunc(reps, func(x, y territoryRep) int {
			if x.depth != y.depth {
				return y.depth - x.depth
			}
			return compareIDs(x.user, y.user)
		})
		b.territories[t] = reps
	}
	return nil
}

// lookUpOriginalOwners reads the owner each ORIGINAL_OWNER lead goes back
// to: its referrer's current owner, else its most recent owner in the
// ownership history.
func (b *batch) lookUpOriginalOwners(ctx context.Context, leads []*candidate, referrers, returning []uuid.UUID) error {
	owners := map[uuid.UUID]uuid.UUID{}
	if len(referrers) > 0 {
		rows, err := b.c.QueryContext(ctx, `SELECT id, owner_id FROM leads
			WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND owner_id IS NOT NULL`, b.tid, txn.UUIDArray(referrers))
		if err != nil {
			return fmt.Errorf("assign: read referrers: %w", err)
		}
		if err := scanPairs(rows, owners); err != nil {
			return err
		}
	}
	previous := map[uuid.UUID]uuid.UUID{}
	rows, err := b.c.QueryContext(ctx, `SELECT DISTINCT ON (lead_id) lead_id, to_user_id FROM owner_changes
		WHERE tenant_id = $1 AND lead_id = ANY($2::uuid[]) AND to_user_id IS NOT NULL
		ORDER BY lead_id, at DESC, id DESC`, b.tid, txn.UUIDArray(returning))
	if err != nil {
		return fmt.Errorf("assign: read previous owners: %w", err)
	}
	if err := scanPairs(rows, previous); err != nil {
		return err
	}
	for _, l := range leads {
		if r := b.ruleOf[l.id]; r == nil || r.strategy != assignmentrule.StrategyORIGINAL_OWNER {
			continue
		}
		if l.referrer != nil {
			if u, ok := owners[*l.referrer]; ok {
				b.original[l.id] = u
				continue
			}
		}
		if u, ok := previous[l.id]; ok {
			b.original[l.id] = u
		}
	}
	return nil
}

// lockUsers locks the users rows of every candidate rep, by id, and reads
// whether they are active and their capacity. FOR NO KEY UPDATE, as the
// pool's claims take it: it serialises assignments and claims to a rep all
// the same, and does not wait for the key-share locks that foreign-key
// checks of rows naming the rep take (a journey batch's tasks and owner
// changes): two journey passes each holding those and both asking FOR
// UPDATE deadlocked.
func (b *batch) lockUsers(ctx context.Context) error {
	want := map[uuid.UUID]bool{}
	for _, r := range b.rules {
		if !r.used {
			continue
		}
		switch r.strategy {
		case assignmentrule.StrategyORIGINAL_OWNER:
		case assignmentrule.StrategyTERRITORY:
			// Only the targets that are attached to a lead's territory.
		default:
			for _, t := range r.targets {
				want[t.user] = true
			}
		}
	}
	for lead, u := range b.original {
		if b.ruleOf[lead] != nil {
			want[u] = true
		}
	}
	for _, reps := range b.territories {
		for _, tr := range reps {
			want[tr.user] = true // restricted to targets per rule when picking
		}
	}
	if len(want) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	rows, err := b.c.QueryContext(ctx, `SELECT id, active, capacity FROM users
		WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR NO KEY UPDATE`, b.tid, txn.UUIDArray(ids))
	if err != nil {
		return fmt.Errorf("assign: lock users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u := &rep{today: map[uuid.UUID]int{}}
		if err := rows.Scan(&u.id, &u.active, &u.capacity); err != nil {
			return err
		}
		b.reps[u.id] = u
	}
	return rows.Err()
}

// loadLoads reads, for the locked reps, their open leads, what each capped
// rule gave them today and, for SCORE_TIER rules, their conversion history.
// The users locks keep these counts true until commit: every path that gives
// a rep a lead locks the rep first.
func (b *batch) loadLoads(ctx context.Context) error {
	var ids []uuid.UUID
	for id, u := range b.reps {
		if u.active {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := b.countOpen(ctx, ids); err != nil {
		return err
	}

	var capped, scored []uuid.UUID
	for _, r := range b.rules {
		if r.used && r.dailyCap > 0 {
			capped = append(capped, r.id)
		}
		if r.used && r.strategy == assignmentrule.StrategySCORE_TIER {
			scored = append(scored, r.id)
		}
	}
	if len(capped) > 0 {
		rows, err := b.c.QueryContext(ctx, `SELECT rule_id, to_user_id, count(*) FROM owner_changes
			WHERE tenant_id = $1 AND kind = 'AUTO_ASSIGN' AND rule_id = ANY($2::uuid[]) AND to_user_id = ANY($3::uuid[]) AND at >= $4
			GROUP BY rule_id, to_user_id`, b.tid, txn.UUIDArray(capped), txn.UUIDArray(ids), b.midnight)
		if err != nil {
			return fmt.Errorf("assign: count today's assignments: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var ruleID, user uuid.UUID
			var n int
			if err := rows.Scan(&ruleID, &user, &n); err != nil {
				return err
			}
			b.reps[user].today[ruleID] = n
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if len(scored) > 0 {
		return b.loadRates(ctx, ids)
	}
	return nil
}

// comparesLoads are the strategies that pick by open leads; the others only
// ask whether a rep is under capacity.
var comparesLoads = map[assignmentrule.Strategy]bool{
	assignmentrule.StrategyLEAST_LOADED: true,
	assignmentrule.StrategySCORE_TIER:   true,
	assignmentrule.StrategyTERRITORY:    true,
}

// countOpen reads the open leads of the reps ids, counting each only as far
// as it matters: up to the rep's capacity (a rep that has reached it is not
// eligible, and only eligible reps' loads are compared). When no rule of the
// batch compares loads, a rep whose capacity exceeds the workspace's number
// of leads cannot reach it and is not counted at all. Counting every open
// lead of every candidate rep made each batch read every owned lead. For
// Reassign a rep's open leads are counted without those the batch takes
// from it (counted up to its capacity plus those, less those).
func (b *batch) countOpen(ctx context.Context, ids []uuid.UUID) error {
	compare := false
	for _, r := range b.rules {
		compare = compare || r.used && comparesLoads[r.strategy]
	}
	if !compare {
		// seq is unique per workspace, so the leads are at most the span
		// of seq: two probes of the (tenant_id, seq) index.
		var bound int64
		if err := txn.QueryRow(ctx, b.c, `SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM leads WHERE tenant_id = $1`,
			b.tid).Scan(&bound); err != nil {
			return fmt.Errorf("assign: count leads: %w", err)
		}
		ids = slices.DeleteFunc(slices.Clone(ids), func(id uuid.UUID) bool { return int64(b.reps[id].capacity) > bound })
		if len(ids) == 0 {
			return nil
		}
	}
	caps := make([]int64, len(ids))
	for i, id := range ids {
		caps[i] = int64(b.reps[id].capacity + b.leaving[id])
	}
	rows, err := b.c.QueryContext(ctx, `SELECT u.id, (SELECT count(*) FROM (SELECT FROM leads l
			LEFT JOIN stages s ON s.tenant_id = l.tenant_id AND s.id = l.stage_id
			WHERE l.tenant_id = $1 AND l.owner_id = u.id AND l.status = 'ACTIVE' AND coalesce(s.kind, 'OPEN') = 'OPEN'
			LIMIT u.capacity) o)
		FROM unnest($2::uuid[], $3::int8[]) AS u(id, capacity)`, b.tid, txn.UUIDArray(ids), pq.Array(caps))
	if err != nil {
		return fmt.Errorf("assign: count open leads: %w", err)
	}
	counts := map[uuid.UUID]int{}
	if err := scanCounts(rows, counts); err != nil {
		return err
	}
	for id, n := range counts {
		b.reps[id].open = n - b.leaving[id]
	}
	return nil
}

// loadRates reads each rep's conversion history over the rate window:
// distinct leads with a deal credited to the rep, and distinct leads the
// rep received by a claim or an assignment.
func (b *batch) loadRates(ctx context.Context, ids []uuid.UUID) error {
	since := b.now.Add(-rateWindow)
	won, received := map[uuid.UUID]int{}, map[uuid.UUID]int{}
	rows, err := b.c.QueryContext(ctx, `SELECT owner_id, count(DISTINCT lead_id) FROM deals
		WHERE tenant_id = $1 AND owner_id = ANY($2::uuid[]) AND closed_at >= $3 AND closed_at <= $4
		GROUP BY owner_id`, b.tid, txn.UUIDArray(ids), since, b.now)
	if err != nil {
		return fmt.Errorf("assign: count deals: %w", err)
	}
	if err := scanCounts(rows, won); err != nil {
		return err
	}
	rows, err = b.c.QueryContext(ctx, `SELECT to_user_id, count(DISTINCT lead_id) FROM owner_changes
		WHERE tenant_id = $1 AND to_user_id = ANY($2::uuid[]) AND kind IN ('CLAIM', 'ASSIGN', 'AUTO_ASSIGN')
			AND at >= $3 AND at <= $4
		GROUP BY to_user_id`, b.tid, txn.UUIDArray(ids), since, b.now)
	if err != nil {
		return fmt.Errorf("assign: count received leads: %w", err)
	}
	if err := scanCounts(rows, received); err != nil {
		return err
	}
	for id, u := range b.reps {
		u.won, u.received = won[id], received[id]
	}
	return nil
}

func scanCounts(rows *sql.Rows, into map[uuid.UUID]int) error {
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		into[id] = n
	}
	return rows.Err()
}

func scanPairs(rows *sql.Rows, into map[uuid.UUID]uuid.UUID) error {
	defer rows.Close()
	for rows.Next() {
		var k, v uuid.UUID
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		into[k] = v
	}
	return rows.Err()
}

func ptr(n uuid.NullUUID) *uuid.UUID {
	if !n.Valid {
		return nil
	}
	return &n.UUID
}

func sameID(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// compareIDs orders uuids as PostgreSQL does.
func compareIDs(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }
