package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
)

func fixture(t *testing.T) (*testenv.Database, context.Context, *platform.FakeClock) {
	t.Helper()
	db := testenv.NewDatabase(t)
	ctx := context.Background()
	c, err := workspace.Create(ctx, db.Client, workspace.Spec{Slug: "acme", Name: "Acme", AdminName: "a", AdminEmail: "a@acme.test", AdminPassword: "password-a"})
	if err != nil {
		t.Fatal(err)
	}
	return db, tenant.NewContext(ctx, c.Workspace.ID), platform.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

// services builds the worker's services as the process does (app.New),
// without a queue.
func services(t *testing.T, db *testenv.Database, clock platform.Clock) *app.Services {
	t.Helper()
	svc, err := app.New(context.Background(), app.Config{Client: db.Client, DB: db.DB, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestPurgeRevokedAPIKeysAtRetentionBoundary(t *testing.T) {
	db, ctx, clock := fixture(t)
	now := clock.Now()
	mk := func(name string, revoked *time.Time) *ent.APIKey {
		k, err := db.Client.APIKey.Create().SetName(name).SetPrefix("scrm_" + name).SetSecretHash([]byte(name)).SetNillableRevokedAt(revoked).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	old := now.Add(-jobs.RevokedKeyRetention - time.Second)
	edge := now.Add(-jobs.RevokedKeyRetention + time.Second)
	mk("live", nil)
	mk("old", &old)
	mk("recent", &edge)

	h := &jobs.Handlers{Deps: jobs.Deps{Services: services(t, db, clock), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	for range 2 { // idempotent: the second run changes nothing
		if err := h.HandlePurgeRevokedAPIKeys(context.Background(), asynq.NewTask(jobs.TypePurgeRevokedAPIKeys, nil)); err != nil {
			t.Fatal(err)
		}
		var names []string
		keys, err := db.Client.APIKey.Query().Order(ent.Asc("name")).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			names = append(names, k.Name)
		}
		if len(names) != 2 || names[0] != "live" || names[1] != "recent" {
			t.Fatalf("keys after purge = %v; want [live recent]", names)
		}
	}
}

// TestWorkerAndSchedulerWiring runs the real worker and scheduler against
// Redis: the periodic entry is enqueued, processed and, being unique, not
// enqueued twice by two schedulers in the same period.
func TestWorkerAndSchedulerWiring(t *testing.T) {
	db, ctx, clock := fixture(t)
	rd := testenv.NewRedis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opt := asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}

	revoked := clock.Now().Add(-jobs.RevokedKeyRetention - time.Hour)
	if err := db.Client.APIKey.Create().SetName("old").SetPrefix("scrm_old").SetSecretHash([]byte("x")).SetRevokedAt(revoked).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// Two schedulers enqueue the same periodic task for the same period.
	client := asynq.NewClient(opt)
	defer client.Close()
	var enqueued int
	for range 2 {
		p := jobs.Schedule()[0]
		if _, err := client.Enqueue(p.Task, p.Opts...); err == nil {
			enqueued++
		} else if !errors.Is(err, asynq.ErrDuplicateTask) {
			t.Fatal(err)
		}
	}
	if enqueued != 1 {
		t.Fatalf("enqueued %d copies of the periodic task; want 1", enqueued)
	}
	srv := jobs.NewServer(opt, log, 2)
	mux := asynq.NewServeMux()
	jobs.Register(mux, jobs.Deps{Services: services(t, db, clock), Log: log})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := db.Client.APIKey.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker did not process the task")
		}
		time.Sleep(100 * time.Millisecond)
	}
	sched, err := jobs.NewScheduler(opt, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := sched.Start(); err != nil {
		t.Fatal(err)
	}
	sched.Shutdown()
}

// TestFieldIndexSweepRebuildsStaleDefinitions: a definition left PENDING (its
// enqueue lost) is picked up by the sweep and built by the worker.
func TestFieldIndexSweepRebuildsStaleDefinitions(t *testing.T) {
	db, ctx, _ := fixture(t)
	rd := testenv.NewRedis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opt := asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}
	client, _ := asynqClient(t, rd)
	// A definition marked indexed whose build was never enqueued.
	d, err := db.Client.FieldDefinition.Create().SetKey("budget").SetLabel("B").SetType("NUMBER").
		SetIndexed(true).SetIndexStatus("PENDING").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock := platform.NewFakeClock(d.UpdatedAt.Add(11 * time.Minute))
	outbox := jobs.NewOutbox(db.Client, clock)
	runRelay(t, outbox, client)
	q := jobs.Queue{Outbox: outbox}
	svc, err := app.New(ctx, app.Config{Client: db.Client, DB: db.DB, Queue: q, Clock: clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	deps := jobs.Deps{Services: svc, Queue: q, Log: log}
	srv := jobs.NewServer(opt, log, 2)
	mux := asynq.NewServeMux()
	jobs.Register(mux, deps)
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	h := &jobs.Handlers{Deps: deps}
	if err := h.HandleFieldIndexSweep(context.Background(), asynq.NewTask(jobs.TypeFieldIndexSweep, nil)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := db.Client.FieldDefinition.Get(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.IndexStatus == "READY" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("index status %s (%s) after the sweep; want READY", got.IndexStatus, got.IndexError)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPeriodicTaskRunsOncePerPeriod: a second copy of a periodic task in the
// same period, enqueued after the first finished (Asynq has released its
// unique lock; a second scheduler does this), does nothing; the next
// period's copy runs.
func TestPeriodicTaskRunsOncePerPeriod(t *testing.T) {
	db, ctx, clock := fixture(t)
	rd := testenv.NewRedis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opt := asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}
	client := asynq.NewClient(opt)
	defer client.Close()
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	srv := jobs.NewServer(opt, log, 2)
	mux := asynq.NewServeMux()
	jobs.Register(mux, jobs.Deps{Services: services(t, db, clock), Redis: rd.Client, Log: log})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	revoked := func(name string) {
		at := clock.Now().Add(-jobs.RevokedKeyRetention - time.Hour)
		if err := db.Client.APIKey.Create().SetName(name).SetPrefix("scrm_" + name).SetSecretHash([]byte(name)).SetRevokedAt(at).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// runOnce enqueues the schedule's purge entry and waits until a worker
	// processed it: the keys left afterwards.
	processed := 0
	runOnce := func() int {
		t.Helper()
		p := jobs.Schedule()[0]
		if p.Task.Type() != jobs.TypePurgeRevokedAPIKeys {
			t.Fatalf("the first entry is %s", p.Task.Type())
		}
		if _, err := client.Enqueue(p.Task, p.Opts...); err != nil {
			t.Fatal(err)
		}
		processed++
		deadline := time.Now().Add(20 * time.Second)
		for {
			info, err := insp.GetQueueInfo("low")
			if err != nil {
				t.Fatal(err)
			}
			if info.Processed >= processed && info.Active == 0 && info.Pending == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the worker did not process task %d: %+v", processed, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
		n, err := db.Client.APIKey.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	revoked("first")
	if n := runOnce(); n != 0 {
		t.Fatalf("%d keys after the first run; want 0", n)
	}
	revoked("second")
	if n := runOnce(); n != 1 {
		t.Fatalf("%d keys after a second copy in the same period; want 1 (it must not run)", n)
	}
	clock.Advance(time.Hour)
	if n := runOnce(); n != 0 {
		t.Fatalf("%d keys after the next period's run; want 0", n)
	}
}
