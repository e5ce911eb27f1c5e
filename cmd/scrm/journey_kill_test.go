package main

import (
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/enrollment"
	entjourney "github.com/scrmhq/scrm/ent/journey"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/jobs"
)

// TestKilledJourneyWorkerRunsEachStepOnce is issue #23's kill test: two
// worker processes run the same workspace's journey (add a tag, create a
// task for the owner, a signed webhook) over 10,000 leads at once, taking
// the due enrolments through row locks (SKIP LOCKED); one is killed (SIGKILL) in the
// middle and a third takes over. Every lead ends with exactly one task,
// one tag, one step run per step and one webhook key; a key may reach the
// receiver twice only as a retry of a batch in flight at the kill, under
// the same idempotency key.
func TestKilledJourneyWorkerRunsEachStepOnce(t *testing.T) {
	const hookSecret = "journey-kill-webhook-secret"
	e := newKillEnv(t, "journey-kill-server-secret")
	ctx, w, db := e.ctx, e.ws, e.db
	// Five batches of the engine's 2,000 enrolments: the four task slots of
	// the two workers hold at most four, so when the first tasks are seen
	// at least one batch has not run (with 3,000 leads both batches could
	// commit between two looks, and a clean-clone run saw the journey end
	// before the kill).
	const n = 10000
	leads := e.leads(n, func(_ int, c *ent.LeadCreate) { c.SetOwnerID(w.Admin.ID) })
	ids := make([]uuid.UUID, len(leads))
	for i, l := range leads {
		ids[i] = l.ID
	}
	tag := db.Client.Tag.Create().SetName("SOP").SaveX(ctx)
	hook := newHookReceiver(t, hookSecret)

	services := e.services
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

	// Two task slots each: neither worker can take every pass of the four
	// queued at the start.
	worker := func() (*exec.Cmd, *output) { return e.worker("--concurrency", "2") }
	payload, _ := json.Marshal(map[string]any{"tenant_id": w.Workspace.ID})
	// Several passes at once, as the per-minute fan-out and enrolments give
	// a busy workspace: both workers take due enrolments side by side.
	runPasses := func(k int) {
		for range k {
			e.enqueue(jobs.TypeJourneyRun, payload, asynq.MaxRetry(10))
		}
	}
	tasks := func() int { return db.Client.Task.Query().Where(task.LeadIDIn(ids...)).CountX(ctx) }

	one, out1 := worker()
	_, out2 := worker()
	e.waitFor("worker started", out1, out2)
	runPasses(4)
	deadline := time.Now().Add(90 * time.Second)
	for tasks() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the two workers created %d tasks in 90s\n%s\n%s", tasks(), out1, out2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.kill(one)
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
		_, keys := hook.count()
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
	// Whether the second worker took a share before the kill is Asynq's
	// scheduling: an idle worker polls its queues once a second, and two
	// passes of the first can run the whole journey in less. What is
	// asserted is the kill's outcome, whoever ran the steps.
	_, keys := hook.count()
	repeats := hook.repeats()
	t.Logf("killed after %d of %d tasks; %d webhook keys, %d repeated deliveries of a key; the second worker ran steps: %v",
		atKill, n, keys, repeats, out2.Contains("ran journey steps"))
	if keys != n || hook.leads() != n {
		t.Fatalf("%d webhook keys for %d leads, want %d each", keys, hook.leads(), n)
	}
	for _, l := range leads {
		if k := hook.keysOf(l.ID.String()); k != 1 {
			t.Fatalf("lead %s got %d different webhook keys", l.ID, k)
		}
	}
	// A batch in flight at the kill is retried whole (journey.webhookBatch).
	if repeats > 100 {
		t.Errorf("%d repeated deliveries; at most one batch in flight at the kill may repeat", repeats)
	}
}
