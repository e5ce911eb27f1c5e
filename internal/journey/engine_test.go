package journey_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/txn"
)

// TestStepsDueNowRunInOneBatch: one batch takes each enrolment through every
// step that is due now (a tag, a condition on that tag, another tag) and
// stops at a wait that is not over; the step after the wait runs only once
// it ends. Each step runs once, in order.
func TestStepsDueNowRunInOneBatch(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t, testenv.NewDatabase(t))
	a, b, c := w.tag("a"), w.tag("b"), w.tag("c")
	j := w.create(journey.Input{Name: "chain", Trigger: manual(), Steps: []schematype.JourneyStep{
		{AddTags: tags(a)},
		{Condition: &schematype.ConditionStep{Rule: segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{a}}}}},
		{AddTags: tags(b)},
		{Wait: &schematype.WaitStep{Hours: 2}},
		{AddTags: tags(c)},
	}})
	w.activate(j.ID)
	leads := w.leads(3)
	w.enroll(j.ID, leads...)

	res, err := w.j.RunDue(w.ctx, journey.RunOptions{MaxBatches: 1})
	if err != nil || res.Batches != 1 || res.Steps != 3*len(leads) {
		t.Fatalf("first batch = %+v, %v; want 1 batch running 3 steps of each lead", res, err)
	}
	before := []string{"0:addTags:COMPLETED", "1:condition:COMPLETED", "2:addTags:COMPLETED"}
	for _, l := range leads {
		if got := w.runs(j.ID, l); !slices.Equal(got, before) {
			t.Errorf("runs = %v, want %v", got, before)
		}
		if !w.hasTag(l, a) || !w.hasTag(l, b) || w.hasTag(l, c) {
			t.Errorf("tags a, b, c = %v, %v, %v; want a and b only", w.hasTag(l, a), w.hasTag(l, b), w.hasTag(l, c))
		}
		e := w.enrolment(j.ID, l)
		if e.Status != enrollment.StatusACTIVE || e.StepIndex != 3 || e.NextRunAt == nil || !e.NextRunAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("enrolment at step %d, %s, next run %v; want the wait, until 2 hours on", e.StepIndex, e.Status, e.NextRunAt)
		}
	}
	if res := w.run(); res.Steps != 0 {
		t.Fatalf("a pass before the wait ends ran %d steps", res.Steps)
	}

	w.clock.Advance(2 * time.Hour)
	if res := w.run(); res.Batches != 1 || res.Steps != 2*len(leads) {
		t.Fatalf("after the wait = %+v; want 1 batch running the wait and the last tag of each lead", res)
	}
	after := append(before, "3:wait:COMPLETED", "4:addTags:COMPLETED")
	for _, l := range leads {
		if got := w.runs(j.ID, l); !slices.Equal(got, after) {
			t.Errorf("runs = %v, want %v", got, after)
		}
		if e := w.enrolment(j.ID, l); e.Status != enrollment.StatusCOMPLETED || !w.hasTag(l, c) {
			t.Errorf("enrolment %s, tag c %v; want COMPLETED with it", e.Status, w.hasTag(l, c))
		}
	}
}

// TestTagStepSetsUpdatedAt: the tag step leaves updated_at to the batch
// (tagging.TagLeadsUntouched), which sets it before a step that reads it (a
// condition on updatedAt sees the tag's time) and at the end of the batch
// for the leads no later write set; a lead the step did not change (it had
// the tag) keeps its updated_at.
func TestTagStepSetsUpdatedAt(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t, testenv.NewDatabase(t))
	a, b := w.tag("a"), w.tag("b")
	leads := w.leads(3)
	tagged := leads[2]
	if _, err := w.svc.Tags.TagLeads(w.ctx, []uuid.UUID{tagged}, []uuid.UUID{a}, nil, "MANUAL"); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Hour)
	now := w.clock.Now()
	j := w.create(journey.Input{Name: "touch", Trigger: manual(), Steps: []schematype.JourneyStep{
		{AddTags: tags(a)},
		{Condition: &schematype.ConditionStep{Rule: segment.Rule{Attribute: &schematype.AttributeCondition{
			Key: "updatedAt", Op: "GTE", Value: now.Format(time.RFC3339)}}, Otherwise: journey.OtherwiseSkipNext}},
		{AddTags: tags(b)},
	}})
	w.activate(j.ID)
	w.enroll(j.ID, leads...)
	if res := w.run(); res.Steps != 3*len(leads) {
		t.Fatalf("pass = %+v; want 3 steps of each lead", res)
	}
	for i, l := range leads {
		got, err := w.c.Lead.Get(w.ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		changed := l != tagged
		if want := map[bool]time.Time{true: now, false: t0}[changed]; !got.UpdatedAt.Equal(want) {
			t.Errorf("lead %d: updated_at %v, want %v", i, got.UpdatedAt, want)
		}
		if w.hasTag(l, b) != changed {
			t.Errorf("lead %d: tag b %v, want %v (the condition on updatedAt)", i, w.hasTag(l, b), changed)
		}
	}
	// A tag step that nothing after it reads: set by the batch's end.
	w.clock.Advance(time.Hour)
	last := w.create(journey.Input{Name: "tag only", Trigger: manual(), Steps: []schematype.JourneyStep{{AddTags: tags(w.tag("c"))}}})
	w.activate(last.ID)
	w.enroll(last.ID, leads[0])
	if res := w.run(); res.Steps != 1 {
		t.Fatalf("pass = %+v; want the one step", res)
	}
	got, err := w.c.Lead.Get(w.ctx, leads[0])
	if err != nil {
		t.Fatal(err)
	}
	if !got.UpdatedAt.Equal(w.clock.Now()) {
		t.Fatalf("after a last tag step: updated_at %v, want %v", got.UpdatedAt, w.clock.Now())
	}
}

// TestConcurrentPassesReassign: two passes run a createTask → reassign
// (RULES, never back to the owner) journey side by side. Both take key-share
// locks on the reps (the tasks' and owner changes' foreign keys) before the
// assignment locks them; the assignment's lock must not wait for those, or
// the passes deadlock. Every lead gets one task and a new owner.
func TestConcurrentPassesReassign(t *testing.T) {
	t.Parallel()
	w := newWorkspace(t, testenv.NewDatabase(t))
	reps := w.reps(4)
	targets := make([]assign.TargetSpec, len(reps))
	for i, r := range reps {
		targets[i] = assign.TargetSpec{UserID: r, Weight: 1}
	}
	strategy := assignmentrule.StrategyROUND_ROBIN
	if _, err := w.svc.Assigner.CreateRule(w.ctx, assign.RulePatch{Name: ptr("all"), Strategy: &strategy, Enabled: ptr(true),
		Targets: targets}); err != nil {
		t.Fatal(err)
	}
	leads := w.leads(2000)
	before := map[uuid.UUID]uuid.UUID{}
	for i, l := range leads {
		before[l] = reps[i%len(reps)]
	}
	if _, err := w.db.DB.Exec(`UPDATE leads l SET owner_id = u.owner FROM unnest($2::uuid[], $3::uuid[]) AS u(id, owner)
		WHERE l.tenant_id = $1 AND l.id = u.id`, w.id, uuidArray(leads), uuidArray(ownersOf(leads, before))); err != nil {
		t.Fatal(err)
	}
	j := w.create(journey.Input{Name: "二次分配", Trigger: manual(), Steps: []schematype.JourneyStep{
		{CreateTask: &schematype.CreateTaskStep{Title: "回访", DueInHours: 24, Assignee: journey.AssigneeOwner}},
		{Reassign: &schematype.ReassignStep{To: journey.ReassignRules, ExcludeCurrentOwner: true}},
	}})
	w.activate(j.ID)
	for chunk := range slices.Chunk(leads, journey.MaxLeads) {
		w.enroll(j.ID, chunk...)
	}
	var wg sync.WaitGroup
	results := make([]*journey.RunResult, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = w.j.RunDue(w.ctx, journey.RunOptions{BatchSize: 100})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pass %d: %v", i, err)
		}
	}
	// A deadlock is retried, so the passes end well either way; count
	// them. A backend's statistics reach pg_stat_database when it exits.
	w.db.DB.SetMaxIdleConns(0)
	var deadlocks int64
	for range 20 {
		if err := w.db.DB.QueryRow(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&deadlocks); err != nil {
			t.Fatal(err)
		}
		if deadlocks > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if deadlocks > 0 {
		t.Errorf("the passes deadlocked %d times", deadlocks)
	}
	if got := results[0].Steps + results[1].Steps; got != 2*len(leads) {
		t.Fatalf("the passes ran %d + %d steps; want %d", results[0].Steps, results[1].Steps, 2*len(leads))
	}
	var tasks, same, unowned int
	if err := w.db.DB.QueryRow(`SELECT count(*) FROM tasks WHERE tenant_id = $1 AND journey_id = $2`, w.id, j.ID).Scan(&tasks); err != nil || tasks != len(leads) {
		t.Fatalf("%d tasks (%v); want one per lead", tasks, err)
	}
	rows, err := w.db.DB.Query(`SELECT id, owner_id FROM leads WHERE tenant_id = $1`, w.id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var owner uuid.NullUUID
		if err := rows.Scan(&id, &owner); err != nil {
			t.Fatal(err)
		}
		switch {
		case !owner.Valid:
			unowned++
		case owner.UUID == before[id]:
			same++
		}
	}
	if same != 0 || unowned != 0 {
		t.Fatalf("%d leads back with their owner, %d unowned; want every lead with another rep", same, unowned)
	}
}

func ownersOf(leads []uuid.UUID, owner map[uuid.UUID]uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(leads))
	for i, l := range leads {
		out[i] = owner[l]
	}
	return out
}

func uuidArray(ids []uuid.UUID) any { return txn.UUIDArray(ids) }
