package graph_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestRefusalReasons: the refusals a client says in its own words carry
// their reason and figures, in a bulk update's failures and in a single
// mutation's extensions: an archived or merged lead (CONFLICT
// LEAD_INACTIVE), a unique value another lead has (CONFLICT DUPLICATE, of
// a single update: a bulk update refuses a unique value up front), a move into another
// pipeline's closed stage (BAD_USER_INPUT OPEN_STAGE_ONLY) and an
// assignment over the rep's capacity (OVER_CAPACITY with the capacity).
func TestRefusalReasons(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation{ createFieldDefinition(input:{entity: LEAD, key:"member_code", label:"Member code", type: TEXT, unique: true}){ id } }`, nil, nil)
	var rep struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation{ createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"], capacity: 1}){ id } }`, nil, &rep)
	var pipe struct {
		CreatePipeline struct{ Stages []struct{ ID, Key string } }
	}
	api.MustDo(admin, `mutation{ createPipeline(input:{name:"续约", stages:[{key:"talk", name:"沟通"}, {key:"won", name:"赢单", kind: WON}]}){ stages { id key } } }`, nil, &pipe)
	var won string
	for _, s := range pipe.CreatePipeline.Stages {
		if s.Key == "won" {
			won = s.ID
		}
	}
	api.MustDo(admin, `mutation{ ingestLeads(input:{leads:[{name:"甲", phone:"13800000001", attributes:{member_code:"M1"}}, {name:"乙", phone:"13800000002"}, {name:"丙", phone:"13800000003"}, {name:"丁", phone:"13800000004"}]}){ results { status } } }`, nil, nil)
	api.WaitIdle()
	ids := map[string]string{}
	var list struct {
		Leads struct{ Edges []struct{ Node struct{ ID, Name string } } }
	}
	api.MustDo(admin, `{ leads(first: 10) { edges { node { id name } } } }`, nil, &list)
	for _, e := range list.Leads.Edges {
		ids[e.Node.Name] = e.Node.ID
	}
	// failure is the one failure of a bulk update of the leads named.
	failure := func(names []string, action map[string]any) (code, reason, message string, limit *int) {
		t.Helper()
		var out struct {
			BulkUpdateLeads struct {
				Failures []struct {
					Code, Message string
					Reason        *string
					Limit         *int
				}
			}
		}
		api.MustDo(admin, `mutation($where: LeadWhereInput!, $action: BulkLeadActionInput!) {
			bulkUpdateLeads(where: $where, action: $action) { failures { code reason message limit } } }`,
			map[string]any{"where": map[string]any{"nameIn": names}, "action": action}, &out)
		fs := out.BulkUpdateLeads.Failures
		if len(fs) != 1 {
			t.Fatalf("%v %v: failures %+v, want one", names, action, fs)
		}
		if fs[0].Reason != nil {
			reason = *fs[0].Reason
		}
		return fs[0].Code, reason, fs[0].Message, fs[0].Limit
	}

	if _, err := api.DB.DB.Exec(`UPDATE leads SET status = 'ARCHIVED' WHERE name = '丁'`); err != nil {
		t.Fatal(err)
	}
	if code, reason, msg, _ := failure([]string{"丁"}, map[string]any{"update": map[string]any{"company": "Acme"}}); code != "CONFLICT" || reason != "LEAD_INACTIVE" {
		t.Errorf("an archived lead's update: %s %s %q, want CONFLICT LEAD_INACTIVE", code, reason, msg)
	}
	if code, reason, msg, _ := failure([]string{"乙"}, map[string]any{"moveStage": map[string]any{"stageID": won}}); code != "BAD_USER_INPUT" || reason != "OPEN_STAGE_ONLY" {
		t.Errorf("into another pipeline's WON stage: %s %s %q, want BAD_USER_INPUT OPEN_STAGE_ONLY", code, reason, msg)
	}
	code, reason, msg, limit := failure([]string{"甲", "丙"}, map[string]any{"assign": map[string]any{"ownerID": rep.CreateUser.ID}})
	if code != "OVER_CAPACITY" || reason != "" || limit == nil || *limit != 1 {
		t.Errorf("two leads for a rep of capacity 1: %s %q %q limit %v, want OVER_CAPACITY with limit 1", code, reason, msg, limit)
	}

	// A single update and a single move give the same reasons as extensions.
	reasonOf := func(r apitest.Response) string {
		t.Helper()
		if len(r.Errors) != 1 {
			t.Fatalf("errors = %+v, want one", r.Errors)
		}
		s, _ := r.Errors[0].Extensions["reason"].(string)
		return r.Errors[0].Code() + " " + s
	}
	if got := reasonOf(api.Do(admin, `mutation($id: ID!){ updateLead(id: $id, input:{attributes:{member_code:"M1"}}) { id } }`, map[string]any{"id": ids["乙"]})); got != "CONFLICT DUPLICATE" {
		t.Errorf("updateLead with 甲's unique value: %s", got)
	}
	api.MustDo(admin, `mutation($a: ID!, $b: ID!){ mergeLeads(primaryID: $a, duplicateIDs: [$b]) { id } }`, map[string]any{"a": ids["甲"], "b": ids["乙"]}, nil)
	if got := reasonOf(api.Do(admin, `mutation($id: ID!){ updateLead(id: $id, input:{company:"Acme"}) { id } }`, map[string]any{"id": ids["乙"]})); got != "CONFLICT LEAD_INACTIVE" {
		t.Errorf("updateLead of a merged lead: %s", got)
	}
	if got := reasonOf(api.Do(admin, `mutation($id: ID!, $s: ID!){ moveLeadStage(id: $id, stageID: $s) { id } }`, map[string]any{"id": ids["乙"], "s": won})); got != "CONFLICT LEAD_INACTIVE" {
		t.Errorf("moveLeadStage of a merged lead: %s", got)
	}
}
