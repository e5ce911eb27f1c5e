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

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/enrollment"
	entjourney "github.com/scrmhq/scrm/ent/journey"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
	"github.com/scrmhq/scrm/plugins/webhook"
)

// TestKilledJourneyWorkerRunsEachStepOnce is issue #23's kill test: two
// worker processes run the same workspace's journey (add a tag, create a
// task for the owner, a signed webhook) over 3,000 leads at once, sharing
// the due enrolments through row locks; one is killed (SIGKILL) in the
// middle and a third takes over. Every lead ends with exactly one task,
// one tag, one step run per step and one webhook key; a key may reach the
// receiver twice only as a retry of a batch in flight at the kill, under
// the same idempotency key.
func TestKilledJourneyWorkerRunsEachStepOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs worker processes")
	}
	bin := buildBinary(t)
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	const secret = "journey-kill-server-secret"
	const hookSecret = "journey-kill-webhook-secret"
	ctx := context.Background()
	w, err := workspace.Create(ctx, db.Client, workspace.Spec{Slug: "acme", Name: "Acme", AdminName: "a", AdminEmail: "a@acme.test", AdminPassword: "password-123"})
	if err != nil {
		t.Fatal(err)
	}
	ctx = tenant.NewContext(ctx, w.Workspace.ID)
	const n = 3000
	first, err := workspace.NextLeadSeq(ctx, db.Client, w.Workspace.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	var bulk []*ent.LeadCreate
	for i := range n {
		bulk = append(bulk, db.Client.Lead.Create().SetSeq(first+int64(i)).SetName(fmt.Sprintf("lead %d", i)).
			SetSource("expo").SetOwnerID(w.Admin.ID))
	}
	leads := db.Client.Lead.CreateBulk(bulk...).SaveX(ctx)
	ids := make([]uuid.UUID, len(leads))
	for i, l := range leads {
		ids[i] = l.ID
	}
	tag := db.Client.Tag.Create().SetName("SOP").SaveX(ctx)

	// The receiver: signatures checked, keys counted per lead.
	var mu sync.Mutex
	perKey, perLead := map[string]int{}, map[string]map[string]bool{}
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
		mu.Unlock()
	}))
	defer hook.Close()

	services, err := app.New(ctx, app.Config{Client: db.Client, DB: db.DB, Secret: secret,
		Queue: jobs.Queue{Outbox: jobs.NewOutbox(db.Client, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := services.Broadcasts.Configure(ctx, "webhook", map[string]any{"url": hook.URL, "secret": hookSecret}, nil); err != nil {
		t.Fatal(err)
	}
	j, err := services.Journeys.Create(ctx, journey.Input{Name: "SOP", Trigger: schematype.JourneyTrigger{Manual: &schematype.EmptyTrigger{}},
		Steps: []schematype.JourneyStep{
			{AddTags: &schematype.TagsStep{TagIDs: []uuid.UUID{tag.ID}}},
			{CreateTask: &schematype.CreateTaskStep{Title: "回访", Assignee: "OWNER", DueInHours: 24}},
			{Webhook: &schematype.WebhookStep{URL: hook.URL + "/sop"}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := services.Journeys.SetStatus(ctx, j.ID, entjourney.StatusACTIVE); err != nil {
		t.Fatal(err)
	}
	if _, err := services.Journeys.EnrollLeads(ctx, j.ID, ids); err != nil {
		t.Fatal(err)
	}

	worker := func() (*exec.Cmd, *bytes.Buffer) {
		var out bytes.Buffer
		// Two task slots each: neither worker can take every pass of the
		// four queued at the start.
		cmd := exec.Command(bin, "serve", "--roles", "worker", "--concurrency", "2")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL, "REDIS_URL="+rd.URL, "SCRM_SECRET="+secret)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd, &out
	}
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB})
	defer client.Close()
	payload, _ := json.Marshal(map[string]any{"tenant_id": w.Workspace.ID})
	// Several passes at once, as the per-minute fan-out and enrolments give
	// a busy workspace: both workers take due enrolments side by side.
	runPasses := func(k int) {
		for range k {
			if _, err := client.Enqueue(asynq.NewTask(jobs.TypeJourneyRun, payload), asynq.MaxRetry(10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tasks := func() int { return db.Client.Task.Query().Where(task.LeadIDIn(ids...)).CountX(ctx) }

	one, out1 := worker()
	_, out2 := worker()
	runPasses(4)
	deadline := time.Now().Add(90 * time.Second)
	for tasks() < n/3 {
		if time.Now().After(deadline) {
			t.Fatalf("the two workers created %d tasks in 90s\n%s\n%s", tasks(), out1, out2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := one.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = one.Wait()
	atKill := tasks()
	if atKill >= n {
		t.Fatalf("the journey finished before the kill (%d tasks)", atKill)
	}
	_, out3 := worker()
	// What the scheduler does every minute, sooner: pass over the workspace
	// until no enrolment is active and every webhook arrived. An enrolment
	// the killed worker had locked is free again once its transaction died.
	deadline = time.Now().Add(120 * time.Second)
	for {
		active := db.Client.Enrollment.Query().Where(enrollment.StatusEQ(enrollment.StatusACTIVE)).CountX(ctx)
		mu.Lock()
		keys := len(perKey)
		mu.Unlock()
		if active == 0 && keys >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the kill: %d enrolments active, %d webhook keys\n%s\n%s", active, keys, out2, out3)
		}
		runPasses(2)
		time.Sleep(300 * time.Millisecond)
	}

	if got := tasks(); got != n {
		t.Errorf("%d tasks for %d leads", got, n)
	}
	var perLeadTasks []struct {
		LeadID uuid.UUID `json:"lead_id"`
		Count  int       `json:"count"`
	}
	if err := db.Client.Task.Query().Where(task.LeadIDIn(ids...)).GroupBy(task.FieldLeadID).Aggregate(ent.Count()).Scan(ctx, &perLeadTasks); err != nil {
		t.Fatal(err)
	}
	for _, c := range perLeadTasks {
		if c.Count != 1 {
			t.Errorf("lead %s has %d tasks", c.LeadID, c.Count)
		}
	}
	if got := db.Client.LeadTag.Query().CountX(ctx); got != n {
		t.Errorf("%d lead tags for %d leads", got, n)
	}
	if got := db.Client.StepRun.Query().CountX(ctx); got != 3*n {
		t.Errorf("%d step runs, want %d (3 steps × %d leads)", got, 3*n, n)
	}
	if done := db.Client.Enrollment.Query().Where(enrollment.StatusEQ(enrollment.StatusCOMPLETED)).CountX(ctx); done != n {
		t.Errorf("%d enrolments completed, want %d", done, n)
	}
	if !bytes.Contains(out2.Bytes(), []byte("ran journey steps")) {
		t.Errorf("the second worker ran no journey steps:\n%s\n---- third:\n%s", out2, out3)
	}
	mu.Lock()
	defer mu.Unlock()
	repeats := 0
	for _, c := range perKey {
		repeats += c - 1
	}
	t.Logf("killed after %d of %d tasks; %d webhook keys, %d repeated deliveries of a key", atKill, n, len(perKey), repeats)
	if len(perKey) != n || len(perLead) != n {
		t.Fatalf("%d webhook keys for %d leads, want %d each", len(perKey), len(perLead), n)
	}
	for _, l := range leads {
		if len(perLead[l.ID.String()]) != 1 {
			t.Fatalf("lead %s got %d different webhook keys", l.ID, len(perLead[l.ID.String()]))
		}
	}
	// A batch in flight at the kill is retried whole (journey.webhookBatch).
	if repeats > 100 {
		t.Errorf("%d repeated deliveries; at most one batch in flight at the kill may repeat", repeats)
	}
}
