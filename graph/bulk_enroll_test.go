package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/longjob"
)

// TestBulkEnrollLeads: bulkUpdateLeads' enroll action enrols the matching
// leads in a journey, inline or as a job, through the same batch; a lead
// already in the journey, one that left a journey without re-entry, one not
// active and one out of the caller's write scope fail with the reason; a
// journey that does not enrol, or another workspace's, is refused at
// action.enroll.journeyID and nothing is written.
func TestBulkEnrollLeads(t *testing.T) {
	api := apitest.New(t)
	ws, admin := api.Workspace("acme")
	var rep struct{ CreateUser struct{ ID string } }
	api.MustDo(admin, `mutation{ createUser(input:{name:"Rep", email:"rep@acme.test", password:"rep-password", roles:["rep"]}){ id } }`, nil, &rep)
	repToken := api.Login("acme", "rep@acme.test", "rep-password")
	_, other := api.Workspace("other")
	journey := func(token, name string, active bool) string {
		var j struct{ CreateJourney struct{ ID string } }
		api.MustDo(token, `mutation($n:String!){ createJourney(input:{name:$n, trigger:{manual:{}}, steps:[{wait:{days:1}}]}) { id } }`,
			map[string]any{"n": name}, &j)
		if active {
			api.MustDo(token, `mutation($id:ID!){ setJourneyStatus(id:$id, status: ACTIVE) { id } }`, map[string]any{"id": j.CreateJourney.ID}, nil)
		}
		return j.CreateJourney.ID
	}
	sop, draft, theirs := journey(admin, "SOP", true), journey(admin, "draft", false), journey(other, "theirs", true)

	n := longjob.BulkInlineMax + 1
	rows := make([]any, n)
	for i := range rows {
		rows[i] = map[string]any{"name": fmt.Sprintf("L%03d", i), "phone": fmt.Sprintf("1380000%04d", i)}
	}
	api.MustDo(admin, `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ results { status } } }`,
		map[string]any{"in": map[string]any{"leads": rows}}, nil)
	api.WaitIdle()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := api.DB.DB.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// The rep owns L000-L004; L001 is in the journey, L002 left it, L003 is archived.
	exec(`UPDATE leads SET owner_id = $1 WHERE name < 'L005'`, mustUUID(t, rep.CreateUser.ID))
	exec(`UPDATE leads SET owner_id = $1 WHERE name >= 'L005'`, ws.Admin.ID)
	leadID := func(name string) string {
		var out struct {
			Leads struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		api.MustDo(admin, `query($n:String!){ leads(where:{name:$n}) { edges { node { id } } } }`, map[string]any{"n": name}, &out)
		return out.Leads.Edges[0].Node.ID
	}
	api.MustDo(admin, `mutation($j:ID!, $l:[ID!]!){ enrollLeads(journeyID:$j, leadIDs:$l) { enrolled } }`,
		map[string]any{"j": sop, "l": []string{leadID("L001"), leadID("L002")}}, nil)
	exec(`UPDATE enrollments SET status = 'EXITED' WHERE lead_id = (SELECT id FROM leads WHERE name = 'L002')`)
	exec(`UPDATE leads SET status = 'ARCHIVED' WHERE name = 'L003'`)
	enrolled := func() int {
		t.Helper()
		var c int
		if err := api.DB.DB.QueryRow(`SELECT count(*) FROM enrollments WHERE journey_id = $1`, mustUUID(t, sop)).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	// Refusals: nothing is written.
	for _, tc := range []struct {
		name, token, journey, code, field string
	}{
		{"a draft journey", admin, draft, "CONFLICT", "action.enroll.journeyID"},
		{"another workspace's journey", admin, theirs, "NOT_FOUND", "action.enroll.journeyID"},
		{"a rep without journey write", repToken, sop, "FORBIDDEN", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := api.Do(tc.token, bulkMutation, map[string]any{"where": map[string]any{}, "action": map[string]any{"enroll": map[string]any{"journeyID": tc.journey}}})
			if len(r.Errors) != 1 || r.Errors[0].Code() != tc.code || r.Errors[0].Field() != tc.field {
				t.Fatalf("errors %+v, want %s at %q", r.Errors, tc.code, tc.field)
			}
		})
	}
	if got := enrolled(); got != 2 {
		t.Fatalf("refusals enrolled: %d enrolments, want 2", got)
	}

	// Inline: the five of the rep's (name search), refused with reasons.
	a := bulkInline(t, api, admin, map[string]any{"nameHasPrefix": "L00", "nameLT": "L005"}, map[string]any{"enroll": map[string]any{"journeyID": sop}})
	why := map[string]string{}
	for _, f := range a.Failures {
		reason := "-"
		if f.Reason != nil {
			reason = *f.Reason
		}
		why[*f.Name] = f.Code + " " + reason + " " + f.Message
	}
	if a.Matched != 5 || *a.Changed != 2 || !strings.Contains(why["L001"], "CONFLICT ENROLLED the lead is already in the journey") ||
		!strings.Contains(why["L002"], "CONFLICT ENROLLED_BEFORE the lead has been in the journey, which does not take a lead twice") ||
		!strings.Contains(why["L003"], "CONFLICT LEAD_INACTIVE the lead is not active (archived)") {
		t.Fatalf("inline enrolment: %+v (%v)", a, why)
	}
	if got := enrolled(); got != 4 {
		t.Fatalf("after the inline run: %d enrolments, want 4", got)
	}

	// A job: every lead; the five above fail (L000 and L004 are in now), the rest enrol.
	matched, j := bulkJob(t, api, admin, map[string]any{}, map[string]any{"enroll": map[string]any{"journeyID": sop}})
	if matched != n || j.Status != "SUCCEEDED" || j.Done != n || j.Failed != 5 {
		t.Fatalf("enrolment job: matched %d, %+v", matched, j)
	}
	// one enrolment of every lead but archived L003 (L002's is the old one)
	if got := enrolled(); got != n-1 {
		t.Fatalf("after the job: %d enrolments, want %d", got, n-1)
	}
}
