package graph_test

import (
	"fmt"
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestEnrollASegment: bulkUpdateLeads and exportLeads take where.inSegment
// like the list: an analyst's segment is enrolled in a journey in one call
// (its members only, the others left out), and the list counts the same.
func TestEnrollASegment(t *testing.T) {
	api := apitest.New(t)
	_, admin := api.Workspace("acme")
	rows := make([]any, 10)
	for i := range rows {
		src := "web"
		if i%3 == 0 {
			src = "expo"
		}
		rows[i] = map[string]any{"name": fmt.Sprintf("L%02d", i), "phone": fmt.Sprintf("1390000%04d", i), "source": src}
	}
	api.MustDo(admin, `mutation($in: IngestLeadsInput!){ ingestLeads(input:$in){ results { status } } }`,
		map[string]any{"in": map[string]any{"leads": rows}}, nil)
	api.WaitIdle()
	var seg struct{ CreateSegment struct{ ID string } }
	api.MustDo(admin, `mutation($r:SegmentRuleInput!){ createSegment(input:{name:"expo", rule:$r}){ id } }`,
		map[string]any{"r": map[string]any{"attribute": map[string]any{"key": "source", "op": "EQ", "value": "expo"}}}, &seg)
	waitStatus(t, api, seg.CreateSegment.ID, "READY")
	var j struct{ CreateJourney struct{ ID string } }
	api.MustDo(admin, `mutation{ createJourney(input:{name:"SOP", trigger:{manual:{}}, steps:[{wait:{days:1}}]}) { id } }`, nil, &j)
	api.MustDo(admin, `mutation($id:ID!){ setJourneyStatus(id:$id, status: ACTIVE) { id } }`, map[string]any{"id": j.CreateJourney.ID}, nil)

	where := map[string]any{"inSegment": seg.CreateSegment.ID}
	var list struct{ Leads struct{ TotalCount int } }
	api.MustDo(admin, `query($w: LeadWhereInput){ leads(where: $w){ totalCount } }`, map[string]any{"w": where}, &list)
	if list.Leads.TotalCount != 4 {
		t.Fatalf("leads in the segment: %d, want 4 (L00, L03, L06, L09)", list.Leads.TotalCount)
	}
	var out struct {
		BulkUpdateLeads struct{ Matched, Changed, Failed int }
	}
	api.MustDo(admin, `mutation($w: LeadWhereInput!, $j: ID!){ bulkUpdateLeads(where: $w, action: {enroll: {journeyID: $j}}){ matched changed failed } }`,
		map[string]any{"w": where, "j": j.CreateJourney.ID}, &out)
	if b := out.BulkUpdateLeads; b.Matched != 4 || b.Changed != 4 || b.Failed != 0 {
		t.Errorf("enrolling the segment: %+v, want 4 matched and changed", b)
	}
	var names []string
	r, err := api.DB.DB.Query(`SELECT l.name FROM enrollments e JOIN leads l ON l.id = e.lead_id ORDER BY l.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var n string
		_ = r.Scan(&n)
		names = append(names, n)
	}
	if fmt.Sprint(names) != "[L00 L03 L06 L09]" {
		t.Errorf("enrolled %v, want the segment's members", names)
	}
	// Another workspace's segment is not found here, and changes nothing.
	_, other := api.Workspace("other")
	var theirs struct{ CreateSegment struct{ ID string } }
	api.MustDo(other, `mutation($r:SegmentRuleInput!){ createSegment(input:{name:"theirs", rule:$r}){ id } }`,
		map[string]any{"r": map[string]any{"attribute": map[string]any{"key": "source", "op": "EQ", "value": "expo"}}}, &theirs)
	res := api.Do(admin, `mutation($s: ID!, $j: ID!){ bulkUpdateLeads(where: {inSegment: $s}, action: {enroll: {journeyID: $j}}){ matched } }`,
		map[string]any{"s": theirs.CreateSegment.ID, "j": j.CreateJourney.ID})
	if len(res.Errors) != 1 || res.Errors[0].Code() != "NOT_FOUND" || res.Errors[0].Field() != "where.inSegment" {
		t.Errorf("another workspace's segment: %+v", res.Errors)
	}
	// A bad segment id refuses the whole call and enrols nothing more.
	res = api.Do(admin, `mutation($j: ID!){ bulkUpdateLeads(where: {inSegment: "nope"}, action: {enroll: {journeyID: $j}}){ matched } }`,
		map[string]any{"j": j.CreateJourney.ID})
	if len(res.Errors) == 0 {
		t.Errorf("a malformed segment id was accepted: %s", res.Data)
	}
	var n int
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM enrollments`).Scan(&n); err != nil || n != 4 {
		t.Errorf("%d enrolments after the refusals, want 4 (%v)", n, err)
	}
}
