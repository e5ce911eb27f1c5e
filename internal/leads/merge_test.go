package leads_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/testenv"
)

func TestMergeLeadsSurvivorshipAndHistory(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	res := f.ingest(t, leads.Batch{Rows: []leads.Row{
		{Name: "张三", Phone: "13800000001", Attributes: nil, Tags: []string{"A"}},
		{Name: "", Email: "zs@example.com", Company: "Acme", Tags: []string{"B"}},
		{Name: "Zhang", UnionID: "union-1", ExternalID: "crm-9", Tags: []string{"A", "C"}},
	}})
	p, d1, d2 := res.Rows[0].LeadID, res.Rows[1].LeadID, res.Rows[2].LeadID
	// Exclusive group: the primary's 冷 stays, the duplicate's 热 does not come along.
	g, err := tagging.New(f.c, nil).CreateTagGroup(f.ctx, "温度", true, 0, []string{"冷", "热"})
	if err != nil {
		t.Fatal(err)
	}
	tg := g.Edges.Tags
	if tg == nil {
		tg, _ = g.QueryTags().All(f.ctx)
	}
	byName := map[string]uuid.UUID{}
	for _, x := range tg {
		byName[x.Name] = x.ID
	}
	if _, err := tagging.New(f.c, nil).TagLeads(f.ctx, []uuid.UUID{p}, []uuid.UUID{byName["冷"]}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := tagging.New(f.c, nil).TagLeads(f.ctx, []uuid.UUID{d1}, []uuid.UUID{byName["热"]}, nil, ""); err != nil {
		t.Fatal(err)
	}
	fu, err := leads.New(f.c).CreateFollowUp(f.ctx, now, leads.FollowUpInput{LeadID: d1, Kind: followup.KindCALL, Content: "called"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := f.c.Task.Create().SetTitle("call back").SetDueAt(now).SetAssigneeID(f.admin).SetLeadID(d1).Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	deal, err := leads.New(f.c).CreateDeal(f.ctx, now, leads.DealInput{LeadID: d2, Amount: 99.999})
	if err != nil || deal.Amount != 100 || deal.Currency != "CNY" {
		t.Fatalf("deal %+v %v", deal, err)
	}
	if _, err := events.Track(f.ctx, f.c, "CN", "api", now, []events.Input{{LeadID: &d2, Name: "viewed_ad"}}); err != nil {
		t.Fatal(err)
	}

	later := now.Add(time.Minute)
	svc, told, tagsTold := leads.New(f.c), &eventsTold{}, &tagsTold{}
	svc.Events, svc.Tags = &events.Recorder{Watcher: told}, tagsTold
	merged, err := svc.Merge(f.ctx, p, []uuid.UUID{d1, d2}, &f.admin, later)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Name != "张三" || *merged.Phone != "+8613800000001" || merged.Email == nil || *merged.Email != "zs@example.com" ||
		merged.UnionID == nil || *merged.ExternalID != "crm-9" || merged.Company != "Acme" {
		t.Fatalf("primary after merge: %+v", merged)
	}
	if merged.LastFollowUpAt == nil || !merged.LastFollowUpAt.Equal(now) {
		t.Fatalf("lastFollowUpAt %v", merged.LastFollowUpAt)
	}
	for _, d := range []uuid.UUID{d1, d2} {
		l, err := f.c.Lead.Get(f.ctx, d)
		if err != nil || l.Status != lead.StatusMERGED || l.MergedIntoID == nil || *l.MergedIntoID != p {
			t.Fatalf("duplicate %s: %+v %v", d, l, err)
		}
	}
	moved, err := f.c.FollowUp.Get(f.ctx, fu.ID)
	if err != nil || moved.LeadID != p {
		t.Fatalf("follow-up not moved: %+v", moved)
	}
	dl, err := f.c.Deal.Get(f.ctx, deal.ID)
	if err != nil || dl.LeadID != p {
		t.Fatalf("deal not moved: %+v", dl)
	}
	if movedTask, err := f.c.Task.Get(f.ctx, tk.ID); err != nil || movedTask.LeadID == nil || *movedTask.LeadID != p {
		t.Fatalf("task not moved: %+v %v", movedTask, err)
	}
	if n := countEvents(t, f, p, "viewed_ad"); n != 1 {
		t.Fatalf("events not moved: %d", n)
	}
	if n := countEvents(t, f, p, "lead.merged"); n != 1 {
		t.Fatalf("no lead.merged event")
	}
	// The event trigger hears of it in the merge's transaction.
	if want := []string{"lead.merged " + p.String() + " in the merge"}; !slices.Equal(told.got, want) {
		t.Fatalf("the events watcher was told %q, want %q", told.got, want)
	}
	tags, err := f.c.Lead.Query().Where(lead.ID(p)).QueryTags().All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range tags {
		names = append(names, x.Name)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "A,B,C,冷" {
		t.Fatalf("primary tags %v, want A,B,C,冷", names)
	}
	// The tag trigger hears of the tags the primary did not have (B, C),
	// in the merge's transaction: not A and 冷, which it had, nor 热, which
	// stayed behind.
	nameOf := map[uuid.UUID]string{}
	for _, x := range tags {
		nameOf[x.ID] = x.Name
	}
	var added []string
	for _, s := range tagsTold.got {
		tag, rest, _ := strings.Cut(s, " ")
		added = append(added, nameOf[uuid.MustParse(tag)]+" "+rest)
	}
	sort.Strings(added)
	if want := []string{"B " + p.String() + " in the merge", "C " + p.String() + " in the merge"}; !slices.Equal(added, want) {
		t.Fatalf("the tags watcher was told %q, want %q", added, want)
	}
	// The duplicates' identities now find the primary.
	res = f.ingest(t, leads.Batch{Rows: []leads.Row{{Email: "zs@example.com"}}})
	if res.Rows[0].LeadID != p {
		t.Fatalf("ingest after merge went to %s", res.Rows[0].LeadID)
	}

	// Refusals write nothing.
	for _, tc := range []struct {
		name    string
		primary uuid.UUID
		dups    []uuid.UUID
		code    apperr.Code
		field   string
	}{
		{"merged duplicate", p, []uuid.UUID{d1}, apperr.Conflict, "duplicateIDs[0]"},
		{"self", p, []uuid.UUID{p}, apperr.BadInput, "duplicateIDs[0]"},
		{"none", p, nil, apperr.BadInput, "duplicateIDs"},
		{"unknown", p, []uuid.UUID{uuid.New()}, apperr.NotFound, "duplicateIDs[0]"},
	} {
		_, err := leads.New(f.c).Merge(f.ctx, tc.primary, tc.dups, nil, later)
		e, ok := apperr.As(err)
		if !ok || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: %v, want %s at %s", tc.name, err, tc.code, tc.field)
		}
	}
}

// eventsTold records what an events.Watcher is told, and whether in the
// merge's transaction.
type eventsTold struct{ got []string }

func (e *eventsTold) EventTracked(ctx context.Context, name string, ids []uuid.UUID) error {
	for _, id := range ids {
		s := name + " " + id.String()
		// The merge's transaction: the merged duplicates are MERGED in it.
		if n, err := ent.FromContext(ctx).Lead.Query().Where(lead.StatusEQ(lead.StatusMERGED)).Count(ctx); err == nil && n == 2 {
			s += " in the merge"
		}
		e.got = append(e.got, s)
	}
	return nil
}

// tagsTold records what a leads.TagWatcher is told ("tag lead"), and
// whether in the merge's transaction.
type tagsTold struct{ got []string }

func (e *tagsTold) TagsAdded(ctx context.Context, added map[uuid.UUID][]uuid.UUID) error {
	for tag, ids := range added {
		for _, id := range ids {
			s := tag.String() + " " + id.String()
			if n, err := ent.FromContext(ctx).Lead.Query().Where(lead.StatusEQ(lead.StatusMERGED)).Count(ctx); err == nil && n == 2 {
				s += " in the merge"
			}
			e.got = append(e.got, s)
		}
	}
	return nil
}
