package tasks_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/tasks"
	"github.com/scrmhq/scrm/internal/testenv"
)

// team makes a team managed by a new user with task manage (TeamTasks) of
// the given reps, and returns the manager with its context.
func (f *fixture) team(t *testing.T, name string, members ...uuid.UUID) (uuid.UUID, context.Context) {
	t.Helper()
	m, err := f.c.User.Create().SetName(name).SetEmail(name + "-" + f.tid.String() + "@x.test").
		SetPasswordHash("x").SetRoles([]string{"manager"}).Save(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := f.c.Team.Create().SetName(name + " team").SetManagerID(m.ID).AddMemberIDs(members...).Save(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	v := &auth.Viewer{TenantID: f.tid, UserID: m.ID, Roles: []string{"manager"}, TeamID: &tm.ID,
		LeadScopes: []string{"team", "own", "pool"}, TeamTasks: true}
	return m.ID, auth.NewContext(f.sys, v)
}

func (f *fixture) admin(t *testing.T) (uuid.UUID, context.Context) {
	t.Helper()
	u, err := f.c.User.Create().SetName("boss").SetEmail("boss-" + f.tid.String() + "@x.test").
		SetPasswordHash("x").SetRoles([]string{"admin"}).Save(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	v := &auth.Viewer{TenantID: f.tid, UserID: u.ID, Roles: []string{"admin"}, LeadScopes: []string{"all"}, AllTasks: true}
	return u.ID, auth.NewContext(f.sys, v)
}

// wantFields fails unless err is a list of input errors at exactly fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	list, ok := err.(apperr.List)
	if !ok {
		if e, ok := apperr.As(err); ok {
			list = apperr.List{e}
		} else {
			t.Fatalf("err = %v, want errors at %v", err, fields)
		}
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Field+":"+string(e.Code))
	}
	slices.Sort(got)
	slices.Sort(fields)
	if !slices.Equal(got, fields) {
		t.Fatalf("errors %v, want %v", got, fields)
	}
}

func (f *fixture) count(t *testing.T) (tasksN, notes int) {
	t.Helper()
	a, err := f.c.Task.Query().Count(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.c.Notification.Query().Count(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func ptr[T any](v T) *T { return &v }

// TestCreateTaskByHand: a rep makes tasks for itself only; a manager for
// the members of its team, who are notified; bad input is refused at its
// field, every error at once, and writes nothing.
func TestCreateTaskByHand(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	a, actx := f.rep(t, "a")
	b, bctx := f.rep(t, "b")
	outsider, _ := f.rep(t, "outsider")
	gone, _ := f.rep(t, "gone")
	m, mctx := f.team(t, "m", a, b, gone)
	if err := f.c.User.UpdateOneID(gone).SetActive(false).Exec(f.sys); err != nil {
		t.Fatal(err)
	}
	la, lb := f.lead(t, a, "甲"), f.lead(t, b, "乙")
	due := t0.Add(48 * time.Hour)

	mine, err := f.svc.Tasks.Create(actx, tasks.Draft{Title: ptr(" 回访 "), Description: ptr("问预算"), DueAt: &due, LeadID: &la})
	if err != nil {
		t.Fatal(err)
	}
	if mine.AssigneeID != a || mine.Title != "回访" || mine.Kind != task.KindTASK || mine.Status != task.StatusOPEN ||
		mine.LeadID == nil || *mine.LeadID != la || mine.JourneyID != nil || !mine.DueAt.Equal(due) ||
		mine.CreatedByID == nil || *mine.CreatedByID != a {
		t.Fatalf("a's own task %+v", mine)
	}
	if _, notes := f.count(t); notes != 0 {
		t.Fatalf("a task for oneself notified %d", notes)
	}

	// Refusals: nothing is written.
	before, _ := f.count(t)
	past := t0.Add(-time.Hour)
	far := t0.Add(3 * 366 * 24 * time.Hour)
	for name, c := range map[string]struct {
		ctx    context.Context
		in     tasks.Draft
		fields []string
	}{
		"rep for someone else": {actx, tasks.Draft{Title: ptr("x"), DueAt: &due, AssigneeID: &b}, []string{"input.assigneeID:FORBIDDEN"}},
		"everything wrong": {actx, tasks.Draft{Title: ptr("  "), Description: ptr(strings.Repeat("字", tasks.MaxDescriptionLen+1)), DueAt: &past, LeadID: &lb},
			[]string{"input.title:BAD_USER_INPUT", "input.description:BAD_USER_INPUT", "input.dueAt:BAD_USER_INPUT", "input.leadID:FORBIDDEN"}},
		"no due time":             {actx, tasks.Draft{Title: ptr("x")}, []string{"input.dueAt:BAD_USER_INPUT"}},
		"too far":                 {actx, tasks.Draft{Title: ptr("x"), DueAt: &far}, []string{"input.dueAt:BAD_USER_INPUT"}},
		"manager for an outsider": {mctx, tasks.Draft{Title: ptr("x"), DueAt: &due, AssigneeID: &outsider}, []string{"input.assigneeID:FORBIDDEN"}},
		"manager for a deactivated member": {mctx, tasks.Draft{Title: ptr("x"), DueAt: &due, AssigneeID: &gone},
			[]string{"input.assigneeID:BAD_USER_INPUT"}},
		"no such user": {mctx, tasks.Draft{Title: ptr("x"), DueAt: &due, AssigneeID: ptr(uuid.New())}, []string{"input.assigneeID:NOT_FOUND"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.Tasks.Create(c.ctx, c.in)
			wantFields(t, err, c.fields...)
		})
	}
	_, err = f.svc.Tasks.Create(auth.NewContext(f.sys, &auth.Viewer{TenantID: f.tid, APIKeyID: uuid.New()}),
		tasks.Draft{Title: ptr("x"), DueAt: &due})
	wantCode(t, err, apperr.Forbidden)
	if n, notes := f.count(t); n != before || notes != 0 {
		t.Fatalf("refusals wrote %d tasks, %d notifications", n-before, notes)
	}

	// A manager gives b a task about b's lead: b is told, once, and sees it.
	given, err := f.svc.Tasks.Create(mctx, tasks.Draft{Title: ptr("打给乙"), DueAt: &due, AssigneeID: &b, LeadID: &lb})
	if err != nil {
		t.Fatal(err)
	}
	if given.AssigneeID != b || given.CreatedByID == nil || *given.CreatedByID != m {
		t.Fatalf("the manager's task for b: assignee %v, created by %v (want %v)", given.AssigneeID, given.CreatedByID, m)
	}
	notes, err := f.c.Notification.Query().Where(notification.Kind(tasks.KindAssigned)).All(f.sys)
	if err != nil || len(notes) != 1 || notes[0].UserID != b || notes[0].LeadID == nil || *notes[0].LeadID != lb ||
		notes[0].TaskID == nil || *notes[0].TaskID != given.ID ||
		!strings.Contains(notes[0].Message, "m 给你安排了待办「打给乙」（截止 2026-03-04 08:00）") ||
		len(f.sent.ids) != 1 || f.sent.ids[0] != notes[0].ID {
		t.Fatalf("assigned notifications %+v (queued %v), %v", notes, f.sent.ids, err)
	}
	if got := f.mine(t, bctx, ""); len(got) != 1 || got[0].ID != given.ID {
		t.Fatalf("b's list %+v", got)
	}
	// The manager's own task, without a lead.
	if own, err := f.svc.Tasks.Create(mctx, tasks.Draft{Title: ptr("周会"), DueAt: &due}); err != nil || own.AssigneeID != m {
		t.Fatalf("manager's own task %+v, %v", own, err)
	}
}

func (f *fixture) team_(t *testing.T, ctx context.Context, opt tasks.TeamOptions) []*ent.Task {
	t.Helper()
	q, err := f.svc.Tasks.Team(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	out, err := q.Order(ent.Asc(task.FieldDueAt)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func titles(ts []*ent.Task) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Title)
	}
	return strings.Join(out, ",")
}

// TestTeamTasks: a manager lists its own and its team's tasks, filtered,
// and none of other teams'; it sees (and completes) them by id; a rep is
// refused the list; admin sees every task.
func TestTeamTasks(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	a, actx := f.rep(t, "a")
	b, _ := f.rep(t, "b")
	c, _ := f.rep(t, "c")
	_, mctx := f.team(t, "m", a, b)
	_, m2ctx := f.team(t, "m2", c)
	_, admin := f.admin(t)
	la := f.lead(t, a, "甲")
	mk := func(title string, who uuid.UUID, kind task.Kind, due time.Time, lead *uuid.UUID) *ent.Task {
		tk, err := f.c.Task.Create().SetTitle(title).SetKind(kind).SetAssigneeID(who).SetDueAt(due).SetNillableLeadID(lead).Save(f.sys)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	mk("a1", a, task.KindTASK, t0.Add(time.Hour), &la)
	mk("a2", a, task.KindFOLLOW_UP, t0.Add(50*time.Hour), &la)
	b1 := mk("b1", b, task.KindTASK, t0.Add(2*time.Hour), nil)
	c1 := mk("c1", c, task.KindTASK, t0.Add(3*time.Hour), nil)
	if err := f.c.Task.UpdateOneID(b1.ID).SetStatus(task.StatusDONE).Exec(f.sys); err != nil {
		t.Fatal(err)
	}
	day := t0.Add(24 * time.Hour)
	for name, c := range map[string]struct {
		ctx  context.Context
		opt  tasks.TeamOptions
		want string
	}{
		"open":           {mctx, tasks.TeamOptions{}, "a1,a2"},
		"any status":     {mctx, tasks.TeamOptions{AnyStatus: true}, "a1,b1,a2"},
		"done":           {mctx, tasks.TeamOptions{ListOptions: tasks.ListOptions{Status: task.StatusDONE}}, "b1"},
		"by assignee":    {mctx, tasks.TeamOptions{AnyStatus: true, AssigneeID: &b}, "b1"},
		"outsider":       {mctx, tasks.TeamOptions{AnyStatus: true, AssigneeID: &c}, ""},
		"by kind":        {mctx, tasks.TeamOptions{ListOptions: tasks.ListOptions{Kind: task.KindFOLLOW_UP}}, "a2"},
		"by lead":        {mctx, tasks.TeamOptions{AnyStatus: true, ListOptions: tasks.ListOptions{LeadID: &la}}, "a1,a2"},
		"due range":      {mctx, tasks.TeamOptions{AnyStatus: true, DueAfter: ptr(t0.Add(90 * time.Minute)), ListOptions: tasks.ListOptions{DueBefore: &day}}, "b1"},
		"other team":     {m2ctx, tasks.TeamOptions{AnyStatus: true}, "c1"},
		"admin sees all": {admin, tasks.TeamOptions{AnyStatus: true}, "a1,b1,c1,a2"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := titles(f.team_(t, c.ctx, c.opt)); got != c.want {
				t.Fatalf("tasks %q, want %q", got, c.want)
			}
		})
	}
	_, err := f.svc.Tasks.Team(actx, tasks.TeamOptions{})
	wantCode(t, err, apperr.Forbidden)
	_, err = f.svc.Tasks.Team(mctx, tasks.TeamOptions{DueAfter: &day, ListOptions: tasks.ListOptions{DueBefore: &t0}})
	wantFields(t, err, "where.dueBefore:BAD_USER_INPUT")
	_, err = f.svc.Tasks.Team(mctx, tasks.TeamOptions{ListOptions: tasks.ListOptions{Kind: "NOPE"}})
	wantFields(t, err, "where.kind:BAD_USER_INPUT")

	// By id: the manager sees a team member's task, not another team's.
	if _, err := f.c.Task.Get(mctx, c1.ID); !ent.IsNotFound(err) {
		t.Fatalf("m reads another team's task: %v", err)
	}
	if _, err := f.svc.Tasks.Complete(mctx, tasks.CompleteInput{ID: c1.ID}); err == nil {
		t.Fatal("m completed another team's task")
	}

	// myTasks' kind and lead filters.
	f.clock.Set(t0.Add(51 * time.Hour))
	q, err := f.svc.Tasks.Mine(actx, tasks.ListOptions{Kind: task.KindFOLLOW_UP, LeadID: &la})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := q.All(actx); err != nil || titles(got) != "a2" {
		t.Fatalf("a's follow-ups on la: %q, %v", titles(got), err)
	}
}

// TestUpdateAndCancelTask: an open task's title, due time and assignee
// change (a new due time may notify again; a new assignee is told); a rep
// cannot touch another's task, and a cancelled task is final.
func TestUpdateAndCancelTask(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	a, actx := f.rep(t, "a")
	b, bctx := f.rep(t, "b")
	outsider, _ := f.rep(t, "outsider")
	_, mctx := f.team(t, "m", a, b)
	due := t0.Add(time.Hour)
	tk, err := f.svc.Tasks.Create(actx, tasks.Draft{Title: ptr("call"), DueAt: &due})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(2 * time.Hour))
	if n, err := f.svc.Tasks.NotifyOverdue(f.sys); err != nil || n != 1 {
		t.Fatalf("overdue pass: %d, %v", n, err)
	}
	later := f.clock.Now().Add(time.Hour)
	up, err := f.svc.Tasks.Update(actx, tk.ID, tasks.Draft{Title: ptr("call again"), DueAt: &later})
	if err != nil || up.Title != "call again" || !up.DueAt.Equal(later) || up.OverdueNotifiedAt != nil || up.Description != "" {
		t.Fatalf("updated %+v, %v", up, err)
	}

	_, err = f.svc.Tasks.Update(bctx, tk.ID, tasks.Draft{Title: ptr("mine now")})
	wantCode(t, err, apperr.NotFound)
	_, err = f.svc.Tasks.Update(actx, tk.ID, tasks.Draft{AssigneeID: &b})
	wantFields(t, err, "input.assigneeID:FORBIDDEN")
	_, err = f.svc.Tasks.Update(mctx, tk.ID, tasks.Draft{AssigneeID: &outsider})
	wantFields(t, err, "input.assigneeID:FORBIDDEN")
	_, err = f.svc.Tasks.Update(actx, tk.ID, tasks.Draft{})
	wantFields(t, err, "input:BAD_USER_INPUT")
	_, err = f.svc.Tasks.Update(actx, tk.ID, tasks.Draft{Title: ptr(""), DueAt: ptr(t0)})
	wantFields(t, err, "input.title:BAD_USER_INPUT", "input.dueAt:BAD_USER_INPUT")
	if got, _ := f.c.Task.Get(f.sys, tk.ID); got.Title != "call again" || got.AssigneeID != a {
		t.Fatalf("refused updates changed the task: %+v", got)
	}

	// The manager hands it to b, who is told.
	moved, err := f.svc.Tasks.Update(mctx, tk.ID, tasks.Draft{AssigneeID: &b})
	if err != nil || moved.AssigneeID != b {
		t.Fatalf("moved %+v, %v", moved, err)
	}
	if n, err := f.c.Notification.Query().Where(notification.Kind(tasks.KindAssigned), notification.UserID(b)).Count(f.sys); err != nil || n != 1 {
		t.Fatalf("b told %d times, %v", n, err)
	}
	if _, err := f.svc.Tasks.Cancel(actx, tk.ID, "", &a); !isCode(err, apperr.NotFound) {
		t.Fatalf("a cancels b's task: %v", err)
	}
	done, err := f.svc.Tasks.Cancel(bctx, tk.ID, " 客户已签 ", &b)
	if err != nil || done.Status != task.StatusCANCELLED || done.Note == nil || *done.Note != "客户已签" || done.CompletedByID == nil {
		t.Fatalf("cancelled %+v, %v", done, err)
	}
	_, err = f.svc.Tasks.Cancel(bctx, tk.ID, "", &b)
	wantCode(t, err, apperr.Conflict)
	_, err = f.svc.Tasks.Update(bctx, tk.ID, tasks.Draft{Title: ptr("x")})
	wantCode(t, err, apperr.Conflict)
	_, err = f.svc.Tasks.Complete(bctx, tasks.CompleteInput{ID: tk.ID})
	wantCode(t, err, apperr.Conflict)
}

func isCode(err error, code apperr.Code) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == code
}

// TestCancelledTasksAreTold: a task someone else cancels (its assignee's
// manager, or an API key) tells the assignee (task.cancelled, with the
// reason, queued in the same transaction); one the assignee cancels itself
// tells nobody. Cancelled tasks stay in the assignee's own list of that
// status.
func TestCancelledTasksAreTold(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	a, actx := f.rep(t, "a")
	m, mctx := f.team(t, "m", a)
	lead := f.lead(t, a, "甲")
	due := t0.Add(time.Hour)
	mk := func(title string) *ent.Task {
		t.Helper()
		tk, err := f.svc.Tasks.Create(actx, tasks.Draft{Title: ptr(title), DueAt: &due, LeadID: &lead})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	own, byManager, byKey := mk("own"), mk("by manager"), mk("by key")
	if _, notes := f.count(t); notes != 0 {
		t.Fatalf("a's own tasks wrote %d notifications", notes)
	}

	if _, err := f.svc.Tasks.Cancel(actx, own.ID, "不用了", &a); err != nil {
		t.Fatal(err)
	}
	if _, notes := f.count(t); notes != 0 || len(f.sent.ids) != 0 {
		t.Fatalf("cancelling one's own task wrote %d notifications, queued %v", notes, f.sent.ids)
	}
	if _, err := f.svc.Tasks.Cancel(mctx, byManager.ID, " 客户已签 ", &m); err != nil {
		t.Fatal(err)
	}
	key := auth.NewContext(f.sys, &auth.Viewer{TenantID: f.tid, APIKeyID: uuid.New(), Roles: []string{"admin"},
		LeadScopes: []string{"all"}, AllTasks: true})
	if _, err := f.svc.Tasks.Cancel(key, byKey.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	notes, err := f.c.Notification.Query().Where(notification.Kind(tasks.KindCancelled)).
		Order(ent.Asc(notification.FieldMessage)).All(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range notes {
		if n.UserID != a || n.LeadID == nil || *n.LeadID != lead {
			t.Fatalf("notification %+v is not a's about the lead", n)
		}
		got = append(got, n.Message)
	}
	want := []string{"m 取消了你的待办「by manager」：客户已签", "有人 取消了你的待办「by key」。"}
	if !slices.Equal(got, want) || len(f.sent.ids) != 2 {
		t.Fatalf("cancelled notifications %q (queued %v), want %q", got, f.sent.ids, want)
	}
	if list := f.mine(t, actx, task.StatusCANCELLED); len(list) != 3 {
		t.Fatalf("a's cancelled tasks: %d, want 3", len(list))
	}

	// A task m gave a: a's cancel tells m (who gave it), not a; m's own
	// cancel of one it gave tells a only.
	given := func(title string) *ent.Task {
		t.Helper()
		tk, err := f.svc.Tasks.Create(mctx, tasks.Draft{Title: ptr(title), DueAt: &due, AssigneeID: &a, LeadID: &lead})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	fromM, fromM2 := given("from m"), given("from m too")
	queued := len(f.sent.ids)
	if _, err := f.svc.Tasks.Cancel(actx, fromM.ID, "客户不需要", &a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Tasks.Cancel(mctx, fromM2.ID, "", &m); err != nil {
		t.Fatal(err)
	}
	told, err := f.c.Notification.Query().Where(notification.KindIn(tasks.KindCancelled, tasks.KindGivenCancelled)).All(f.sys)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, n := range told {
		if strings.Contains(n.Message, "from m") {
			if n.LeadID == nil || *n.LeadID != lead {
				t.Errorf("notification %+v does not name the task's lead", n)
			}
			got = append(got, n.UserID.String()+" "+n.Kind+" "+n.Message)
		}
	}
	slices.Sort(got)
	// The giver's notice is task.given_cancelled (the web app opens its 团队
	// view with it), the assignee's task.cancelled (its own 已取消 tab).
	want = []string{a.String() + " task.cancelled m 取消了你的待办「from m too」。",
		m.String() + " task.given_cancelled a 取消了你给 a 的待办「from m」：客户不需要"}
	slices.Sort(want)
	if !slices.Equal(got, want) || len(f.sent.ids) != queued+2 {
		t.Fatalf("cancelled notifications of given tasks %q (queued %d), want %q", got, len(f.sent.ids)-queued, want)
	}
	if list := f.mine(t, actx, ""); len(list) != 0 {
		t.Fatalf("a's open tasks: %d, want 0", len(list))
	}
}
