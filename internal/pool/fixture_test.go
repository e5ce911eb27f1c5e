package pool_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/ownerchange"
	entpool "github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// t0 is 2026-11-23 10:00 in Asia/Shanghai, the fixtures' time zone.
var t0 = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// clock is the injected clock of a fixture.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fixture is one workspace (time zone Asia/Shanghai) over a fresh database,
// with its default pool cleared of rules and a pool service on a test clock.
type fixture struct {
	db    *testenv.Database
	c     *ent.Client
	ctx   context.Context
	tid   uuid.UUID
	admin uuid.UUID
	pool  *ent.Pool // the default pool
	clock *clock
	svc   *pool.Service
	seq   int64
	n     int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureIn(t, testenv.NewDatabase(t))
}

func newFixtureIn(t *testing.T, db *testenv.Database) *fixture {
	t.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	slug := "w" + hex.EncodeToString(b)
	created, err := workspace.Create(context.Background(), db.Client, workspace.Spec{
		Slug: slug, Name: slug, AdminName: "admin", AdminEmail: "admin@" + slug + ".test",
		AdminPassword: "password-123", Timezone: "Asia/Shanghai",
	})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	f := &fixture{db: db, c: db.Client, tid: created.Workspace.ID, admin: created.Admin.ID,
		ctx: tenant.NewContext(context.Background(), created.Workspace.ID), clock: &clock{t: t0}}
	f.svc = &pool.Service{Client: db.Client, Now: f.clock.Now}
	f.pool, err = f.c.Pool.Query().Where(entpool.IsDefault(true)).Only(f.ctx)
	if err != nil {
		t.Fatalf("default pool: %v", err)
	}
	// Every test states the rules it relies on.
	f.pool, err = f.pool.Update().ClearRecycleNoFollowUpDays().ClearRecycleNoDealDays().ClearRemindBeforeDays().
		SetCooldownDays(0).SetProtectionDays(0).ClearDailyClaimLimit().Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// at sets the clock to t0 + d.
func (f *fixture) at(d time.Duration) { f.clock.set(t0.Add(d)) }

// rep creates an active user with a large capacity and daily limit, changed by opts.
func (f *fixture) rep(t *testing.T, opts ...func(*ent.UserCreate)) uuid.UUID {
	t.Helper()
	f.n++
	c := f.c.User.Create().SetName(fmt.Sprintf("rep %d", f.n)).SetEmail(fmt.Sprintf("rep%d@example.com", f.n)).
		SetPasswordHash("x").SetRoles([]string{"rep"}).SetCapacity(1000).SetDailyClaimLimit(1000)
	for _, o := range opts {
		o(c)
	}
	u, err := c.Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// newPool creates a pool without rules, changed by opts.
func (f *fixture) newPool(t *testing.T, name string, opts ...func(*ent.PoolCreate)) *ent.Pool {
	t.Helper()
	c := f.c.Pool.Create().SetName(name)
	for _, o := range opts {
		o(c)
	}
	p, err := c.Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// link writes one join row (a pool's team, territory or admin, a user's
// territory) through its edge schema, which stamps the workspace.
func (f *fixture) link(t *testing.T, row interface{ Exec(context.Context) error }) {
	t.Helper()
	if err := row.Exec(f.ctx); err != nil {
		t.Fatal(err)
	}
}

// setPool changes the default pool.
func (f *fixture) setPool(t *testing.T, change func(*ent.PoolUpdateOne)) {
	t.Helper()
	u := f.pool.Update()
	change(u)
	p, err := u.Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.pool = p
}

// leads creates n unowned leads in pool (none when nil), in the default stage.
func (f *fixture) leads(t *testing.T, n int, poolID *uuid.UUID) []uuid.UUID {
	t.Helper()
	bulk := make([]*ent.LeadCreate, n)
	for i := range bulk {
		f.seq++
		bulk[i] = f.c.Lead.Create().SetSeq(f.seq).SetName(fmt.Sprintf("lead %d", f.seq)).SetNillablePoolID(poolID).
			SetCreatedAt(t0.Add(-30 * day)).SetUpdatedAt(t0.Add(-30 * day))
	}
	ls, err := f.c.Lead.CreateBulk(bulk...).Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uuid.UUID, n)
	for i, l := range ls {
		ids[i] = l.ID
	}
	return ids
}

// poolLeads creates n leads in the default pool.
func (f *fixture) poolLeads(t *testing.T, n int) []uuid.UUID {
	t.Helper()
	return f.leads(t, n, &f.pool.ID)
}

func (f *fixture) lead(t *testing.T, id uuid.UUID) *ent.Lead {
	t.Helper()
	l, err := f.c.Lead.Get(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *fixture) update(t *testing.T, id uuid.UUID, change func(*ent.LeadUpdateOne)) {
	t.Helper()
	u := f.c.Lead.UpdateOneID(id)
	change(u)
	if err := u.Exec(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) stage(t *testing.T, key string) uuid.UUID {
	t.Helper()
	id, err := f.c.Stage.Query().Where(stage.Key(key)).OnlyID(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// claim claims ids for rep and fails the test on an error.
func (f *fixture) claim(t *testing.T, rep uuid.UUID, ids ...uuid.UUID) ([]*ent.Lead, []pool.Failure) {
	t.Helper()
	got, fails, err := f.svc.Claim(f.ctx, rep, ids)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return got, fails
}

// mustClaim claims ids for rep and fails the test unless all are claimed.
func (f *fixture) mustClaim(t *testing.T, rep uuid.UUID, ids ...uuid.UUID) {
	t.Helper()
	got, fails := f.claim(t, rep, ids...)
	if len(got) != len(ids) || len(fails) != 0 {
		t.Fatalf("claim: %d of %d claimed, failures %+v", len(got), len(ids), fails)
	}
}

func (f *fixture) recycle(t *testing.T, opt pool.RecycleOptions) *pool.RecycleResult {
	t.Helper()
	res, err := f.svc.Recycle(f.ctx, opt)
	if err != nil {
		t.Fatalf("recycle: %v", err)
	}
	return res
}

func (f *fixture) changes(t *testing.T, id uuid.UUID) []*ent.OwnerChange {
	t.Helper()
	cs, err := f.c.OwnerChange.Query().Where(ownerchange.LeadID(id)).Order(ownerchange.ByAt(), ownerchange.ByID()).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func (f *fixture) notes(t *testing.T, kind string, leadID uuid.UUID) []*ent.Notification {
	t.Helper()
	ns, err := f.c.Notification.Query().Where(notification.Kind(kind), notification.LeadID(leadID)).
		Order(notification.ByCreatedAt()).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func (f *fixture) owner(t *testing.T, id uuid.UUID) *uuid.UUID {
	t.Helper()
	return f.lead(t, id).OwnerID
}

func (f *fixture) countLeads(t *testing.T, ps ...func(*ent.LeadQuery)) int {
	t.Helper()
	q := f.c.Lead.Query()
	for _, p := range ps {
		p(q)
	}
	n, err := q.Count(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// codes renders failures as "code" per lead, in order, for comparisons.
func codes(fails []pool.Failure) string {
	s := make([]string, len(fails))
	for i, x := range fails {
		s[i] = x.Code
	}
	return strings.Join(s, ",")
}

// failureOf returns the failure of id.
func failureOf(t *testing.T, fails []pool.Failure, id uuid.UUID) pool.Failure {
	t.Helper()
	for _, x := range fails {
		if x.LeadID == id {
			return x
		}
	}
	t.Fatalf("no failure for %s in %+v", id, fails)
	return pool.Failure{}
}

// inputError asserts err is BAD_USER_INPUT at field.
func inputError(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.BadInput || e.Field != field {
		t.Fatalf("want BAD_USER_INPUT at %q, got %v", field, err)
	}
}

func ptr[T any](v T) *T { return &v }
