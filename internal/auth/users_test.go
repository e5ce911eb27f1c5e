package auth_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/changetoken"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

const secret = "users-cache-test-secret-0123456789"

// process is one server process's auth: its own client (counting the SQL
// statements of requests), service and cache, and a clock the test moves.
type process struct {
	client     *ent.Client
	svc        *auth.Service
	statements atomic.Int64
	clock      *platform.FakeClock
}

func newProcess(t *testing.T, db *testenv.Database, rdb redis.UniversalClient) *process {
	t.Helper()
	p := &process{clock: platform.NewFakeClock(time.Now())}
	// Only statements on a request's path count: a background read the
	// request started may run while it returns, and costs it nothing.
	drv := dialect.DebugWithContext(entsql.OpenDB(dialect.Postgres, db.DB), func(ctx context.Context, _ ...any) {
		if ctx.Value(onRequest{}) != nil {
			p.statements.Add(1)
		}
	})
	p.client = ent.NewClient(ent.Driver(drv))
	p.svc = auth.NewService(p.client, auth.NewTokens(secret, time.Now), p.clock.Now)
	if rdb != nil {
		p.svc.WithRedis(rdb).WatchUsers(p.client)
	}
	return p
}

// onRequest marks the context of a request (auth), whose statements count.
type onRequest struct{}

// auth authenticates bearer and returns the viewer (nil when refused) and
// the SQL statements it took.
func (p *process) auth(t *testing.T, bearer string) (*auth.Viewer, int64) {
	t.Helper()
	before := p.statements.Load()
	v, err := p.svc.Authenticate(context.WithValue(context.Background(), onRequest{}, true), bearer)
	n := p.statements.Load() - before
	if errors.Is(err, auth.ErrUnauthenticated) {
		return nil, n
	}
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return v, n
}

func signedIn(t *testing.T, db *testenv.Database) (context.Context, *workspace.Created, string) {
	t.Helper()
	slug := "u" + time.Now().Format("150405.000000")
	slug = slug[:7] + slug[8:]
	w, err := workspace.Create(context.Background(), db.Client, workspace.Spec{Slug: slug, Name: slug,
		AdminName: "admin", AdminEmail: "admin@" + slug + ".test", AdminPassword: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	bearer, _, err := auth.NewTokens(secret, time.Now).Issue(w.Workspace.ID, w.Admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	return tenant.NewContext(context.Background(), w.Workspace.ID), w, bearer
}

// Two processes share PostgreSQL and Redis: a request of a signed-in user
// reads the user once, then costs no SQL statement until a change to the
// workspace's users commits on any process; a deactivation is refused on the
// next request, a role change applied, an uncommitted or rolled-back change
// not seen, and a sign-in moves nothing.
func TestSignedInUsersCachedUntilChanged(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	ctx, w, bearer := signedIn(t, db)
	a, b := newProcess(t, db, rd.Client), newProcess(t, db, rd.Client)

	v, n := a.auth(t, bearer)
	if v == nil || n == 0 || !v.HasRole("admin") {
		t.Fatalf("first request: viewer %+v with %d statements, want the admin read from PostgreSQL", v, n)
	}
	v.Roles = append(v.Roles, "partner") // a request's own copy
	if v, n := a.auth(t, bearer); v == nil || n != 0 || v.HasRole("partner") {
		t.Fatalf("next request: viewer %+v with %d statements, want the cached admin (0 statements, untouched)", v, n)
	}

	if err := b.client.User.UpdateOneID(w.Admin.ID).SetActive(false).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := a.auth(t, bearer); v != nil {
		t.Fatal("a user deactivated on another process is still signed in")
	}
	if err := b.client.User.UpdateOneID(w.Admin.ID).SetActive(true).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if v, n := a.auth(t, bearer); v == nil || n == 0 {
		t.Fatalf("reactivated: viewer %v after %d statements", v, n)
	}

	tx, err := b.client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.User.UpdateOneID(w.Admin.ID).SetRoles([]string{"rep"}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if v, n := a.auth(t, bearer); v == nil || n != 0 || !v.HasRole("admin") {
		t.Fatalf("during the other process's transaction: %+v with %d statements, want the cached admin", v, n)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if v, n := a.auth(t, bearer); v == nil || n != 0 || !v.HasRole("admin") {
		t.Fatalf("after its rollback: %+v with %d statements, want the cached admin", v, n)
	}
	tx, err = b.client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.User.UpdateOneID(w.Admin.ID).SetRoles([]string{"rep"}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if v, _ := a.auth(t, bearer); v == nil || !v.HasRole("rep") || v.HasRole("admin") {
		t.Fatalf("after the other process's commit: roles %v, want [rep]", v)
	}

	if err := b.client.User.UpdateOneID(w.Admin.ID).SetLastLoginAt(time.Now()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if v, n := a.auth(t, bearer); v == nil || n != 0 {
		t.Fatalf("after a sign-in elsewhere: %d statements, want the cache kept", n)
	}
}

// A change whose token never reached Redis is seen within the recheck
// period; a process whose Redis does not answer reads the user on every
// request.
func TestSignedInUsersTokenLostOrRedisDown(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	ctx, w, bearer := signedIn(t, db)
	a := newProcess(t, db, rd.Client)
	noRedis := newProcess(t, db, nil)

	a.auth(t, bearer)
	if err := noRedis.client.User.UpdateOneID(w.Admin.ID).SetActive(false).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if v, n := a.auth(t, bearer); v == nil || n != 0 {
		t.Fatalf("token not moved: viewer %v with %d statements, want the cached user", v, n)
	}
	a.clock.Advance(6 * time.Second)
	if v, _ := a.auth(t, bearer); v != nil {
		t.Fatal("after the recheck period a deactivated user is still signed in")
	}
	if err := noRedis.client.User.UpdateOneID(w.Admin.ID).SetActive(true).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	// A user in use is read again in the background before the recheck is
	// due: the request after RecheckEvery costs nothing, and a deactivation
	// whose token was lost is seen once the background read has run, which
	// is sooner than RecheckEvery after the last read.
	a.auth(t, bearer)
	a.clock.Advance(changetoken.RefreshAhead + time.Second/2)
	if v, _ := a.auth(t, bearer); v == nil {
		t.Fatal("an active user refused")
	}
	a.svc.WaitRefreshes()
	a.clock.Advance(changetoken.RefreshAhead + time.Second/2)
	if v, n := a.auth(t, bearer); v == nil || n != 0 {
		t.Fatalf("%v since the last read on a request: viewer %v with %d statements, want the user read again in the background", 2*changetoken.RefreshAhead+time.Second, v, n)
	}
	a.svc.WaitRefreshes()
	if err := noRedis.client.User.UpdateOneID(w.Admin.ID).SetActive(false).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(changetoken.RefreshAhead + time.Second/2)
	if v, _ := a.auth(t, bearer); v == nil {
		t.Fatal("the cached user not served while it is read again")
	}
	a.svc.WaitRefreshes()
	if v, _ := a.auth(t, bearer); v != nil {
		t.Fatal("after the background read a deactivated user is still signed in")
	}
	if err := noRedis.client.User.UpdateOneID(w.Admin.ID).SetActive(true).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	// Only users served since their last read are read again in the
	// background: an idle user's entry ages out and is read on its next
	// request, though the admin keeps the workspace's refresh going.
	rep, err := noRedis.client.User.Create().SetTenantID(w.Workspace.ID).SetName("rep").SetEmail("rep@" + w.Workspace.Slug + ".test").
		SetPasswordHash("x").SetRoles([]string{"rep"}).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	repBearer, _, err := auth.NewTokens(secret, time.Now).Issue(w.Workspace.ID, rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	a.auth(t, repBearer) // read; then idle
	for range 2 {
		a.clock.Advance(changetoken.RefreshAhead + time.Second/2)
		a.auth(t, bearer) // the admin, served: its refresh runs
		a.svc.WaitRefreshes()
	}
	if v, n := a.auth(t, repBearer); v == nil || n == 0 {
		t.Fatalf("an idle user after %v: viewer %v with %d statements, want it read on its request (not refreshed while idle)", 2*(changetoken.RefreshAhead+time.Second/2), v, n)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dead := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { dead.Close() })
	down := newProcess(t, db, dead)
	for i := range 2 {
		if v, n := down.auth(t, bearer); v == nil || n == 0 {
			t.Fatalf("Redis down, request %d: viewer %v with %d statements, want a read of PostgreSQL", i, v, n)
		}
	}
}
