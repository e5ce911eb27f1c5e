package graph_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
)

// TestRolesAreGivenOnlyByTheirHolders: a workspace role granted `user
// write` and `apikey write` (an HR role) cannot make an admin or a rep,
// promote itself, mint an admin API key, or change an admin (not even the
// password); it can give its own role, change users it could have made,
// and the admin can do all of it. Refusals write nothing.
func TestRolesAreGivenOnlyByTheirHolders(t *testing.T) {
	api := apitest.New(t)
	ws, admin := api.Workspace("acme")
	for _, p := range [][2]string{{"user", "read"}, {"user", "write"}, {"apikey", "read"}, {"apikey", "write"}} {
		api.MustDo(admin, `mutation($r: String!, $a: String!){ grantPermission(role: "hr", resource: $r, action: $a) }`,
			map[string]any{"r": p[0], "a": p[1]}, nil)
	}
	var u struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation { createUser(input: {name: "HR", email: "hr@acme.test", password: "hr-password-1", roles: ["hr"]}) { id } }`, nil, &u)
	hrID := u.CreateUser.ID
	hr := api.Login("acme", "hr@acme.test", "hr-password-1")
	users := func() int {
		var n int
		if err := api.DB.DB.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := users()
	refused := func(name, q string, vars map[string]any, field string) {
		t.Helper()
		res := api.Do(hr, q, vars)
		if len(res.Errors) != 1 || res.Errors[0].Code() != "FORBIDDEN" || res.Errors[0].Field() != field {
			t.Errorf("%s: %+v; want FORBIDDEN at %s", name, res.Errors, field)
		}
	}
	create := `mutation($roles: [String!]!){ createUser(input: {name: "X", email: "x@acme.test", password: "x-password-12", roles: $roles}) { id } }`
	refused("an admin", create, map[string]any{"roles": []string{"hr", "admin"}}, "input.roles[1]")
	refused("a rep (who may claim leads; hr may not)", create, map[string]any{"roles": []string{"rep"}}, "input.roles[0]")
	refused("itself to admin", `mutation($id: ID!){ updateUser(id: $id, input: {roles: ["admin"]}) { id } }`, map[string]any{"id": hrID}, "input.roles[0]")
	adminID := gid.Encode(ws.Admin.ID)
	refused("the admin's password", `mutation($id: ID!){ updateUser(id: $id, input: {password: "taken-over-123"}) { id } }`, map[string]any{"id": adminID}, "id")
	refused("an admin API key (the default roles)", `mutation { createAPIKey(input: {name: "ci"}) { key } }`, nil, "input.roles[0]")
	if n := users(); n != before {
		t.Errorf("refusals wrote users: %d, want %d", n, before)
	}
	var keys int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM api_keys`).Scan(&keys)
	if keys != 0 {
		t.Errorf("a refused key was stored (%d)", keys)
	}
	// The admin still signs in with the old password.
	api.Login("acme", "admin@acme.test", "password-acme")

	// What hr may give, it gives; the admin gives anything.
	api.MustDo(hr, create, map[string]any{"roles": []string{"hr"}}, &u)
	api.MustDo(hr, `mutation($id: ID!){ updateUser(id: $id, input: {name: "X2"}) { id } }`, map[string]any{"id": u.CreateUser.ID}, nil)
	api.MustDo(hr, `mutation { createAPIKey(input: {name: "hr-sync", roles: ["hr"]}) { key } }`, nil, nil)
	api.MustDo(admin, `mutation($id: ID!){ updateUser(id: $id, input: {roles: ["hr", "rep"]}) { id } }`, map[string]any{"id": u.CreateUser.ID}, nil)
	// Now X holds rep too, which hr could not give: hr may no longer change X.
	refused("a user who holds more", `mutation($id: ID!){ updateUser(id: $id, input: {name: "X3"}) { id } }`, map[string]any{"id": u.CreateUser.ID}, "id")
	var k struct {
		CreateAPIKey struct{ APIKey struct{ ID string } }
	}
	api.MustDo(admin, `mutation { createAPIKey(input: {name: "admin-ci"}) { apiKey { id } key } }`, nil, &k)
	adminKey := k.CreateAPIKey.APIKey.ID
	refused("revoking an admin key", `mutation($id: ID!){ revokeAPIKey(id: $id) { id } }`, map[string]any{"id": adminKey}, "id")

	// Bad inputs of createAPIKey are refused at their path and store nothing.
	var before2 int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM api_keys`).Scan(&before2)
	for _, c := range []struct {
		input map[string]any
		field string
	}{
		{map[string]any{"name": "  "}, "input.name"},
		{map[string]any{"name": "x", "roles": []string{}}, "input.roles"},
		{map[string]any{"name": "x", "roles": []string{"Bad Role"}}, "input.roles[0]"},
		{map[string]any{"name": "x", "roles": []string{"rep", "rep"}}, "input.roles[1]"},
	} {
		res := api.Do(admin, `mutation($i: CreateAPIKeyInput!){ createAPIKey(input: $i) { key } }`, map[string]any{"i": c.input})
		if len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" || res.Errors[0].Field() != c.field {
			t.Errorf("createAPIKey(%v): %+v; want BAD_USER_INPUT at %s", c.input, res.Errors, c.field)
		}
	}
	var after2 int
	_ = api.DB.DB.QueryRow(`SELECT count(*) FROM api_keys`).Scan(&after2)
	if after2 != before2 {
		t.Errorf("refused keys were stored: %d, want %d", after2, before2)
	}
	// Revoking: once, then CONFLICT; an unknown key is NOT_FOUND.
	revoke := `mutation($id: ID!){ revokeAPIKey(id: $id) { revokedAt } }`
	api.MustDo(admin, revoke, map[string]any{"id": adminKey}, nil)
	for id, code := range map[string]string{adminKey: "CONFLICT", gid.Encode(gid.New(gid.APIKey)): "NOT_FOUND"} {
		res := api.Do(admin, revoke, map[string]any{"id": id})
		if len(res.Errors) != 1 || res.Errors[0].Code() != code || res.Errors[0].Field() != "id" {
			t.Errorf("revokeAPIKey(%s): %+v; want %s at id", id, res.Errors, code)
		}
	}
}
