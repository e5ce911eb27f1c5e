package journey_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/tasks"
	"github.com/scrmhq/scrm/internal/txn"
)

// testTasks runs createTask steps for the owner, the owner's team manager
// and a named user: one task each per lead, due dueInHours after the step
// ran, never twice; a lead without an owner fails the step with the reason.
// Each assignee is told (task.assigned, naming the journey and the due time
// in the workspace's zone), queued with the tasks; a retried step run makes
// no task and tells nobody again; several tasks for one assignee in a run
// are one notice that counts them.
func testTasks(t *testing.T, w *ws) {
	sent := &sentNotes{}
	w.svc.Tasks.Notify = sent
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

	// One task.assigned per task, to its assignee, about the lead and the
	// task, queued.
	taskOf := map[uuid.UUID]uuid.UUID{}
	for _, tk := range got {
		taskOf[tk.AssigneeID] = tk.ID
	}
	notes, err := w.c.Notification.Query().Where(notification.Kind(tasks.KindAssigned)).
		Order(ent.Asc(notification.FieldMessage)).All(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantNotes := map[uuid.UUID]string{
		owner:   "旅程「call plan」给你安排了待办「call」（截止 2026-03-03 08:00）。",
		manager: "旅程「call plan」给你安排了待办「review」（截止 2026-03-02 08:00）。",
		named:   "旅程「call plan」给你安排了待办「check」（截止 2026-03-02 10:00）。",
	}
	if len(notes) != len(wantNotes) || len(sent.ids) != len(wantNotes) {
		t.Fatalf("%d task.assigned notifications (%d queued), want %d: %+v", len(notes), len(sent.ids), len(wantNotes), notes)
	}
	for _, n := range notes {
		if n.Message != wantNotes[n.UserID] || n.LeadID == nil || *n.LeadID != owned ||
			n.TaskID == nil || *n.TaskID != taskOf[n.UserID] || !slices.Contains(sent.ids, n.ID) {
			t.Errorf("notification %+v (queued %v), want %q about the lead and its task, queued", n, sent.ids, wantNotes[n.UserID])
		}
	}

	// A retried run of the first step (the same enrolment) makes no task
	// and tells nobody again.
	first := w.enrolment(j.ID, owned)
	err = txn.Retry(w.ctx, w.c, 1, func(error) bool { return false }, func(ctx context.Context, c *ent.Client) error {
		_, err := w.svc.Tasks.FromJourney(ctx, c, tasks.StepTasks{JourneyID: j.ID, StepIndex: 0, Title: "call",
			DueAt: t0, Assignee: journey.AssigneeOwner, Journey: "call plan",
			Enrollments: []uuid.UUID{first.ID}, Leads: []uuid.UUID{owned}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.c.Notification.Query().Where(notification.Kind(tasks.KindAssigned)).Count(w.ctx); err != nil || n != 3 || len(sent.ids) != 3 {
		t.Fatalf("after a retried run: %d notifications (%v), %d queued; want 3 and 3", n, err, len(sent.ids))
	}
	if n, _ := w.c.Task.Query().Where(task.JourneyID(j.ID)).Count(w.ctx); n != 3 {
		t.Fatalf("after a retried run: %d tasks, want 3", n)
	}

	// Several tasks for one assignee in one run of a step are one notice
	// with their number, about no lead (it opens the task centre).
	many := w.leads(3)
	for _, id := range many {
		if err := w.c.Lead.UpdateOneID(id).SetOwnerID(owner).Exec(w.ctx); err != nil {
			t.Fatal(err)
		}
	}
	j2 := w.create(journey.Input{Name: "batch", Trigger: manual(), Steps: []schematype.JourneyStep{
		{CreateTask: &schematype.CreateTaskStep{Title: "call", DueInHours: 1}},
	}})
	w.activate(j2.ID)
	w.enroll(j2.ID, many...)
	w.run()
	if n, _ := w.c.Task.Query().Where(task.JourneyID(j2.ID), task.AssigneeID(owner)).Count(w.ctx); n != 3 {
		t.Fatalf("%d tasks of the second journey, want 3", n)
	}
	batch, err := w.c.Notification.Query().Where(notification.Kind(tasks.KindAssigned), notification.UserID(owner),
		notification.MessageContains("batch")).All(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 1 || batch[0].Message != "旅程「batch」给你安排了 3 个待办「call」（截止 2026-03-02 09:00）。" ||
		batch[0].LeadID != nil || batch[0].TaskID != nil || !slices.Contains(sent.ids, batch[0].ID) || len(sent.ids) != 4 {
		t.Fatalf("notices of three tasks for one rep: %+v (queued %v), want one counting them, queued", batch, sent.ids)
	}
}

// sentNotes records the notifications whose delivery was queued.
type sentNotes struct {
	mu  sync.Mutex
	ids []uuid.UUID
}

func (s *sentNotes) DeliverNotifications(_ context.Context, _ uuid.UUID, ids []uuid.UUID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, ids...)
	return nil
}
