package graph_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestOwnRolePermissions: any signed-in user reads the permissions of the
// roles they hold (apps decide what to show from them); other roles and the
// whole matrix still need policy read.
func TestOwnRolePermissions(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation { createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, nil)
	rep := api.Login("acme", "rep@acme.test", "rep-password")

	var own struct {
		Permissions []struct{ Role, Resource, Action string }
	}
	api.MustDo(rep, `{ permissions(role:"rep") { role resource action } }`, nil, &own)
	has := func(resource, action string) bool {
		for _, p := range own.Permissions {
			if p.Role != "rep" {
				t.Fatalf("asked for rep, got a %s row", p.Role)
			}
			if p.Resource == resource && p.Action == action {
				return true
			}
		}
		return false
	}
	if !has("lead", "claim") || has("field", "write") || has("policy", "read") {
		t.Errorf("rep's own permissions are wrong: %+v", own.Permissions)
	}
	for _, q := range []string{`{ permissions(role:"manager") { role } }`, `{ permissions { role } }`} {
		if r := api.Do(rep, q, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
			t.Errorf("rep read %s: %+v", q, r.Errors)
		}
	}
	if r := api.Do("", `{ permissions(role:"rep") { role } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous read permissions: %+v", r.Errors)
	}
	var all struct{ Permissions []struct{ Role string } }
	api.MustDo(admin, `{ permissions { role } }`, nil, &all)
	roles := map[string]bool{}
	for _, p := range all.Permissions {
		roles[p.Role] = true
	}
	if !roles["manager"] || !roles["rep"] || !roles["partner"] {
		t.Errorf("admin's matrix lacks built-in roles: %v", roles)
	}
}
