package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	entbroadcast "github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
	"github.com/scrmhq/scrm/plugins/webhook"
)

// TestKilledWorkerSendsEachMessageOnce runs the worker as a child process,
// kills it (SIGKILL) in the middle of a broadcast, starts a new one and lets
// the resume pass (the scheduler's every minute) pick the broadcast up:
// every eligible lead receives its message, under one idempotency key per
// lead; a key seen twice is only ever the one message in flight at the kill.
func TestKilledWorkerSendsEachMessageOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs worker processes")
	}
	bin := buildBinary(t)
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	const secret = "kill-test-server-secret-01"
	const hookSecret = "kill-test-webhook-secret1"
	ctx := context.Background()
	w, err := workspace.Create(ctx, db.Client, workspace.Spec{Slug: "acme", Name: "Acme", AdminName: "a", AdminEmail: "a@acme.test", AdminPassword: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	ctx = tenant.NewContext(ctx, w.Workspace.ID)
	const n = 600
	first, err := workspace.NextLeadSeq(ctx, db.Client, w.Workspace.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	var bulk []*ent.LeadCreate
	for i := range n {
		bulk = append(bulk, db.Client.Lead.Create().SetSeq(first+int64(i)).SetName(fmt.Sprintf("lead %d", i)).SetSource("expo"))
	}
	leads := db.Client.Lead.CreateBulk(bulk...).SaveX(ctx)

	// The receiver: signatures checked, messages counted per key and lead.
	var mu sync.Mutex
	perKey, perLead := map[string]int{}, map[string]map[string]bool{}
	received := 0
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhook.Verify(hookSecret, r.Header, body, time.Now(), 5*time.Minute) != nil {
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m struct{ LeadID string }
		_ = json.Unmarshal(body, &m)
		key := r.Header.Get(webhook.HeaderIdempotencyKey)
		mu.Lock()
		perKey[key]++
		if perLead[m.LeadID] == nil {
			perLead[m.LeadID] = map[string]bool{}
		}
		perLead[m.LeadID][key] = true
		received++
		mu.Unlock()
	}))
	defer hook.Close()

	opt := asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}
	client := asynq.NewClient(opt)
	defer client.Close()
	// The plan task waits in the outbox until the worker's relay hands it over.
	services, err := app.New(ctx, app.Config{Client: db.Client, DB: db.DB, Secret: secret,
		Queue: jobs.Queue{Outbox: jobs.NewOutbox(db.Client, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	segs, svc := services.Segments, services.Broadcasts
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

	worker := func() (*exec.Cmd, *bytes.Buffer) {
		var out bytes.Buffer
		cmd := exec.Command(bin, "serve", "--roles", "worker")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL, "REDIS_URL="+rd.URL, "SCRM_SECRET="+secret)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd, &out
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return received
	}
	one, out1 := worker()
	deadline := time.Now().Add(60 * time.Second)
	for count() < n/3 {
		if time.Now().After(deadline) {
			t.Fatalf("the first worker sent %d messages in 60s\n%s", count(), out1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := one.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = one.Wait()
	atKill := count()
	if atKill >= n {
		t.Fatalf("the broadcast finished before the kill (%d messages)", atKill)
	}

	_, out2 := worker()
	// What the scheduler does every minute: restart the loops of running broadcasts.
	if _, err := client.Enqueue(asynq.NewTask(jobs.TypeBroadcastsResume, nil)); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(90 * time.Second)
	for {
		got, err := db.Client.Broadcast.Get(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == entbroadcast.StatusDONE {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast %s after the restart (%d messages)\n%s", got.Status, count(), out2)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := svc.StatsOf(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	dupes := 0
	for _, c := range perKey {
		dupes += c - 1
	}
	t.Logf("killed after %d messages; %d received in all, %d repeated deliveries of one key", atKill, received, dupes)
	if st.Sent != n || st.Delivered != n || len(perKey) != n || len(perLead) != n {
		t.Fatalf("stats %+v, %d distinct keys, %d leads; want %d each", st, len(perKey), len(perLead), n)
	}
	for _, l := range leads {
		if len(perLead[l.ID.String()]) != 1 {
			t.Fatalf("lead %s got %d different messages", l.ID, len(perLead[l.ID.String()]))
		}
	}
	if dupes > 1 {
		t.Errorf("%d repeated deliveries; at most the one in flight at the kill may repeat", dupes)
	}
}
