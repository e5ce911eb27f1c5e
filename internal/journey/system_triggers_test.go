package journey_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/duplicates"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/policy"
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

// TestSystemEventsTriggerJourneys: events the system records (ingest's
// lead.duplicate, the duplicate review's dismissal) go through the one
// events recorder, which enrols the leads in the ACTIVE journeys triggered
// by that event, in the transaction that records them.
func TestSystemEventsTriggerJourneys(t *testing.T) {
	w := newWorkspace(t, testenv.NewDatabase(t))
	admin := w.adminContext()
	journeyOn := func(event string) uuid.UUID {
		j := w.create(journey.Input{Name: "on " + event, Trigger: schematype.JourneyTrigger{Event: &schematype.EventTrigger{Name: event}},
			Steps: []schematype.JourneyStep{{Wait: &schematype.WaitStep{Days: 1}}}})
		w.activate(j.ID)
		return j.ID
	}
	dup, dismissed := journeyOn(leads.EventDuplicate), journeyOn(duplicates.EventDismissed)

	// A row merging into an existing lead records lead.duplicate on it.
	first, err := w.svc.Ingester.Ingest(w.ctx, leads.Batch{Source: "api", Rows: []leads.Row{{Name: "甲", Phone: "13900000001"}}})
	if err != nil {
		t.Fatal(err)
	}
	a := first.Rows[0].LeadID
	if got := w.enrolled(dup); len(got) != 0 {
		t.Fatalf("a new lead enrolled %v in the journey on lead.duplicate", got)
	}
	if _, err := w.svc.Ingester.Ingest(w.ctx, leads.Batch{Source: "web", Rows: []leads.Row{{Name: "甲", Phone: "13900000001"}}}); err != nil {
		t.Fatal(err)
	}
	if got := w.enrolled(dup); len(got) != 1 || got[a] != 1 {
		t.Errorf("after a duplicate row the journey on lead.duplicate enrolled %v, want %s", got, a)
	}

	// Two leads of one name and company, dismissed as not duplicates.
	pair := w.leads(2)
	if err := w.c.Lead.Update().Where(lead.IDIn(pair...)).SetCompany("ACME").Exec(w.ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Duplicates.Dismiss(admin, duplicates.NameCompany, pair, nil, &w.admin, t0); err != nil {
		t.Fatal(err)
	}
	if got := w.enrolled(dismissed); len(got) != 2 || got[pair[0]] != 1 || got[pair[1]] != 1 {
		t.Fatalf("after the dismissal the journey on %s enrolled %v, want %v", duplicates.EventDismissed, got, pair)
	}
}

// TestMergedTagsFireTagAdded: a tag a merge moves onto the surviving lead,
// which did not have it, enrols the survivor in the journeys triggered by
// that tag, in the merge's transaction; a tag it had already does not.
func TestMergedTagsFireTagAdded(t *testing.T) {
	w := newWorkspace(t, testenv.NewDatabase(t))
	admin := w.adminContext()
	vip, old := w.tag("vip"), w.tag("old")
	onTag := func(tag uuid.UUID) uuid.UUID {
		j := w.create(journey.Input{Name: "tag " + tag.String(), Trigger: schematype.JourneyTrigger{TagAdded: &schematype.TagAddedTrigger{TagID: tag}},
			Steps: []schematype.JourneyStep{{Wait: &schematype.WaitStep{Days: 1}}}})
		w.activate(j.ID)
		return j.ID
	}
	ls := w.leads(3)
	survivor, d1, d2 := ls[0], ls[1], ls[2]
	if _, err := w.svc.Tags.TagLeads(w.ctx, []uuid.UUID{survivor, d1}, []uuid.UUID{old}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Tags.TagLeads(w.ctx, []uuid.UUID{d2}, []uuid.UUID{vip}, nil, ""); err != nil {
		t.Fatal(err)
	}
	// The journeys start after the tagging above: only the merge can enrol.
	jVIP, jOld := onTag(vip), onTag(old)
	if _, err := w.svc.Leads.Merge(admin, survivor, []uuid.UUID{d1, d2}, &w.admin, t0); err != nil {
		t.Fatal(err)
	}
	if got := w.enrolled(jVIP); len(got) != 1 || got[survivor] != 1 {
		t.Fatalf("the journey on vip enrolled %v, want the survivor %s", got, survivor)
	}
	if got := w.enrolled(jOld); len(got) != 0 {
		t.Fatalf("the journey on a tag the survivor had enrolled %v", got)
	}
}

// adminContext is w.ctx with the workspace admin as the viewer (every lead
// in scope, contacts visible).
func (w *ws) adminContext() context.Context {
	return auth.NewContext(w.ctx, &auth.Viewer{TenantID: w.id, UserID: w.admin, Roles: []string{"admin"},
		LeadScopes: []string{policy.ScopeAll}, ContactGrant: true})
}

// enrolled counts the enrolments of each lead in journey j.
func (w *ws) enrolled(j uuid.UUID) map[uuid.UUID]int {
	w.t.Helper()
	es, err := w.c.Enrollment.Query().Where(enrollment.JourneyID(j)).All(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[uuid.UUID]int{}
	for _, e := range es {
		out[e.LeadID]++
	}
	return out
}
