package graph_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/longjob"
)

const bulkMutation = `mutation($where: LeadWhereInput!, $action: BulkLeadActionInput!) {
	bulkUpdateLeads(where: $where, action: $action) { matched changed failed failures { leadID name code reason message } job { id kind status total } } }`

// bulkAnswer is bulkUpdateLeads' payload.
type bulkAnswer struct {
	Matched  int
	Changed  *int
	Failed   *int
	Failures []struct {
		LeadID, Name, Reason *string
		Code, Message        string
	}
	Job *jobView
}

// bulkInline runs a bulk update that must be answered at once, without a
// job, and returns its answer.
func bulkInline(t *testing.T, api *apitest.API, token string, where, action map[string]any) bulkAnswer {
	t.Helper()
	var out struct{ BulkUpdateLeads bulkAnswer }
	api.MustDo(token, bulkMutation, map[string]any{"where": where, "action": action}, &out)
	a := out.BulkUpdateLeads
	if a.Job != nil || a.Changed == nil || a.Failed == nil || *a.Failed != len(a.Failures) || *a.Changed+*a.Failed != a.Matched {
		t.Fatalf("answer = %+v, want the counts of an inline run and no job", a)
	}
	return a
}

// bulkJob starts a bulk update that must become a job and waits for it.
func bulkJob(t *testing.T, api *apitest.API, token string, where, action map[string]any) (int, jobView) {
	t.Helper()
	var out struct{ BulkUpdateLeads bulkAnswer }
	api.MustDo(token, bulkMutation, map[string]any{"where": where, "action": action}, &out)
	a := out.BulkUpdateLeads
	if a.Job == nil || a.Changed != nil || a.Failures != nil {
		t.Fatalf("answer = %+v, want a job", a)
	}
	j := waitJob(t, api, token, a.Job.ID)
	if j.Kind != "BULK_UPDATE" || j.Total != a.Matched {
		t.Fatalf("job = %+v, matched %d", j, a.Matched)
	}
	return a.Matched, j
}

// leadRows reads name → column for the workspace's leads.
func leadRows(t *testing.T, api *apitest.API, column string) map[string]string {
	t.Helper()
	rows, err := api.DB.DB.Query(`SELECT name, coalesce(` + column + `, '') FROM leads ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		out[n] = v
	}
	return out
}

// TestBulkUpdateLeads changes "all N matching" through the API, a few
// leads at a time, so each answer says what was done and no job runs: a
// typed custom field on the leads of a typed filter, tags and a stage move
// as a rep (only the rep's own leads change; the pool lead the rep reads
// fails with its reason in the answer), an assignment; refusals at their
// paths with nothing written: a masked filter, a missing permission of the
// action, another workspace's tag, a phone for many leads, a bad typed
// value.
func TestBulkUpdateLeads(t *testing.T) {
	api := apitest.New(t)
	ws, admin := api.Workspace("acme")
	api.MustDo(admin, `mutation{ createFieldDefinition(input:{entity: LEAD, key:"budget", label:"Budget", type: NUMBER}){ id } }`, nil, nil)
	api.MustDo(admin, `mutation{ createFieldDefinition(input:{entity: LEAD, key:"visits", label:"Visits", type: NUMBER, min: 0}){ id } }`, nil, nil)
	api.MustDo(admin, `mutation{ createFieldDefinition(input:{entity: LEAD, key:"member_code", label:"Member code", type: TEXT, unique: true}){ id } }`, nil, nil)
	api.MustDo(admin, `mutation{ createFieldDefinition(input:{entity: LEAD, key:"member_level", label:"Level", type: SELECT, options: [{value: "gold", label: "金卡"}, {value: "silver", label: "银卡"}]}){ id } }`, nil, nil)
	var rep struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation{ createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, &rep)
	api.MustDo(admin, `mutation{ createUser(input:{name:"Ana", email:"ana@acme.test", password:"ana-password", roles:["analyst"]}){ id } }`, nil, nil)
	repToken := api.Login("acme", "rep@acme.test", "rep-password")
	analyst := api.Login("acme", "ana@acme.test", "ana-password")
	_, other := api.Workspace("other")
	var otherTag struct{ CreateTag struct{ ID string } }
	api.MustDo(other, `mutation{ createTag(input:{name:"外"}){ id } }`, nil, &otherTag)
	var tag struct{ CreateTag struct{ ID string } }
	api.MustDo(admin, `mutation{ createTag(input:{name:"展会"}){ id } }`, nil, &tag)

	var rows []any
	for i, n := range []string{"甲", "乙", "丙", "丁", "戊"} {
		rows = append(rows, map[string]any{"name": n, "phone": "1380000000" + string(rune('1'+i)), "attributes": map[string]any{"budget": float64(i * 100)}})
	}
	api.MustDo(admin, `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ results { status } } }`,
		map[string]any{"in": map[string]any{"leads": rows}}, nil)
	api.MustDo(other, `mutation{ ingestLeads(input:{leads:[{name:"外人", phone:"13900000000"}]}){ results { status } } }`, nil, nil)
	api.WaitIdle()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := api.DB.DB.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// The rep owns 甲 乙 丙; 丁 waits in the pool (the rep reads it); 戊 is the admin's.
	exec(`UPDATE leads SET owner_id = $1 WHERE name IN ('甲', '乙', '丙')`, mustUUID(t, rep.CreateUser.ID))
	exec(`UPDATE leads SET owner_id = $1 WHERE name = '戊'`, ws.Admin.ID)
	exec(`UPDATE leads SET owner_id = NULL, pool_id = (SELECT id FROM pools WHERE tenant_id = $1 AND is_default) WHERE name = '丁'`, ws.Workspace.ID)

	// Refusals: nothing is written.
	for _, tc := range []struct {
		name, token string
		where       map[string]any
		action      map[string]any
		code, field string
	}{
		{"masked filter", analyst, map[string]any{"phone": "13800000001"}, map[string]any{"addTags": []string{tag.CreateTag.ID}}, "FORBIDDEN", "where.phone"},
		{"analyst without lead.bulk", analyst, map[string]any{}, map[string]any{"addTags": []string{tag.CreateTag.ID}}, "FORBIDDEN", ""},
		{"rep may not assign", repToken, map[string]any{}, map[string]any{"assign": map[string]any{"toPool": true}}, "FORBIDDEN", ""},
		{"another workspace's tag", admin, map[string]any{}, map[string]any{"addTags": []string{otherTag.CreateTag.ID}}, "NOT_FOUND", "action.addTags[0]"},
		{"no action", admin, map[string]any{}, map[string]any{}, "BAD_USER_INPUT", "action"},
		{"a phone for many", admin, map[string]any{}, map[string]any{"update": map[string]any{"phone": "13800000009"}}, "BAD_USER_INPUT", "action.update.phone"},
		{"a bad value", admin, map[string]any{}, map[string]any{"update": map[string]any{"attributes": map[string]any{"budget": "lots"}}}, "BAD_USER_INPUT", "action.update.attributes.budget"},
		// Typed custom fields of the workspace's schema are refused at the path the client wrote.
		{"a bad typed value", admin, map[string]any{}, map[string]any{"update": map[string]any{"company": "c", "visits": -1}}, "BAD_USER_INPUT", "action.update.visits"},
		{"a unique typed field", admin, map[string]any{}, map[string]any{"update": map[string]any{"member_code": "M1"}}, "BAD_USER_INPUT", "action.update.member_code"},
		{"a unique field in attributes", admin, map[string]any{}, map[string]any{"update": map[string]any{"attributes": map[string]any{"member_code": "M1"}}}, "BAD_USER_INPUT", "action.update.attributes.member_code"},
		{"a typed field and attributes", admin, map[string]any{}, map[string]any{"update": map[string]any{"visits": 1, "attributes": map[string]any{"visits": 2}}}, "BAD_USER_INPUT", "action.update.visits"},
	} {
		// The analyst may filter by a masked field only if it may bulk-update at all: grant it for that case.
		if tc.name == "masked filter" {
			api.MustDo(admin, `mutation{ a: grantPermission(role:"analyst", resource:"lead.bulk", action:"write") b: grantPermission(role:"analyst", resource:"lead.tag", action:"write") }`, nil, nil)
		}
		r := api.Do(tc.token, bulkMutation, map[string]any{"where": tc.where, "action": tc.action})
		if tc.name == "masked filter" {
			api.MustDo(admin, `mutation{ a: revokePermission(role:"analyst", resource:"lead.bulk", action:"write") b: revokePermission(role:"analyst", resource:"lead.tag", action:"write") }`, nil, nil)
		}
		if len(r.Errors) != 1 || r.Errors[0].Code() != tc.code || r.Errors[0].Field() != tc.field {
			t.Errorf("%s: errors = %+v, want %s at %q", tc.name, r.Errors, tc.code, tc.field)
		}
	}
	if n := countRows(t, api, "jobs") + countRows(t, api, "lead_tags"); n != 0 {
		t.Fatalf("refused bulk updates wrote %d rows", n)
	}

	// A typed filter and a typed field: budget ≥ 200 → 丙 丁 戊 get 999.
	a := bulkInline(t, api, admin, map[string]any{"budgetGTE": 200}, map[string]any{"update": map[string]any{"budget": 999, "company": "Acme"}})
	if a.Matched != 3 || *a.Changed != 3 {
		t.Fatalf("admin's update: %+v", a)
	}
	if got := leadRows(t, api, "attributes->>'budget'"); got["丙"] != "999" || got["戊"] != "999" || got["乙"] != "100" || got["外人"] != "" {
		t.Fatalf("budgets = %v", got)
	}

	// Several typed fields at once, an option by its enum value name, and
	// null clearing one (a unique field may be cleared on many).
	exec(`UPDATE leads SET attributes = attributes || '{"member_code": "OLD"}' WHERE name = '甲'`)
	a = bulkInline(t, api, admin, map[string]any{"nameIn": []string{"甲", "乙"}}, map[string]any{"update": map[string]any{"member_level": "GOLD", "budget": nil, "member_code": nil, "visits": 3}})
	if a.Matched != 2 || *a.Changed != 2 {
		t.Fatalf("several typed fields: %+v", a)
	}
	if got := leadRows(t, api, "attributes::text"); got["甲"] != `{"visits": 3, "member_level": "gold"}` || got["乙"] != `{"visits": 3, "member_level": "gold"}` || !strings.Contains(got["丙"], `"budget": 999`) {
		t.Fatalf("attributes after several typed fields = %v", got)
	}

	// The rep tags everything it reads: its three leads and the pool lead,
	// which fails (read-only) and stays untagged.
	a = bulkInline(t, api, repToken, map[string]any{}, map[string]any{"addTags": []string{tag.CreateTag.ID}})
	if a.Matched != 4 || *a.Changed != 3 || len(a.Failures) != 1 {
		t.Fatalf("rep's tagging: %+v", a)
	}
	if f := a.Failures[0]; f.Name == nil || *f.Name != "丁" || f.LeadID == nil || f.Code != "FORBIDDEN" || !strings.Contains(f.Message, "write scope") {
		t.Fatalf("rep's failure = %+v, want 丁 outside the write scope", f)
	}
	if got := taggedLeads(t, api); strings.Join(got, ",") != strings.Join(sorted("甲", "乙", "丙"), ",") {
		t.Fatalf("tagged %v, want the rep's three leads", got)
	}

	// A LOST move needs a reason; with one, the rep's leads move and 丁 fails again.
	var lost struct {
		Pipelines []struct{ Stages []struct{ ID, Kind string } }
	}
	api.MustDo(admin, `{ pipelines { stages { id kind } } }`, nil, &lost)
	var lostID string
	for _, s := range lost.Pipelines[0].Stages {
		if s.Kind == "LOST" {
			lostID = s.ID
		}
	}
	r := api.Do(repToken, bulkMutation, map[string]any{"where": map[string]any{}, "action": map[string]any{"moveStage": map[string]any{"stageID": lostID}}})
	if len(r.Errors) != 1 || r.Errors[0].Field() != "action.moveStage.reason" {
		t.Fatalf("LOST without a reason = %+v", r.Errors)
	}
	a = bulkInline(t, api, repToken, map[string]any{"nameIn": []string{"甲", "丁"}}, map[string]any{"moveStage": map[string]any{"stageID": lostID, "reason": "价格"}})
	if a.Matched != 2 || *a.Failed != 1 {
		t.Fatalf("rep's stage move: %+v", a)
	}
	if n := countRows(t, api, "stage_changes"); n != 1 {
		t.Fatalf("%d stage changes, want 甲's only", n)
	}

	// The admin sends everything back to the pool.
	a = bulkInline(t, api, admin, map[string]any{}, map[string]any{"assign": map[string]any{"toPool": true, "reason": "重新分配"}})
	if *a.Changed != 5 || *a.Failed != 0 {
		t.Fatalf("admin's assignment: %+v", a)
	}
	if got := leadRows(t, api, "owner_id::text"); got["甲"] != "" || got["戊"] != "" {
		t.Fatalf("owners after toPool = %v", got)
	}
	// The other workspace's lead was never touched.
	if got := leadRows(t, api, "company"); got["外人"] != "" {
		t.Fatalf("the other workspace's lead changed: %v", got)
	}
	if n := countRows(t, api, "jobs"); n != 0 {
		t.Fatalf("%d jobs for sets of at most %d leads, want none", n, longjob.BulkInlineMax)
	}
}

// TestBulkUpdateLeadsAsAJob: more than BulkInlineMax matching leads are
// changed by a job, with the same refusals: a rep tags the leads it reads,
// its own change and the pool lead it may not change fails with its reason
// in the result CSV, which another workspace cannot download.
func TestBulkUpdateLeadsAsAJob(t *testing.T) {
	api := apitest.New(t)
	ws, admin := api.Workspace("acme")
	var rep struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation{ createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, &rep)
	repToken := api.Login("acme", "rep@acme.test", "rep-password")
	_, other := api.Workspace("other")
	var tag struct{ CreateTag struct{ ID string } }
	api.MustDo(admin, `mutation{ createTag(input:{name:"展会"}){ id } }`, nil, &tag)
	n := longjob.BulkInlineMax + 1
	rows := make([]any, n)
	for i := range rows {
		rows[i] = map[string]any{"name": fmt.Sprintf("L%03d", i), "phone": fmt.Sprintf("1380000%04d", i)}
	}
	api.MustDo(admin, `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ results { status } } }`,
		map[string]any{"in": map[string]any{"leads": rows}}, nil)
	api.WaitIdle()
	// The rep owns every lead but L000, which waits in the pool.
	if _, err := api.DB.DB.Exec(`UPDATE leads SET owner_id = CASE WHEN name = 'L000' THEN NULL ELSE $1::uuid END,
		pool_id = CASE WHEN name = 'L000' THEN (SELECT id FROM pools WHERE tenant_id = $2 AND is_default) END`,
		mustUUID(t, rep.CreateUser.ID), ws.Workspace.ID); err != nil {
		t.Fatal(err)
	}

	matched, j := bulkJob(t, api, repToken, map[string]any{}, map[string]any{"addTags": []string{tag.CreateTag.ID}})
	if matched != n || j.Status != "SUCCEEDED" || j.Done != n || j.Failed != 1 || j.ResultURL == nil {
		t.Fatalf("rep's tagging: matched %d, job %+v", matched, j)
	}
	if got := taggedLeads(t, api); len(got) != n-1 || slices.Contains(got, "L000") {
		t.Fatalf("%d leads tagged (L000 among them: %v), want the rep's %d", len(got), slices.Contains(got, "L000"), n-1)
	}
	status, _, body := api.Get(repToken, *j.ResultURL)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if status != 200 || err != nil || len(recs) != 2 || recs[1][1] != "L000" || recs[1][2] != "FORBIDDEN" {
		t.Fatalf("rep's failures = %d %q %v", status, recs, err)
	}
	if status, _, _ := api.Get(other, *j.ResultURL); status != 404 {
		t.Errorf("another workspace's download = %d, want 404", status)
	}
}

// taggedLeads are the names of the leads that have a tag, sorted.
func taggedLeads(t *testing.T, api *apitest.API) []string {
	t.Helper()
	rs, err := api.DB.DB.Query(`SELECT DISTINCT l.name FROM lead_tags lt JOIN leads l ON l.id = lt.lead_id ORDER BY l.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
