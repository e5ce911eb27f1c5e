package journey_test

import (
	"testing"
	"time"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/journey"
)

// testTasks runs createTask steps for the owner, the owner's team manager
// and a named user: one task each per lead, due dueInHours after the step
// ran, never twice; a lead without an owner fails the step with the reason.
func testTasks(t *testing.T, w *ws) {
	reps := w.reps(3)
	owner, manager, named := reps[0], reps[1], reps[2]
	team, err := w.c.Team.Create().SetName("east").SetManagerID(manager).Save(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.c.User.UpdateOneID(owner).SetTeamID(team.ID).Exec(w.ctx); err != nil {
		t.Fatal(err)
	}
	ls := w.leads(2)
	owned, orphan := ls[0], ls[1]
	if err := w.c.Lead.UpdateOneID(owned).SetOwnerID(owner).Exec(w.ctx); err != nil {
		t.Fatal(err)
	}
	j := w.create(journey.Input{Name: "call plan", Trigger: manual(), Steps: []schematype.JourneyStep{
		{CreateTask: &schematype.CreateTaskStep{Title: "call", Description: "ask about the quote", DueInHours: 24}},
		{CreateTask: &schematype.CreateTaskStep{Title: "review", Assignee: journey.AssigneeManager}},
		{CreateTask: &schematype.CreateTaskStep{Title: "check", Assignee: journey.AssigneeUser, UserID: &named, DueInHours: 2}},
	}})
	w.activate(j.ID)
	w.enroll(j.ID, owned, orphan)
	w.run()
	w.run()

	got, err := w.c.Task.Query().Where(task.JourneyID(j.ID)).Order(ent.Asc(task.FieldStepIndex)).All(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		title    string
		assignee any
		due      time.Duration
	}{{"call", owner, 24 * time.Hour}, {"review", manager, 0}, {"check", named, 2 * time.Hour}}
	if len(got) != len(want) {
		t.Fatalf("%d tasks, want %d: %+v", len(got), len(want), got)
	}
	for i, tk := range got {
		if tk.Title != want[i].title || tk.AssigneeID != want[i].assignee || !tk.DueAt.Equal(t0.Add(want[i].due)) ||
			tk.LeadID == nil || *tk.LeadID != owned || tk.Status != task.StatusOPEN || tk.Kind != task.KindTASK {
			t.Errorf("task %d = %+v, want %s for %v due %v", i, tk, want[i].title, want[i].assignee, t0.Add(want[i].due))
		}
	}
	if got[0].Description != "ask about the quote" {
		t.Errorf("description %q", got[0].Description)
	}
	if e := w.enrolment(j.ID, owned); e.Status != enrollment.StatusCOMPLETED {
		t.Errorf("owned lead's enrolment %s, want COMPLETED", e.Status)
	}
	e := w.enrolment(j.ID, orphan)
	if e.Status != enrollment.StatusFAILED || e.Error == nil || *e.Error != "the lead has no active owner to give the task to" {
		t.Errorf("orphan's enrolment %s (%v), want FAILED for want of an owner", e.Status, e.Error)
	}
	if r := w.runs(j.ID, orphan); len(r) != 1 || r[0] != "0:createTask:FAILED" {
		t.Errorf("orphan's runs %v", r)
	}
}
