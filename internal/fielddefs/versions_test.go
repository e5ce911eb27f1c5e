package fielddefs_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/internal/changetoken"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/rules/rulestest"
	"github.com/scrmhq/scrm/internal/testenv"
)

// process is one process's view of the schema: its own service and cache,
// an ent client that counts the SQL statements of requests, and a clock the
// test moves.
type process struct {
	svc        *fielddefs.Service
	statements atomic.Int64
	clock      *platform.FakeClock
}

func newProcess(t *testing.T, db *testenv.Database, rdb redis.UniversalClient) *process {
	t.Helper()
	p := &process{clock: platform.NewFakeClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))}
	// Only statements on a request's path count: a background read the
	// request started may run while it returns, and costs it nothing.
	drv := dialect.DebugWithContext(entsql.OpenDB(dialect.Postgres, db.DB), func(ctx context.Context, _ ...any) {
		if ctx.Value(onRequest{}) != nil {
			p.statements.Add(1)
		}
	})
	p.svc = fielddefs.New(ent.NewClient(ent.Driver(drv)), nil).WithClock(p.clock.Now)
	if rdb != nil {
		p.svc.WithRedis(rdb)
	}
	return p
}

// onRequest marks the context of a request (has), whose statements count.
type onRequest struct{}

// has reports whether the process's schema of the workspace defines key, and
// how many SQL statements finding out took.
func (p *process) has(t *testing.T, ctx context.Context, key string) (bool, int64) {
	t.Helper()
	before := p.statements.Load()
	sch, err := p.svc.Schema(context.WithValue(ctx, onRequest{}, true))
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	_, ok := sch.Lookup(key)
	return ok, p.statements.Load() - before
}

// newWorkspace provisions a workspace as the other packages' tests do.
func newWorkspace(t *testing.T, db *testenv.Database) context.Context {
	t.Helper()
	return rulestest.NewWorkspace(t, db).Ctx
}

func number(key string) fielddefs.Input {
	return fielddefs.Input{Key: key, Label: key, Type: fielddefinition.TypeNUMBER}
}

// Two processes share PostgreSQL and Redis: a definition created through one
// is in the other's schema on its next request, while requests that change
// nothing cost no SQL statement at all.
func TestSchemaTokenSeesChangesOfOtherProcesses(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	ctx := newWorkspace(t, db)
	a, b := newProcess(t, db, rd.Client), newProcess(t, db, rd.Client)

	if ok, n := a.has(t, ctx, "budget"); ok || n == 0 {
		t.Fatalf("first read: has budget %v with %d statements, want false with a read of PostgreSQL", ok, n)
	}
	if _, n := a.has(t, ctx, "budget"); n != 0 {
		t.Fatalf("unchanged schema: %d SQL statements, want 0", n)
	}

	if _, err := b.svc.Create(ctx, number("budget")); err != nil {
		t.Fatal(err)
	}
	if ok, n := a.has(t, ctx, "budget"); !ok || n == 0 {
		t.Fatalf("after another process created budget: has it %v (%d statements)", ok, n)
	}
	if ok, n := a.has(t, ctx, "budget"); !ok || n != 0 {
		t.Fatalf("the next request: has budget %v with %d statements, want true with 0", ok, n)
	}

	// A change inside a transaction is not announced before the commit, and a
	// rolled-back one never is.
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txCtx := ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx)
	if _, err := b.svc.Create(txCtx, number("city")); err != nil {
		t.Fatal(err)
	}
	if ok, n := a.has(t, ctx, "city"); ok || n != 0 {
		t.Fatalf("during the other process's transaction: has city %v with %d statements, want false with 0", ok, n)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if ok, n := a.has(t, ctx, "city"); ok || n != 0 {
		t.Fatalf("after its rollback: has city %v with %d statements, want false with 0", ok, n)
	}

	tx, err = db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txCtx = ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx)
	if _, err := b.svc.Create(txCtx, number("city")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.has(t, ctx, "city"); !ok {
		t.Fatal("after the other process's commit: no city")
	}
}

// A change whose token never reached Redis (Redis flushed or down at the
// commit) is seen within the recheck period; a process whose Redis does not
// answer reads PostgreSQL on every request and stops asking Redis for a while.
func TestSchemaTokenLostOrRedisDown(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	ctx := newWorkspace(t, db)
	a := newProcess(t, db, rd.Client)
	noRedis := newProcess(t, db, nil) // changes the version, moves no token

	if ok, _ := a.has(t, ctx, "budget"); ok {
		t.Fatal("budget before it exists")
	}
	if _, err := noRedis.svc.Create(ctx, number("budget")); err != nil {
		t.Fatal(err)
	}
	if ok, n := a.has(t, ctx, "budget"); ok || n != 0 {
		t.Fatalf("token not moved: has budget %v with %d statements, want the cached schema (false, 0)", ok, n)
	}
	a.clock.Advance(6 * time.Second)
	if ok, n := a.has(t, ctx, "budget"); !ok || n == 0 {
		t.Fatalf("after the recheck period: has budget %v with %d statements", ok, n)
	}

	// A schema in use is read again in the background before the recheck is
	// due: the request after RecheckEvery from the last read on a request
	// costs nothing, and a change whose token was lost is seen once the
	// background read has run.
	a.clock.Advance(changetoken.RefreshAhead + time.Second/2)
	a.has(t, ctx, "budget")
	a.svc.WaitRefreshes()
	a.clock.Advance(changetoken.RefreshAhead + time.Second/2)
	if ok, n := a.has(t, ctx, "budget"); !ok || n != 0 {
		t.Fatalf("%v since the last read on a request: has budget %v with %d statements, want 0 (read again in the background)", 2*changetoken.RefreshAhead+time.Second, ok, n)
	}
	a.svc.WaitRefreshes()
	if _, err := noRedis.svc.Create(ctx, number("region")); err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(changetoken.RefreshAhead + time.Second/2)
	if ok, _ := a.has(t, ctx, "region"); ok {
		t.Fatal("region seen before the background read (the token did not move)")
	}
	a.svc.WaitRefreshes()
	if ok, n := a.has(t, ctx, "region"); !ok || n != 0 {
		t.Fatalf("after the background read: has region %v with %d statements, want true with 0", ok, n)
	}

	// Redis that refuses connections.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var commands atomic.Int64
	dead := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	dead.AddHook(countHook{&commands})
	t.Cleanup(func() { dead.Close() })
	down := newProcess(t, db, dead)

	if ok, n := down.has(t, ctx, "budget"); !ok || n == 0 {
		t.Fatalf("Redis down: has budget %v with %d statements", ok, n)
	}
	tried := commands.Load()
	if tried == 0 {
		t.Fatal("Redis was not tried")
	}
	if _, err := noRedis.svc.Create(ctx, number("city")); err != nil {
		t.Fatal(err)
	}
	if ok, n := down.has(t, ctx, "city"); !ok || n == 0 {
		t.Fatalf("Redis down, the next request: has city %v with %d statements", ok, n)
	}
	if got := commands.Load(); got != tried {
		t.Fatalf("Redis tried again %d times within the pause", got-tried)
	}
	down.clock.Advance(6 * time.Second)
	down.has(t, ctx, "city")
	if commands.Load() == tried {
		t.Fatal("Redis not tried again after the pause")
	}
}

type countHook struct{ n *atomic.Int64 }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
