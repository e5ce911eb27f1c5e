package assign_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// start is 10:00 in Asia/Shanghai, the time zone of the test workspaces.
var start = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// fixture is one workspace over a fresh database.
type fixture struct {
	db    *testenv.Database
	c     *ent.Client
	ctx   context.Context
	tid   uuid.UUID
	pool  uuid.UUID // the default pool: protection 3 days
	open  uuid.UUID // the first open stage
	won   uuid.UUID
	clock *platform.FakeClock
	// onMatch, when set, runs each time the test matcher is called.
	onMatch func(ctx context.Context, condition string, ids []uuid.UUID)
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := testenv.NewDatabase(t)
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	slug := "w" + hex.EncodeToString(b)
	created, err := workspace.Create(context.Background(), db.Client, workspace.Spec{
		Slug: slug, Name: slug, AdminName: "admin", AdminEmail: "admin@" + slug + ".test", AdminPassword: "password-123",
	})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	f := &fixture{db: db, c: db.Client, tid: created.Workspace.ID, clock: platform.NewFakeClock(start),
		ctx: tenant.NewContext(context.Background(), created.Workspace.ID)}
	f.pool = must(f.c.Pool.Query().Where(pool.IsDefault(true)).OnlyID(f.ctx))(t)
	f.open = must(f.c.Stage.Query().Where(stage.Key("new")).OnlyID(f.ctx))(t)
	f.won = must(f.c.Stage.Query().Where(stage.Key("won")).OnlyID(f.ctx))(t)
	return f
}

// must returns v, failing the test given to the returned function on err.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// otherWorkspace creates a second workspace in the fixture's database and
// returns it with a context scoped to it.
func (f *fixture) otherWorkspace(t testing.TB) (*workspace.Created, context.Context) {
	t.Helper()
	slug := "other-" + hex.EncodeToString(f.tid[10:])
	created, err := workspace.Create(context.Background(), f.db.Client, workspace.Spec{
		Slug: slug, Name: slug, AdminName: "admin", AdminEmail: "admin@" + slug + ".test", AdminPassword: "password-123",
	})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	return created, tenant.NewContext(context.Background(), created.Workspace.ID)
}

// engine returns an engine over c (the fixture's client when nil) with the
// fixture's clock and test matcher.
func (f *fixture) engine(c *ent.Client) *assign.Engine {
	if c == nil {
		c = f.c
	}
	return &assign.Engine{Client: c, Now: f.clock.Now, Match: f.match}
}

// secondClient opens an independent pool of connections to the fixture's
// database, as another worker process would.
func (f *fixture) secondClient(t testing.TB) *ent.Client {
	t.Helper()
	sqlDB, err := platform.OpenDB(context.Background(), f.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := platform.NewEntClient(sqlDB)
	t.Cleanup(func() { c.Close() })
	return c
}

var conditionRe = regexp.MustCompile(`^source == '([^']*)'$`)

// match stands in for the CEL evaluator: it understands "source == 'x'",
// reading the leads inside the engine's transaction.
func (f *fixture) match(ctx context.Context, condition string, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	if f.onMatch != nil {
		f.onMatch(ctx, condition, ids)
	}
	m := conditionRe.FindStringSubmatch(condition)
	if m == nil { // as the CEL matcher reports a condition that does not compile
		return nil, apperr.Input("condition", "test matcher: cannot evaluate %q", condition)
	}
	c := f.c
	if tx := ent.TxFromContext(ctx); tx != nil {
		c = tx.Client()
	}
	hits, err := c.Lead.Query().Where(lead.IDIn(ids...), lead.Source(m[1])).IDs(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]bool, len(hits))
	for _, id := range hits {
		out[id] = true
	}
	return out, nil
}

// userIDs returns n user ids in ascending order, for tests whose outcome
// depends on the order of user ids.
func userIDs(n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = gid.New(gid.User)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	return ids
}

type repSpec struct {
	id          uuid.UUID // zero: a new one
	capacity    int       // zero: 1,000,000
	inactive    bool
	territories []uuid.UUID
}

func (f *fixture) rep(t testing.TB, name string, s repSpec) uuid.UUID {
	t.Helper()
	if s.capacity == 0 {
		s.capacity = 1_000_000
	}
	if s.id == uuid.Nil {
		s.id = gid.New(gid.User)
	}
	err := f.c.User.Create().SetID(s.id).SetName(name).SetEmail(strings.ToLower(name) + "@reps.test").
		SetPasswordHash("x").SetRoles([]string{"rep"}).SetCapacity(s.capacity).SetActive(!s.inactive).
		Exec(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range s.territories {
		if err := f.c.UserTerritory.Create().SetUserID(s.id).SetTerritoryID(tr).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	return s.id
}

func (f *fixture) territory(t testing.TB, name string, parent *uuid.UUID) uuid.UUID {
	t.Helper()
	return must(org.New(f.c).CreateTerritory(f.ctx, name, parent))(t).ID
}

func (f *fixture) newPool(t testing.TB, name string, protectionDays int) uuid.UUID {
	t.Helper()
	return must(f.c.Pool.Create().SetName(name).SetProtectionDays(protectionDays).Save(f.ctx))(t).ID
}

type leadSpec struct {
	source    string
	tier      string
	status    string     // "": ACTIVE
	owner     *uuid.UUID // nil: in the pool
	pool      *uuid.UUID // nil: the default pool
	stage     *uuid.UUID // nil: the open stage "new"
	territory *uuid.UUID
	referrer  *uuid.UUID
}

// leads inserts n leads in one statement, numbered in order; spec (may be
// nil) describes the i-th.
func (f *fixture) leads(t testing.TB, n int, spec func(i int) leadSpec) []uuid.UUID {
	t.Helper()
	first, err := workspace.NextLeadSeq(f.ctx, f.c, f.tid, n)
	if err != nil {
		t.Fatal(err)
	}
	str := func(id *uuid.UUID) string {
		if id == nil {
			return ""
		}
		return id.String()
	}
	ids := make([]uuid.UUID, n)
	cols := make([]pq.StringArray, 9)
	seqs := make(pq.Int64Array, n)
	for i := range n {
		var s leadSpec
		if spec != nil {
			s = spec(i)
		}
		if s.status == "" {
			s.status = "ACTIVE"
		}
		if s.pool == nil {
			s.pool = &f.pool
		}
		if s.stage == nil {
			s.stage = &f.open
		}
		ids[i] = gid.New(gid.Lead)
		seqs[i] = first + int64(i)
		for c, v := range []string{ids[i].String(), s.source, s.status, s.tier, str(s.owner), str(s.pool), str(s.stage), str(s.territory), str(s.referrer)} {
			cols[c] = append(cols[c], v)
		}
	}
	_, err = f.c.ExecContext(f.ctx, `INSERT INTO leads (id, tenant_id, created_at, updated_at, seq, name, source, status, tier,
			attributes, reachable, owner_id, pool_id, stage_id, territory_id, referrer_id)
		SELECT d.id::uuid, $1, $2, $2, d.seq, 'lead ' || d.seq, d.source, d.status, nullif(d.tier, ''), '{}', '[]',
			nullif(d.owner, '')::uuid, nullif(d.pool, '')::uuid, nullif(d.stage, '')::uuid, nullif(d.territory, '')::uuid, nullif(d.referrer, '')::uuid
		FROM unnest($3::text[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
			AS d(id, seq, source, status, tier, owner, pool, stage, territory, referrer)`,
		f.tid, f.clock.Now(), cols[0], seqs, cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8])
	if err != nil {
		t.Fatalf("insert leads: %v", err)
	}
	return ids
}

type ruleSpec struct {
	name      string
	priority  int
	condition string
	strategy  assignmentrule.Strategy
	dailyCap  int
	fallback  *uuid.UUID
	disabled  bool
	targets   []uuid.UUID
	weights   []int // default 1
}

func (f *fixture) rule(t testing.TB, s ruleSpec) uuid.UUID {
	t.Helper()
	c := f.c.AssignmentRule.Create().SetName(s.name).SetPriority(s.priority).SetCondition(s.condition).
		SetStrategy(s.strategy).SetNillableFallbackPoolID(s.fallback).SetEnabled(!s.disabled)
	if s.dailyCap > 0 {
		c.SetDailyCap(s.dailyCap)
	}
	r, err := c.Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	targets := make([]*ent.AssignmentTargetCreate, len(s.targets))
	for i, u := range s.targets {
		w := 1
		if i < len(s.weights) {
			w = s.weights[i]
		}
		targets[i] = f.c.AssignmentTarget.Create().SetRuleID(r.ID).SetUserID(u).SetWeight(w)
	}
	if err := f.c.AssignmentTarget.CreateBulk(targets...).Exec(f.ctx); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func (f *fixture) run(t testing.TB, e *assign.Engine, ids []uuid.UUID) *assign.Result {
	t.Helper()
	res, err := e.Run(f.ctx, ids)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func (f *fixture) lead(t testing.TB, id uuid.UUID) *ent.Lead {
	t.Helper()
	return must(f.c.Lead.Get(f.ctx, id))(t)
}

// owners returns the owner of each lead of ids (uuid.Nil for none).
func (f *fixture) owners(t testing.TB, ids []uuid.UUID) map[uuid.UUID]uuid.UUID {
	t.Helper()
	out := map[uuid.UUID]uuid.UUID{}
	for id, l := range f.leadMap(t, ids) {
		out[id] = uuid.Nil
		if l.OwnerID != nil {
			out[id] = *l.OwnerID
		}
	}
	return out
}

func (f *fixture) leadMap(t testing.TB, ids []uuid.UUID) map[uuid.UUID]*ent.Lead {
	t.Helper()
	ls, err := f.c.Lead.Query().Where(lead.IDIn(ids...)).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[uuid.UUID]*ent.Lead, len(ls))
	for _, l := range ls {
		out[l.ID] = l
	}
	return out
}

// checkResult verifies what a run at the clock's current time wrote against
// what it reported: every assigned lead is owned by its rep and was claimed
// now, and has exactly one AUTO_ASSIGN owner change (by RULE, from the
// lead's pool) to that rep; no other lead of the run got an owner change to
// a rep; every lead given is accounted for once.
func (f *fixture) checkResult(t testing.TB, res *assign.Result, ids []uuid.UUID) {
	t.Helper()
	now := f.clock.Now()
	leads := f.leadMap(t, ids)
	for id, u := range res.Assigned {
		l := leads[id]
		if l == nil || l.OwnerID == nil || *l.OwnerID != u {
			t.Errorf("lead %s: owner %v, reported %s", id, l, u)
			continue
		}
		if l.ClaimedAt == nil || !l.ClaimedAt.Equal(now) {
			t.Errorf("lead %s: claimed_at %v, want %v", id, l.ClaimedAt, now)
		}
	}
	changes, err := f.c.OwnerChange.Query().
		Where(ownerchange.LeadIDIn(ids...), ownerchange.At(now), ownerchange.KindEQ(ownerchange.KindAUTO_ASSIGN), ownerchange.ToUserIDNotNil()).
		All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uuid.UUID]bool{}
	for _, ch := range changes {
		if seen[ch.LeadID] {
			t.Errorf("lead %s: more than one owner change", ch.LeadID)
		}
		seen[ch.LeadID] = true
		if u, ok := res.Assigned[ch.LeadID]; !ok || u != *ch.ToUserID {
			t.Errorf("lead %s: owner change to %s, reported %s (%v)", ch.LeadID, *ch.ToUserID, u, ok)
		}
		l := leads[ch.LeadID]
		if ch.By != ownerchange.ByRULE || ch.RuleID == nil || ch.FromUserID != nil || ch.ActorID != nil ||
			ch.PoolID == nil || l == nil || l.PoolID == nil || *ch.PoolID != *l.PoolID || !strings.HasPrefix(ch.Reason, "rule ") {
			t.Errorf("lead %s: owner change %+v", ch.LeadID, ch)
		}
	}
	if len(changes) != len(res.Assigned) {
		t.Errorf("%d owner changes, %d leads assigned", len(changes), len(res.Assigned))
	}
	if n := len(res.Assigned) + len(res.Pooled) + len(res.Skipped); n != len(distinctIDs(ids)) {
		t.Errorf("result accounts for %d leads of %d: %d assigned, %d pooled, %d skipped",
			n, len(ids), len(res.Assigned), len(res.Pooled), len(res.Skipped))
	}
}

func distinctIDs(ids []uuid.UUID) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// counts returns how many of res's leads each rep got.
func counts(res *assign.Result) map[uuid.UUID]int {
	out := map[uuid.UUID]int{}
	for _, u := range res.Assigned {
		out[u]++
	}
	return out
}

// openLeads counts the leads that take capacity of rep u.
func (f *fixture) openLeads(t testing.TB, u uuid.UUID) int {
	t.Helper()
	n, err := f.c.Lead.Query().Where(lead.OwnerID(u), lead.StatusEQ(lead.StatusACTIVE),
		lead.Or(lead.StageIDIsNil(), lead.HasStageWith(stage.KindEQ(stage.KindOPEN)))).Count(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lockLeads holds row locks on ids in a transaction of another client until
// the returned function is called, as a claim in flight would.
func (f *fixture) lockLeads(t testing.TB, c *ent.Client, ids []uuid.UUID) func() {
	t.Helper()
	tx, err := c.Tx(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(f.ctx, `SELECT id FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[]) FOR UPDATE`, f.tid, txn.UUIDArray(ids))
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	return func() { _ = tx.Rollback() }
}
