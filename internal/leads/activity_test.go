package leads_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/stagechange"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/testenv"
)

func TestFirstDealWinsLaterDealsAreRepurchases(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	id := f.ingest(t, leads.Batch{Rows: []leads.Row{{Name: "买家", Phone: "13800000009"}}}).Rows[0].LeadID
	before, err := f.c.Lead.Get(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	first, err := leads.New(f.c).CreateDeal(f.ctx, now, leads.DealInput{LeadID: id, Amount: 100, Actor: &f.admin})
	if err != nil || first.Repurchase {
		t.Fatalf("first deal %+v, %v", first, err)
	}
	l, err := f.c.Lead.Query().WithStage().Only(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l.Edges.Stage == nil || l.Edges.Stage.Kind != stage.KindWON {
		t.Fatalf("after the first deal the lead is in %+v, want a WON stage", l.Edges.Stage)
	}
	sc, err := f.c.StageChange.Query().Where(stagechange.LeadID(id)).All(f.ctx)
	if err != nil || len(sc) != 1 || sc[0].ToID != *l.StageID || sc[0].FromID == nil || *sc[0].FromID != *before.StageID {
		t.Fatalf("stage changes %+v, %v", sc, err)
	}
	second, err := leads.New(f.c).CreateDeal(f.ctx, now.Add(time.Hour), leads.DealInput{LeadID: id, Amount: 50})
	if err != nil || !second.Repurchase {
		t.Fatalf("second deal %+v, %v", second, err)
	}
	if n, _ := f.c.StageChange.Query().Where(stagechange.LeadID(id)).Count(f.ctx); n != 1 {
		t.Fatalf("a repurchase moved the stage again: %d changes", n)
	}
}

func TestOverdueFollowUpsAreTheLatestPromisesPassed(t *testing.T) {
	f := newFixture(t, testenv.NewDatabase(t))
	res := f.ingest(t, leads.Batch{Rows: []leads.Row{{Phone: "13800000011"}, {Phone: "13800000012"}, {Phone: "13800000013"}}})
	a, b, c := res.Rows[0].LeadID, res.Rows[1].LeadID, res.Rows[2].LeadID
	if err := f.c.Lead.Update().SetOwnerID(f.admin).Exec(f.ctx); err != nil {
		t.Fatal(err)
	}
	due := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	follow := func(id uuid.UUID, at time.Time, next *time.Time) {
		t.Helper()
		in := leads.FollowUpInput{LeadID: id, Kind: followup.KindCALL, Content: "called", NextFollowUpAt: next, Author: &f.admin}
		if _, err := leads.New(f.c).CreateFollowUp(f.ctx, at, in); err != nil {
			t.Fatal(err)
		}
	}
	follow(a, now, due(24*time.Hour))  // due tomorrow
	follow(b, now, due(48*time.Hour))  // due in two days, then followed up again
	follow(b, now.Add(time.Hour), nil) // newer follow-up without a promise
	follow(c, now, due(72*time.Hour))  // not yet due
	late := now.Add(60 * time.Hour)
	got, err := leads.New(f.c).OverdueFollowUps(f.ctx, f.admin, late, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].LeadID != a {
		t.Fatalf("overdue at +60h: %+v, want only lead a's promise", got)
	}
	if got, _ := leads.New(f.c).OverdueFollowUps(f.ctx, f.admin, now.Add(80*time.Hour), 10); len(got) != 2 || got[0].LeadID != a || got[1].LeadID != c {
		t.Fatalf("overdue at +80h: %+v, want a then c", got)
	}
	// The count agrees with the list, and the limit does not cap it.
	for _, c := range []struct {
		at   time.Time
		want int
	}{{now, 0}, {late, 1}, {now.Add(80 * time.Hour), 2}} {
		if n, err := leads.New(f.c).CountOverdueFollowUps(f.ctx, f.admin, c.at); err != nil || n != c.want {
			t.Errorf("count at %v: %d %v, want %d", c.at, n, err, c.want)
		}
	}
}
