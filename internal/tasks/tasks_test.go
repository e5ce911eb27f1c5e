package tasks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tasks"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

type fixture struct {
	c     *ent.Client
	sys   context.Context
	clock *platform.FakeClock
	svc   *app.Services
	tid   uuid.UUID
	sent  *sentNotes
}

// sentNotes records what the service queued for delivery.
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

func newFixture(t *testing.T, db *testenv.Database) *fixture {
	t.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	slug := "w" + hex.EncodeToString(b)
	created, err := workspace.Create(context.Background(), db.Client, workspace.Spec{
		Slug: slug, Name: slug, AdminName: "admin", AdminEmail: "admin@" + slug + ".test", AdminPassword: "password-123",
	})
	if err != nil {
		t.Fatal(err)
	}
	clock := platform.NewFakeClock(t0)
	svc, err := app.New(context.Background(), app.Config{Client: db.Client, DB: db.DB, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{c: db.Client, clock: clock, svc: svc, tid: created.Workspace.ID, sent: &sentNotes{},
		sys: tenant.NewContext(context.Background(), created.Workspace.ID)}
	svc.Tasks.Notify = f.sent
	return f
}

// rep creates a rep and returns it with its request context.
func (f *fixture) rep(t *testing.T, name string) (uuid.UUID, context.Context) {
	t.Helper()
	u, err := f.c.User.Create().SetName(name).SetEmail(name + "-" + f.tid.String() + "@x.test").
		SetPasswordHash("x").SetRoles([]string{"rep"}).Save(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	v := &auth.Viewer{TenantID: f.tid, UserID: u.ID, Roles: []string{"rep"}, LeadScopes: []string{"own", "pool"}}
	return u.ID, auth.NewContext(f.sys, v)
}

func (f *fixture) lead(t *testing.T, owner uuid.UUID, name string) uuid.UUID {
	t.Helper()
	seq, err := workspace.NextLeadSeq(f.sys, f.c, f.tid, 1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := f.c.Lead.Create().SetSeq(seq).SetName(name).SetOwnerID(owner).SetCreatedAt(t0).SetUpdatedAt(t0).Save(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

func (f *fixture) mine(t *testing.T, ctx context.Context, st task.Status) []*ent.Task {
	t.Helper()
	q, err := f.svc.Tasks.Mine(ctx, tasks.ListOptions{Status: st})
	if err != nil {
		t.Fatal(err)
	}
	out, err := q.Order(ent.Asc(task.FieldDueAt)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if e, ok := apperr.As(err); !ok || e.Code != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// TestFollowUpPromisesAreTasks: a follow-up's next time is a FOLLOW_UP task
// of the lead's owner that shows once due, notifies once when overdue, and
// that the owner completes with a note, which is a follow-up on the lead.
func TestFollowUpPromisesAreTasks(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	a, actx := f.rep(t, "a")
	_, bctx := f.rep(t, "b")
	id := f.lead(t, a, "王五")
	next := t0.Add(24 * time.Hour)
	if _, err := f.svc.Leads.CreateFollowUp(actx, f.clock.Now(), leads.FollowUpInput{LeadID: id, Kind: followup.KindCALL,
		Content: "wants a quote", NextFollowUpAt: &next, Author: &a}); err != nil {
		t.Fatal(err)
	}
	if got := f.mine(t, actx, ""); len(got) != 0 {
		t.Fatalf("a promise for tomorrow is on today's list: %+v", got)
	}
	f.clock.Set(next.Add(time.Hour))
	got := f.mine(t, actx, "")
	if len(got) != 1 || got[0].Kind != task.KindFOLLOW_UP || got[0].Title != "跟进「王五」" || !got[0].DueAt.Equal(next) ||
		got[0].Description != "wants a quote" || !f.svc.Tasks.Overdue(got[0]) ||
		got[0].CreatedByID == nil || *got[0].CreatedByID != a {
		t.Fatalf("a's tasks once due: %+v", got)
	}
	tk := got[0]
	if other := f.mine(t, bctx, ""); len(other) != 0 {
		t.Fatalf("b sees a's task: %+v", other)
	}
	_, err := f.svc.Tasks.Complete(bctx, tasks.CompleteInput{ID: tk.ID, Note: "x"})
	wantCode(t, err, apperr.NotFound)

	// Overdue: one notification, however many passes.
	for i := range 2 {
		n, err := f.svc.Tasks.NotifyOverdue(f.sys)
		if err != nil || n != 1-i {
			t.Fatalf("pass %d notified %d (%v), want %d", i, n, err, 1-i)
		}
	}
	notes, err := f.c.Notification.Query().Where(notification.Kind(tasks.KindOverdue)).All(f.sys)
	if err != nil || len(notes) != 1 || notes[0].UserID != a || notes[0].LeadID == nil || *notes[0].LeadID != id ||
		notes[0].TaskID == nil || *notes[0].TaskID != tk.ID || len(f.sent.ids) != 1 || f.sent.ids[0] != notes[0].ID {
		t.Fatalf("overdue notifications %+v (queued %v), %v", notes, f.sent.ids, err)
	}

	// Completing with a note records it as a follow-up (the recycle clock
	// restarts) and is final.
	done, err := f.svc.Tasks.Complete(actx, tasks.CompleteInput{ID: tk.ID, Note: " 回电了，下周签 ", Actor: &a})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != task.StatusDONE || done.CompletedAt == nil || !done.CompletedAt.Equal(f.clock.Now()) ||
		done.Note == nil || *done.Note != "回电了，下周签" {
		t.Fatalf("completed task %+v", done)
	}
	fus, err := f.c.FollowUp.Query().Where(followup.LeadID(id)).Order(ent.Asc(followup.FieldCreatedAt)).All(f.sys)
	if err != nil || len(fus) != 2 || fus[1].Content != "回电了，下周签" || fus[1].Kind != followup.KindNOTE {
		t.Fatalf("follow-ups %+v, %v", fus, err)
	}
	l, err := f.c.Lead.Get(f.sys, id)
	if err != nil || l.LastFollowUpAt == nil || !l.LastFollowUpAt.Equal(f.clock.Now()) {
		t.Fatalf("lastFollowUpAt %v, %v", l.LastFollowUpAt, err)
	}
	_, err = f.svc.Tasks.Complete(actx, tasks.CompleteInput{ID: tk.ID})
	wantCode(t, err, apperr.Conflict)
	if got := f.mine(t, actx, task.StatusDONE); len(got) != 1 || got[0].ID != tk.ID {
		t.Fatalf("done list %+v", got)
	}

	// A newer follow-up keeps an open promise: it leaves the list as DONE.
	later := f.clock.Now().Add(48 * time.Hour)
	if _, err := f.svc.Leads.CreateFollowUp(actx, f.clock.Now(), leads.FollowUpInput{LeadID: id, Kind: followup.KindCALL,
		NextFollowUpAt: &later, Author: &a}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(later.Add(time.Minute))
	if got := f.mine(t, actx, ""); len(got) != 1 {
		t.Fatalf("open after the second promise: %+v", got)
	}
	if _, err := f.svc.Leads.CreateFollowUp(actx, f.clock.Now(), leads.FollowUpInput{LeadID: id, Kind: followup.KindVISIT,
		Content: "visited", Author: &a}); err != nil {
		t.Fatal(err)
	}
	if got := f.mine(t, actx, ""); len(got) != 0 {
		t.Fatalf("a kept promise is still open: %+v", got)
	}
	if got := f.mine(t, actx, task.StatusDONE); len(got) != 2 {
		t.Fatalf("done list after the kept promise: %d tasks, want 2", len(got))
	}
}

// TestCompleteRefusesBadInputAndWritesNothing: a note over the limit is a
// BAD_INPUT and the task stays OPEN.
func TestCompleteRefusesBadInputAndWritesNothing(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	a, actx := f.rep(t, "a")
	id := f.lead(t, a, "x")
	tk, err := f.c.Task.Create().SetTitle("call").SetDueAt(t0).SetAssigneeID(a).SetLeadID(id).Save(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	long := make([]rune, tasks.MaxNoteLen+1)
	for i := range long {
		long[i] = '字'
	}
	_, err = f.svc.Tasks.Complete(actx, tasks.CompleteInput{ID: tk.ID, Note: string(long)})
	wantCode(t, err, apperr.BadInput)
	_, err = f.svc.Tasks.Complete(actx, tasks.CompleteInput{ID: uuid.New()})
	wantCode(t, err, apperr.NotFound)
	got, err := f.c.Task.Get(f.sys, tk.ID)
	if err != nil || got.Status != task.StatusOPEN {
		t.Fatalf("task after refusals: %+v, %v", got, err)
	}
	if n, _ := f.c.FollowUp.Query().Count(f.sys); n != 0 {
		t.Fatalf("refusals wrote %d follow-ups", n)
	}
	// A task whose lead left the rep's scope is still completed, with its
	// note, without a follow-up the rep may not write.
	b, _ := f.rep(t, "b")
	if err := f.c.Lead.UpdateOneID(id).SetOwnerID(b).Exec(f.sys); err != nil {
		t.Fatal(err)
	}
	done, err := f.svc.Tasks.Complete(actx, tasks.CompleteInput{ID: tk.ID, Note: "handed over", Actor: &a})
	if err != nil || done.Status != task.StatusDONE {
		t.Fatalf("complete after the lead moved: %+v, %v", done, err)
	}
	if n, _ := f.c.FollowUp.Query().Count(f.sys); n != 0 {
		t.Fatalf("a follow-up was written on a lead out of scope (%d)", n)
	}
}
