package main

import (
	"testing"
	"time"

	entbroadcast "github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/jobs"
)

// TestKilledWorkerSendsEachMessageOnce runs the worker as a child process,
// kills it (SIGKILL) in the middle of a broadcast, starts a new one and lets
// the resume pass (the scheduler's every minute) pick the broadcast up:
// every eligible lead receives its message, under one idempotency key per
// lead; a key seen twice is only ever the one message in flight at the kill.
func TestKilledWorkerSendsEachMessageOnce(t *testing.T) {
	const hookSecret = "kill-test-webhook-secret1"
	e := newKillEnv(t, "kill-test-server-secret-01")
	ctx := e.ctx
	const n = 600
	leads := e.leads(n, nil)
	hook := newHookReceiver(t, hookSecret)

	segs, svc := e.services.Segments, e.services.Broadcasts
	rule := segment.Rule{Attribute: &schematype.AttributeCondition{Key: "source", Op: "EQ", Value: "expo"}}
	seg, err := segs.Create(ctx, segment.Input{Name: "expo", Rule: &rule})
	if err != nil {
		t.Fatal(err)
	}
	if err := segs.Compute(ctx, seg.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Configure(ctx, "webhook", map[string]any{"url": hook.URL, "secret": hookSecret}, nil); err != nil {
		t.Fatal(err)
	}
	rate := 60
	b, err := svc.Create(ctx, broadcast.Input{Name: "kill", SegmentID: seg.ID, Channel: "webhook", Template: "hi {{.name}}", RatePerSecond: &rate})
	if err != nil {
		t.Fatal(err)
	}

	received := func() int { m, _ := hook.count(); return m }
	one, out1 := e.worker()
	deadline := time.Now().Add(60 * time.Second)
	for received() < n/3 {
		if time.Now().After(deadline) {
			t.Fatalf("the first worker sent %d messages in 60s\n%s", received(), out1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.kill(one)
	atKill := received()
	if atKill >= n {
		t.Fatalf("the broadcast finished before the kill (%d messages)", atKill)
	}

	_, out2 := e.worker()
	// What the scheduler does every minute: restart the loops of running broadcasts.
	e.enqueue(jobs.TypeBroadcastsResume, nil)
	deadline = time.Now().Add(90 * time.Second)
	for {
		got, err := e.db.Client.Broadcast.Get(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == entbroadcast.StatusDONE {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast %s after the restart (%d messages)\n%s", got.Status, received(), out2)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := svc.StatsOf(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	total, keys := hook.count()
	dupes := hook.repeats()
	t.Logf("killed after %d messages; %d received in all, %d repeated deliveries of one key", atKill, total, dupes)
	if st.Sent != n || st.Delivered != n || keys != n || hook.leads() != n {
		t.Fatalf("stats %+v, %d distinct keys, %d leads; want %d each", st, keys, hook.leads(), n)
	}
	for _, l := range leads {
		if k := hook.keysOf(l.ID.String()); k != 1 {
			t.Fatalf("lead %s got %d different messages", l.ID, k)
		}
	}
	if dupes > 1 {
		t.Errorf("%d repeated deliveries; at most the one in flight at the kill may repeat", dupes)
	}
}
