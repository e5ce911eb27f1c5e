package leads_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/testenv"
)

// A WeCom customer's external_userid is an identity key: rows with it fold in
// a batch, a later batch merges into the lead, and it alone identifies a lead.
func TestIngestWeComExternalUserIDIsAnIdentity(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	res := f.ingest(t, leads.Batch{Source: "wecom", Rows: []leads.Row{
		{Name: "客户甲", WeComExternalUserID: "wmA001"},
		{Phone: "13800138000", WeComExternalUserID: "wmA001"},
	}})
	if got := statuses(res); got != "CREATED,MERGED" || res.Rows[1].LeadID != res.Rows[0].LeadID {
		t.Fatalf("first batch %s %+v", got, res.Rows)
	}
	again := f.ingest(t, leads.Batch{Source: "wecom", Rows: []leads.Row{{Email: "a@example.com", WeComExternalUserID: "wmA001"}}})
	if got := statuses(again); got != "MERGED" || again.Rows[0].LeadID != res.Rows[0].LeadID {
		t.Fatalf("second batch %s %+v", got, again.Rows)
	}
	ls := f.activeLeads(t)
	if len(ls) != 1 || ls[0].WecomExternalUserID == nil || *ls[0].WecomExternalUserID != "wmA001" || ls[0].Email == nil {
		t.Fatalf("leads %+v", ls)
	}
}
