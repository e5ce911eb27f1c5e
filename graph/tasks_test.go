package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestTasksByHandAndTeamView runs createTask, updateTask, cancelTask and
// tasks through the API with the built-in policy: a manager (task manage)
// gives its team's reps tasks and lists them, not another team's; a rep
// gives tasks only to itself and is refused the team list; bad input is
// refused at input.<field> and writes nothing.
func TestTasksByHandAndTeamView(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	user := func(name, role string) string {
		var u struct{ CreateUser struct{ ID string } }
		api.MustDo(admin, `mutation($n:String!, $e:String!, $r:String!){ createUser(input:{name:$n, email:$e, password:"pass-word-1", roles:[$r]}){ id } }`,
			map[string]any{"n": name, "e": name + "@acme.test", "r": role}, &u)
		return u.CreateUser.ID
	}
	mgr, rep1, rep2, outsider := user("mgr", "manager"), user("rep1", "rep"), user("rep2", "rep"), user("outsider", "rep")
	api.MustDo(admin, `mutation($m:ID!, $ms:[ID!]){ createTeam(input:{name:"一组", managerID:$m, memberIDs:$ms}){ id } }`,
		map[string]any{"m": mgr, "ms": []string{rep1, rep2}}, nil)
	login := func(name string) string { return api.Login("acme", name+"@acme.test", "pass-word-1") }
	mgrT, rep1T, rep2T := login("mgr"), login("rep1"), login("rep2")
	due := api.Clock.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	const create = `mutation($in: CreateTaskInput!){ createTask(input:$in){ id title kind status dueAt assignee { id } lead { id } createdBy { id name } } }`
	count := func() int {
		var n int
		if err := api.DB.DB.QueryRow(`SELECT count(*) FROM tasks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Refusals write nothing.
	for _, tc := range []struct {
		name, token string
		in          map[string]any
		code, field string
	}{
		{"rep for a teammate", rep1T, map[string]any{"title": "x", "dueAt": due, "assigneeID": rep2}, "FORBIDDEN", "input.assigneeID"},
		{"manager for an outsider", mgrT, map[string]any{"title": "x", "dueAt": due, "assigneeID": outsider}, "FORBIDDEN", "input.assigneeID"},
		{"blank title", mgrT, map[string]any{"title": " ", "dueAt": due}, "BAD_USER_INPUT", "input.title"},
		{"past due", mgrT, map[string]any{"title": "x", "dueAt": "2001-01-01T00:00:00Z"}, "BAD_USER_INPUT", "input.dueAt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := api.Do(tc.token, create, map[string]any{"in": tc.in})
			if len(r.Errors) != 1 || r.Errors[0].Code() != tc.code || r.Errors[0].Field() != tc.field {
				t.Fatalf("errors %+v, want %s at %s", r.Errors, tc.code, tc.field)
			}
		})
	}
	if n := count(); n != 0 {
		t.Fatalf("refusals wrote %d tasks", n)
	}

	type taskView struct {
		ID, Title, Kind, Status string
		Assignee                struct{ ID string }
		CreatedBy               *struct{ ID, Name string }
		CompletedBy             *struct{ ID, Name string }
	}
	var c1, c2 struct{ CreateTask taskView }
	api.MustDo(mgrT, create, map[string]any{"in": map[string]any{"title": "回访王总", "dueAt": due, "assigneeID": rep1}}, &c1)
	api.MustDo(rep2T, create, map[string]any{"in": map[string]any{"title": "自己的", "dueAt": due}}, &c2)
	if c1.CreateTask.Assignee.ID != rep1 || c1.CreateTask.Kind != "TASK" || c2.CreateTask.Assignee.ID != rep2 ||
		c1.CreateTask.CreatedBy == nil || c1.CreateTask.CreatedBy.ID != mgr || c1.CreateTask.CreatedBy.Name != "mgr" ||
		c2.CreateTask.CreatedBy == nil || c2.CreateTask.CreatedBy.ID != rep2 {
		t.Fatalf("created %+v %+v", c1, c2)
	}
	var notes struct {
		Notifications []struct {
			Kind, Message string
			Task          *struct{ ID, Title string }
		}
	}
	api.MustDo(rep1T, `{ notifications { kind message task { id title } } }`, nil, &notes)
	if len(notes.Notifications) != 1 || notes.Notifications[0].Kind != "task.assigned" ||
		notes.Notifications[0].Task == nil || notes.Notifications[0].Task.ID != c1.CreateTask.ID || notes.Notifications[0].Task.Title != "回访王总" {
		t.Fatalf("rep1's notifications %+v, want the task's", notes.Notifications)
	}

	const list = `query($w: TaskFilter){ tasks(where:$w){ totalCount edges { node { title assignee { id } } } } }`
	var team struct {
		Tasks struct {
			TotalCount int
			Edges      []struct{ Node taskView }
		}
	}
	api.MustDo(mgrT, list, map[string]any{"w": map[string]any{"assigneeID": rep1}}, &team)
	if team.Tasks.TotalCount != 1 || team.Tasks.Edges[0].Node.Title != "回访王总" {
		t.Fatalf("manager's view of rep1: %+v", team)
	}
	api.MustDo(mgrT, list, nil, &team)
	if team.Tasks.TotalCount != 2 {
		t.Fatalf("manager's team view: %+v", team)
	}
	if r := api.Do(rep1T, list, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("a rep's team view: %+v", r.Errors)
	}

	// The manager moves rep1's task to rep2; rep1 no longer sees it; rep2 cancels it.
	var up struct{ UpdateTask taskView }
	api.MustDo(mgrT, `mutation($id:ID!, $u:ID!){ updateTask(id:$id, input:{assigneeID:$u, title:"回访王总（改）"}){ id title assignee { id } } }`,
		map[string]any{"id": c1.CreateTask.ID, "u": rep2}, &up)
	if up.UpdateTask.Assignee.ID != rep2 || up.UpdateTask.Title != "回访王总（改）" {
		t.Fatalf("updated %+v", up)
	}
	// The new assignee reads who made it: reassigning does not change that.
	var seen struct{ Node *taskView }
	api.MustDo(rep2T, `query($id:ID!){ node(id:$id){ ... on Task { id createdBy { id name } } } }`, map[string]any{"id": c1.CreateTask.ID}, &seen)
	if seen.Node == nil || seen.Node.CreatedBy == nil || seen.Node.CreatedBy.ID != mgr {
		t.Fatalf("updated %+v", up)
	}
	if r := api.Do(rep1T, `mutation($id:ID!){ cancelTask(id:$id){ id } }`, map[string]any{"id": c1.CreateTask.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("rep1 cancels a task it no longer has: %+v", r.Errors)
	}
	var cancelled struct{ CancelTask taskView }
	api.MustDo(rep2T, `mutation($id:ID!){ cancelTask(id:$id, note:"不需要了"){ id status completedBy { id name } } }`, map[string]any{"id": c1.CreateTask.ID}, &cancelled)
	if cancelled.CancelTask.Status != "CANCELLED" || cancelled.CancelTask.CompletedBy == nil || cancelled.CancelTask.CompletedBy.ID != rep2 {
		t.Fatalf("cancelled %+v", cancelled)
	}
	// The manager who gave it is told who cancelled it, and reads it in its
	// team view with who made and who cancelled it.
	var told struct {
		Notifications []struct{ Kind, Message string }
	}
	api.MustDo(mgrT, `{ notifications(first: 10) { kind message } }`, nil, &told)
	found := false
	for _, n := range told.Notifications {
		found = found || (n.Kind == "task.given_cancelled" && strings.HasPrefix(n.Message, "rep2 取消了你给 rep2 的待办「回访王总（改）」：不需要了"))
	}
	if !found {
		t.Fatalf("the manager's notifications %+v lack the cancel", told)
	}
	var teamView struct {
		Tasks struct{ Edges []struct{ Node taskView } }
	}
	api.MustDo(mgrT, `{ tasks(where:{status: CANCELLED}) { edges { node { id createdBy { id name } completedBy { id name } } } } }`, nil, &teamView)
	if len(teamView.Tasks.Edges) != 1 || teamView.Tasks.Edges[0].Node.CompletedBy == nil || teamView.Tasks.Edges[0].Node.CompletedBy.Name != "rep2" ||
		teamView.Tasks.Edges[0].Node.CreatedBy == nil || teamView.Tasks.Edges[0].Node.CreatedBy.Name != "mgr" {
		t.Fatalf("the manager's cancelled team tasks %+v", teamView)
	}
	if r := api.Do(rep2T, `mutation($id:ID!){ updateTask(id:$id, input:{title:"x"}){ id } }`, map[string]any{"id": c1.CreateTask.ID}); len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT" {
		t.Fatalf("update of a cancelled task: %+v", r.Errors)
	}
	var mine struct{ MyTasks struct{ TotalCount int } }
	api.MustDo(rep2T, `{ myTasks(kind: TASK) { totalCount } }`, nil, &mine)
	if mine.MyTasks.TotalCount != 1 {
		t.Fatalf("rep2's open tasks: %d, want 1", mine.MyTasks.TotalCount)
	}
}
