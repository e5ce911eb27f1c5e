package journey_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/testenv"
)

// TestIngestTagsFireTagAdded: tags that ingest's own tag writer puts on a
// lead (a new lead's, or an existing lead's a duplicate row merges into)
// enrol it in the ACTIVE journeys triggered by that tag, in the batch's
// transaction; a tag the lead already had, or another tag, enrols nobody.
func TestIngestTagsFireTagAdded(t *testing.T) {
	w := newWorkspace(t, testenv.NewDatabase(t))
	vip := w.tag("vip")
	w.tag("other")
	j := w.create(journey.Input{Name: "vip welcome", Trigger: schematype.JourneyTrigger{TagAdded: &schematype.TagAddedTrigger{TagID: vip}},
		Steps: []schematype.JourneyStep{{Wait: &schematype.WaitStep{Days: 1}}}})
	w.activate(j.ID)
	ingest := func(rows ...leads.Row) []uuid.UUID {
		t.Helper()
		res, err := w.svc.Ingester.Ingest(w.ctx, leads.Batch{Source: "api", Rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]uuid.UUID, len(res.Rows))
		for i, r := range res.Rows {
			if len(r.Errors) > 0 {
				t.Fatalf("row %d: %+v", i, r.Errors)
			}
			ids[i] = r.LeadID
		}
		return ids
	}
	enrolled := func() map[uuid.UUID]int {
		t.Helper()
		es, err := w.c.Enrollment.Query().Where(enrollment.JourneyID(j.ID)).All(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[uuid.UUID]int{}
		for _, e := range es {
			out[e.LeadID]++
		}
		return out
	}

	got := ingest(leads.Row{Name: "甲", Phone: "13900000001", Tags: []string{"vip", "other"}},
		leads.Row{Name: "乙", Phone: "13900000002", Tags: []string{"other"}})
	a, b := got[0], got[1]
	if e := enrolled(); len(e) != 1 || e[a] != 1 {
		t.Fatalf("after the first batch enrolled %v, want only 甲 (%s)", e, a)
	}
	// 乙 again, now with vip: the existing lead gets the tag and is enrolled;
	// 甲 again with vip, which it has: not enrolled twice.
	got = ingest(leads.Row{Name: "乙", Phone: "13900000002", Tags: []string{"vip"}},
		leads.Row{Name: "甲", Phone: "13900000001", Tags: []string{"vip"}})
	if got[0] != b || got[1] != a {
		t.Fatalf("the duplicates went to %v, want %s and %s", got, b, a)
	}
	if e := enrolled(); len(e) != 2 || e[a] != 1 || e[b] != 1 {
		t.Fatalf("after the second batch enrolled %v, want 甲 and 乙 once each", e)
	}
}
