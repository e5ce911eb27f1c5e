package graph_test

import (
	"testing"

	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/policy"
)

// TestEveryRootFieldDeclaresAPermission walks the served schema: a root field
// without a declared permission would be refused for everyone, and a declared
// resource/action must exist in the policy vocabulary.
func TestEveryRootFieldDeclaresAPermission(t *testing.T) {
	fields := rootFields(t)
	for f := range fields {
		p, ok := graph.RootPermissions[f]
		if !ok {
			t.Errorf("%s declares no permission in graph.RootPermissions", f)
			continue
		}
		if p == graph.Public || p == graph.Authenticated {
			continue
		}
		if !contains(policy.Actions(p.Resource), p.Action) {
			t.Errorf("%s requires %s %s, which the policy vocabulary does not know", f, p.Action, p.Resource)
		}
	}
	for f := range graph.RootPermissions {
		if !fields[f] && f != "Query.__schema" && f != "Query.__type" {
			t.Errorf("graph.RootPermissions declares %s, which the schema does not have", f)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestPermissionChangeHoldsOnEveryServer revokes a permission through one api
// process and checks that the very next request on a second process is refused,
// and that granting it back restores access there too.
func TestPermissionChangeHoldsOnEveryServer(t *testing.T) {
	one := apitest.New(t)
	two := apitest.Start(t, one.DB, one.Redis, one.Clock)
	_, admin := one.Workspace("acme")
	_, otherAdmin := one.Workspace("other")
	one.MustDo(admin, `mutation { createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, nil)
	one.MustDo(otherAdmin, `mutation { createUser(input:{name:"Rep", email:"rep@other.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, nil)
	rep := two.Login("acme", "rep@acme.test", "rep-password")
	otherRep := two.Login("other", "rep@other.test", "rep-password")
	const list = `{ leads(first: 1) { totalCount } }`
	two.MustDo(rep, list, nil, nil)

	one.MustDo(admin, `mutation { revokePermission(role:"rep", resource:"lead", action:"read") }`, nil, nil)
	if r := two.Do(rep, list, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("after revoke on server one, server two answered %+v %s; want FORBIDDEN", r.Errors, r.Data)
	}
	// Another workspace's rep is not affected.
	two.MustDo(otherRep, list, nil, nil)

	var perms struct {
		Permissions []struct{ Resource, Action string }
	}
	two.MustDo(admin, `{ permissions(role:"rep") { role resource action } }`, nil, &perms)
	for _, p := range perms.Permissions {
		if p.Resource == "lead" && p.Action == "read" {
			t.Error("permissions still lists lead read for rep")
		}
	}
	var audits int
	if err := one.DB.DB.QueryRow(`SELECT count(*) FROM audit_logs WHERE action = 'permission.revoke'`).Scan(&audits); err != nil || audits != 1 {
		t.Errorf("audit rows = %d, %v; want 1", audits, err)
	}

	two.MustDo(admin, `mutation { grantPermission(role:"rep", resource:"lead", action:"read") }`, nil, nil)
	one.MustDo(rep, list, nil, nil)
	two.MustDo(rep, list, nil, nil)

	// A rep cannot change policy, and bad input is refused with its field.
	if r := one.Do(rep, `mutation { grantPermission(role:"rep", resource:"policy", action:"write") }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("rep granted itself policy write: %+v", r.Errors)
	}
	if r := one.Do(admin, `mutation { grantPermission(role:"Bad Role", resource:"lead", action:"read") }`, nil); len(r.Errors) == 0 || r.Errors[0].Field() != "role" {
		t.Errorf("bad role: %+v", r.Errors)
	}
	if r := one.Do(admin, `mutation { revokePermission(role:"admin", resource:"policy", action:"write") }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("admin lock-out allowed: %+v", r.Errors)
	}
}
