package graph_test

import (
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

const (
	saveView     = `mutation($in: SaveViewInput!) { saveView(input: $in) { id name state shared mine owner { name } } }`
	listViews    = `{ savedViews(list: LEADS) { id name state shared mine owner { name } } }`
	updateView   = `mutation($id: ID!, $in: UpdateSavedViewInput!) { updateSavedView(id: $id, input: $in) { id name state shared } }`
	deleteView   = `mutation($id: ID!) { deleteSavedView(id: $id) }`
	viewNodeName = `query($id: ID!) { node(id: $id) { ... on SavedView { name } } }`
)

type savedView struct {
	ID, Name     string
	State        map[string]any
	Shared, Mine bool
	Owner        struct{ Name string }
}

func views(t *testing.T, api *apitest.API, token string) []savedView {
	t.Helper()
	var out struct{ SavedViews []savedView }
	api.MustDo(token, listViews, nil, &out)
	return out.SavedViews
}

// Saved views are kept per user on the server: a user's own views are
// theirs alone until shared; a shared view is listed to everyone in the
// workspace and changed only by its owner; an admin may delete it; nothing
// crosses workspaces; bad input writes nothing.
func TestSavedViews(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation { createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, nil)
	rep := api.Login("acme", "rep@acme.test", "rep-password")
	_, other := api.Workspace("other")

	state := map[string]any{"filter": map[string]any{"status": []any{"NEW"}}, "columns": []any{"name", "phone"}, "pageSize": 50.0}
	var saved struct{ SaveView savedView }
	api.MustDo(admin, saveView, map[string]any{"in": map[string]any{"list": "LEADS", "name": " 新线索 ", "state": state}}, &saved)
	v := saved.SaveView
	if v.Name != "新线索" || v.Shared || !v.Mine || v.State["pageSize"] != 50.0 {
		t.Fatalf("saved = %+v", v)
	}
	// Saving the same name replaces the state, keeps the id.
	state["pageSize"] = 20.0
	api.MustDo(admin, saveView, map[string]any{"in": map[string]any{"list": "LEADS", "name": "新线索", "state": state}}, &saved)
	if saved.SaveView.ID != v.ID || saved.SaveView.State["pageSize"] != 20.0 {
		t.Fatalf("saved again = %+v, first %s", saved.SaveView, v.ID)
	}
	var node struct{ Node struct{ Name string } }
	api.MustDo(admin, viewNodeName, map[string]any{"id": v.ID}, &node)
	if node.Node.Name != "新线索" {
		t.Fatalf("node(id:) of one's own view = %+v", node)
	}
	// Private: the rep neither lists it nor reaches it by id.
	if got := views(t, api, rep); len(got) != 0 {
		t.Fatalf("the rep sees %+v", got)
	}
	if r := api.Do(rep, viewNodeName, map[string]any{"id": v.ID}); string(r.Data) != `{"node":null}` {
		t.Fatalf("node(id:) of another's private view: %s %+v", r.Data, r.Errors)
	}
	if r := api.Do(rep, updateView, map[string]any{"id": v.ID, "in": map[string]any{"name": "mine"}}); len(r.Errors) == 0 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("updating another's private view: %+v", r.Errors)
	}
	// Shared: listed to the rep after the rep's own views, not changeable by the rep.
	api.MustDo(admin, updateView, map[string]any{"id": v.ID, "in": map[string]any{"shared": true}}, nil)
	api.MustDo(rep, saveView, map[string]any{"in": map[string]any{"list": "LEADS", "name": "我的", "state": map[string]any{}}}, nil)
	got := views(t, api, rep)
	if len(got) != 2 || got[0].Name != "我的" || !got[0].Mine || got[1].ID != v.ID || got[1].Mine || !got[1].Shared || got[1].Owner.Name == "" {
		t.Fatalf("the rep's list = %+v", got)
	}
	for _, q := range []struct {
		op   string
		vars map[string]any
	}{
		{updateView, map[string]any{"id": v.ID, "in": map[string]any{"name": "改名"}}},
		{deleteView, map[string]any{"id": v.ID}},
	} {
		if r := api.Do(rep, q.op, q.vars); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
			t.Fatalf("the rep changing a shared view: %+v", r.Errors)
		}
	}
	// Bad input: a clear error on the field, nothing written.
	for _, in := range []map[string]any{
		{"list": "LEADS", "name": "  ", "state": map[string]any{}},
		{"list": "LEADS", "name": strings.Repeat("长", 61), "state": map[string]any{}},
		{"list": "LEADS", "name": "x", "state": []any{1}},
		{"list": "LEADS", "name": "x", "state": map[string]any{"big": strings.Repeat("a", 17<<10)}},
	} {
		r := api.Do(rep, saveView, map[string]any{"in": in})
		if len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Field(), "input.") {
			t.Errorf("saveView(%.80v) = %+v", in, r.Errors)
		}
	}
	if r := api.Do(admin, updateView, map[string]any{"id": v.ID, "in": map[string]any{"name": ""}}); len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("renaming to nothing: %+v", r.Errors)
	}
	api.MustDo(admin, saveView, map[string]any{"in": map[string]any{"list": "LEADS", "name": "另一个", "state": map[string]any{}}}, nil)
	if r := api.Do(admin, updateView, map[string]any{"id": v.ID, "in": map[string]any{"name": "另一个"}}); len(r.Errors) == 0 || r.Errors[0].Code() != "CONFLICT" {
		t.Errorf("renaming onto another view's name: %+v", r.Errors)
	}
	if n := len(views(t, api, rep)); n != 2 {
		t.Errorf("the rep has %d views after refused saves, want 2", n)
	}
	// Another workspace sees nothing and reaches nothing.
	if got := views(t, api, other); len(got) != 0 {
		t.Fatalf("another workspace sees %+v", got)
	}
	if r := api.Do(other, deleteView, map[string]any{"id": v.ID}); len(r.Errors) == 0 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Fatalf("another workspace deleting: %+v", r.Errors)
	}
	// An admin (user manage) deletes a rep's shared view; the owner deletes their own.
	var mine struct{ SaveView savedView }
	api.MustDo(rep, saveView, map[string]any{"in": map[string]any{"list": "LEADS", "name": "共享", "state": map[string]any{}, "shared": true}}, &mine)
	var del struct{ DeleteSavedView string }
	api.MustDo(admin, deleteView, map[string]any{"id": mine.SaveView.ID}, &del)
	if del.DeleteSavedView != mine.SaveView.ID {
		t.Errorf("deleteSavedView = %q", del.DeleteSavedView)
	}
	api.MustDo(admin, deleteView, map[string]any{"id": v.ID}, nil)
	if got := views(t, api, rep); len(got) != 1 || got[0].Name != "我的" {
		t.Errorf("after the deletes the rep sees %+v", got)
	}
}
