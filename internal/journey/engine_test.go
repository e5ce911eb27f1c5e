package journey_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/testenv"
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
