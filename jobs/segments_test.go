package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/internal/app"
	segsvc "github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
)

// TestDynamicSegmentsRefreshOnSchedule: with the injected clock, a dynamic
// segment is recomputed once its interval has passed and not before; a
// static one never is.
func TestDynamicSegmentsRefreshOnSchedule(t *testing.T) {
	db, ctx, clock := fixture(t)
	rd := testenv.NewRedis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opt := asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}
	client, _ := asynqClient(t, rd)
	outbox := jobs.NewOutbox(db.Client, clock)
	runRelay(t, outbox, client)
	queue := jobs.Queue{Outbox: outbox}
	services, err := app.New(ctx, app.Config{Client: db.Client, DB: db.DB, Queue: queue, Clock: clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	deps := jobs.Deps{Services: services, Queue: queue, Log: log}
	srv := jobs.NewServer(opt, log, 2)
	mux := asynq.NewServeMux()
	jobs.Register(mux, deps)
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	tid, _ := tenant.FromContext(ctx)
	first, err := workspace.NextLeadSeq(ctx, db.Client, tid, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int64(2) {
		if err := db.Client.Lead.Create().SetSeq(first + i).SetSource("web").Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	svc := services.Segments
	every := 60
	rule := &segsvc.Rule{Attribute: &schematype.AttributeCondition{Key: "source", Op: "EQ", Value: "web"}}
	dyn, err := svc.Create(ctx, segsvc.Input{Name: "web", Rule: rule, RefreshEveryMinutes: &every})
	if err != nil {
		t.Fatal(err)
	}
	static, err := svc.Create(ctx, segsvc.Input{Name: "web snapshot", Kind: "STATIC", Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	wait := func(s *ent.Segment, count int) *ent.Segment {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := db.Client.Segment.Get(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == segment.StatusREADY && got.MemberCount == count {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s with %d members, want READY with %d", s.Name, got.Status, got.MemberCount, count)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	dyn, static = wait(dyn, 2), wait(static, 2)
	if dyn.NextRefreshAt == nil || !dyn.NextRefreshAt.Equal(clock.Now().Add(time.Hour)) || static.NextRefreshAt != nil {
		t.Fatalf("next refresh: dynamic %v, static %v", dyn.NextRefreshAt, static.NextRefreshAt)
	}
	if err := db.Client.Lead.Create().SetSeq(first + 2).SetSource("web").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	h := &jobs.Handlers{Deps: deps}
	refresh := func() {
		t.Helper()
		if err := h.HandleSegmentsRefreshDue(context.Background(), asynq.NewTask(jobs.TypeSegmentsRefreshDue, nil)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(59 * time.Minute)
	refresh()
	time.Sleep(300 * time.Millisecond)
	if got, _ := db.Client.Segment.Get(ctx, dyn.ID); got.MemberCount != 2 {
		t.Fatalf("refreshed before its time: %d members", got.MemberCount)
	}
	clock.Advance(2 * time.Minute)
	refresh()
	wait(dyn, 3)
	if got, _ := db.Client.Segment.Get(ctx, static.ID); got.MemberCount != 2 || !got.ComputedAt.Equal(*static.ComputedAt) {
		t.Errorf("static segment recomputed: %d members at %v", got.MemberCount, got.ComputedAt)
	}
}
