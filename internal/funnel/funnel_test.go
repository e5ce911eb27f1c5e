package funnel_test

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/delivery"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/funnel"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
)

var groupings = []funnel.GroupBy{funnel.ByNone, funnel.BySource, funnel.ByChannel, funnel.ByOwner, funnel.ByTeam, funnel.ByTerritory}

// day is from plus n days.
func day(n int) time.Time { return from.Add(time.Duration(n) * 24 * time.Hour) }

// TestStepDefinitions pins each rule of the package doc with one lead per
// case (its source names the case), counted by a SOURCE funnel.
func TestStepDefinitions(t *testing.T) {
	t.Parallel()
	wd := newWorld(t, testenv.NewDatabase(t))
	st := wd.stages
	connected, interested := followup.OutcomeCONNECTED, followup.OutcomeINTERESTED
	noAnswer, notInterested, callback := followup.OutcomeNO_ANSWER, followup.OutcomeNOT_INTERESTED, followup.OutcomeCALLBACK
	assigned := func(at time.Time) []ownerChange {
		return []ownerChange{{to: &wd.rep1, kind: ownerchange.KindASSIGN, at: at}}
	}
	delivered := func(status delivery.Status, dl, rp *time.Time) []deliveryFacts {
		return []deliveryFacts{{broadcast: wd.broadcasts[0].id, channel: "sms", status: status, delivered: dl, replied: rp}}
	}
	deal := func(closed time.Time, flag bool) dealFacts {
		return dealFacts{owner: &wd.rep1, cents: 1000, closed: closed, flag: flag}
	}
	cases := []struct {
		name string
		lead leadFacts
		want int // the furthest step; -1: not in the cohort
	}{
		{"nothing happened", leadFacts{}, 0},
		{"created at from", leadFacts{created: from}, 0},
		{"created at to", leadFacts{created: to}, -1},
		{"created before from", leadFacts{created: from.Add(-time.Minute)}, -1},
		{"merged", leadFacts{status: lead.StatusMERGED, deals: []dealFacts{deal(day(2), false)}}, -1},
		{"archived", leadFacts{status: lead.StatusARCHIVED, deals: []dealFacts{deal(day(2), false)}}, 4},
		{"delivered", leadFacts{deliveries: delivered(delivery.StatusDELIVERED, ptr(day(2)), nil)}, 1},
		{"delivered at to", leadFacts{deliveries: delivered(delivery.StatusDELIVERED, &to, nil)}, 0},
		{"delivered, then failed", leadFacts{deliveries: delivered(delivery.StatusFAILED, ptr(day(2)), nil)}, 0},
		{"sent only", leadFacts{deliveries: []deliveryFacts{{broadcast: wd.broadcasts[0].id, status: delivery.StatusSENT, sent: ptr(day(2))}}}, 0},
		{"assigned and called", leadFacts{changes: assigned(day(2)), followUps: []followUpFacts{{outcome: &noAnswer, at: day(3)}}}, 1},
		{"called before assigned", leadFacts{changes: assigned(day(3)), followUps: []followUpFacts{{at: day(2)}}}, 1},
		{"assigned, never called", leadFacts{changes: assigned(day(2))}, 0},
		{"called, never assigned", leadFacts{followUps: []followUpFacts{{outcome: &noAnswer, at: day(3)}}}, 0},
		{"assigned, called at to", leadFacts{changes: assigned(day(2)), followUps: []followUpFacts{{at: to}}}, 0},
		{"assigned at to, called", leadFacts{changes: assigned(to), followUps: []followUpFacts{{at: day(2)}}}, 0},
		{"released, called", leadFacts{changes: []ownerChange{{kind: ownerchange.KindRELEASE, at: day(2)}}, followUps: []followUpFacts{{at: day(3)}}}, 0},
		{"connected", leadFacts{followUps: []followUpFacts{{outcome: &connected, at: day(3)}}}, 2},
		{"interested", leadFacts{followUps: []followUpFacts{{outcome: &interested, at: day(3)}}}, 2},
		{"interested at to", leadFacts{followUps: []followUpFacts{{outcome: &interested, at: to}}}, 0},
		{"not interested", leadFacts{followUps: []followUpFacts{{outcome: &notInterested, at: day(3)}}}, 0},
		{"callback", leadFacts{followUps: []followUpFacts{{outcome: &callback, at: day(3)}}}, 0},
		{"replied", leadFacts{deliveries: delivered(delivery.StatusREPLIED, ptr(day(2)), ptr(day(3)))}, 2},
		{"replied, delivery unconfirmed", leadFacts{deliveries: delivered(delivery.StatusREPLIED, nil, ptr(day(3)))}, 2},
		{"replied at to", leadFacts{deliveries: delivered(delivery.StatusREPLIED, ptr(day(2)), &to)}, 1},
		{"replied after to", leadFacts{deliveries: delivered(delivery.StatusREPLIED, ptr(day(2)), ptr(to.Add(time.Hour)))}, 1},
		{"moved to intent", leadFacts{moves: []move{{to: st["intent"], at: day(2)}}}, 3},
		{"moved to intent at to", leadFacts{moves: []move{{to: st["intent"], at: to}}}, 0},
		{"through negotiating to lost", leadFacts{moves: []move{{to: st["negotiating"], at: day(2)}, {to: st["lost"], at: day(3)}}}, 3},
		{"created in intent", leadFacts{initial: ptr(st["intent"])}, 3},
		{"created in intent, moved to new", leadFacts{initial: ptr(st["intent"]), moves: []move{{to: st["new"], at: day(2)}}}, 3},
		{"created in new, moved to intent after to", leadFacts{moves: []move{{to: st["intent"], at: to.Add(time.Hour)}}}, 0},
		{"stageless", leadFacts{initial: nil}, 0},
		{"stageless, then negotiating", leadFacts{moves: []move{{to: st["negotiating"], at: day(2)}}}, 3},
		{"contacted stage", leadFacts{moves: []move{{to: st["contacted"], at: day(2)}}}, 2},
		{"stage mapped to delivered", leadFacts{initial: ptr(st["vip-reached"])}, 1},
		{"won stage", leadFacts{moves: []move{{to: st["won"], at: day(2)}}}, 4},
		{"stage mapped to repurchase", leadFacts{moves: []move{{to: st["vip-again"], at: day(2)}}}, 5},
		{"deal", leadFacts{deals: []dealFacts{deal(day(5), false)}}, 4},
		{"deal at to", leadFacts{deals: []dealFacts{deal(to, false)}}, 0},
		{"two deals", leadFacts{deals: []dealFacts{deal(day(5), false), deal(day(6), true)}}, 5},
		{"flagged repurchase only before to", leadFacts{deals: []dealFacts{deal(to.Add(time.Hour), false), deal(day(6), true)}}, 4},
	}
	facts := make([]*leadFacts, len(cases))
	for i := range cases {
		l := cases[i].lead
		l.source = cases[i].name
		if l.created.IsZero() {
			l.created = day(1)
		}
		if l.status == "" {
			l.status = lead.StatusACTIVE
		}
		if l.initial == nil && cases[i].name != "stageless" && cases[i].name != "stageless, then negotiating" {
			l.initial = ptr(st["new"])
		}
		facts[i] = &l
	}
	wd.write(t, facts)
	got, err := (&funnel.Service{Client: wd.w.C}).Funnel(wd.w.Ctx, from, to, funnel.BySource)
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string]funnel.Group{}
	for _, g := range got {
		bySource[g.Key] = g
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The model of the other tests must agree with the rules.
			if m := wd.reached(facts[i]); inCohort(facts[i]) && m != c.want {
				t.Errorf("model says step %d, the rule %d", m, c.want)
			}
			g, ok := bySource[c.name]
			if c.want < 0 {
				if ok {
					t.Fatalf("lead outside the cohort counted: %+v", g)
				}
				return
			}
			if !ok {
				t.Fatal("lead missing from the funnel")
			}
			for s, sc := range g.Steps {
				if want := b2i(s <= c.want); sc.Step != funnel.Steps[s] || sc.Count != want {
					t.Errorf("step %d: got %s=%d, want %s=%d", s, sc.Step, sc.Count, funnel.Steps[s], want)
				}
			}
		})
	}
	t.Run("rates", func(t *testing.T) {
		one := 1.0
		zero := 0.0
		// one lead stuck at LISTED: 0 of 1 delivered, then nothing to divide by
		checkRates(t, bySource["nothing happened"], []*float64{nil, &zero, nil, nil, nil, nil})
		checkRates(t, bySource["two deals"], []*float64{nil, &one, &one, &one, &one, &one})
		checkRates(t, bySource["moved to intent"], []*float64{nil, &one, &one, &one, &zero, nil})
	})
}

// TestChannelIsTheFirstDelivery: CHANNEL keys a lead by the broadcast
// whose message reached it first before to, whatever the others did.
func TestChannelIsTheFirstDelivery(t *testing.T) {
	t.Parallel()
	wd := newWorld(t, testenv.NewDatabase(t))
	sms, webhook, email := wd.broadcasts[0].id, wd.broadcasts[2].id, wd.broadcasts[3].id
	dl := func(b uuid.UUID, ch string, status delivery.Status, at *time.Time) deliveryFacts {
		d := deliveryFacts{broadcast: b, channel: ch, status: status, delivered: at}
		if status == delivery.StatusREPLIED {
			d.replied = ptr(day(20))
		}
		return d
	}
	leads := []*leadFacts{
		{deliveries: []deliveryFacts{dl(webhook, "webhook", delivery.StatusDELIVERED, ptr(day(3))),
			dl(email, "email", delivery.StatusDELIVERED, ptr(day(2))), dl(sms, "sms", delivery.StatusREPLIED, nil)}},
		{deliveries: []deliveryFacts{dl(sms, "sms", delivery.StatusDELIVERED, &to), dl(webhook, "webhook", delivery.StatusFAILED, nil)}},
		{deliveries: []deliveryFacts{dl(email, "email", delivery.StatusREPLIED, ptr(day(5)))}},
		{deliveries: []deliveryFacts{dl(webhook, "webhook", delivery.StatusDELIVERED, ptr(day(4))),
			dl(sms, "sms", delivery.StatusREPLIED, ptr(day(4).Add(time.Hour)))}},
		{},
		// the status wins over a delivery receipt
		{deliveries: []deliveryFacts{dl(email, "email", delivery.StatusFAILED, ptr(day(2))), dl(sms, "sms", delivery.StatusDELIVERED, ptr(day(3)))}},
		// a tie on delivered_at goes to the smaller delivery id (random
		// within a millisecond; the model reads the ids)
		{deliveries: []deliveryFacts{dl(sms, "sms", delivery.StatusDELIVERED, ptr(day(6))), dl(webhook, "webhook", delivery.StatusDELIVERED, ptr(day(6)))}},
		{deliveries: []deliveryFacts{dl(wd.broadcasts[1].id, "sms", delivery.StatusDELIVERED, ptr(day(7))), dl(email, "email", delivery.StatusDELIVERED, ptr(day(7)))}},
	}
	for _, l := range leads {
		l.created, l.status, l.initial = day(1), lead.StatusACTIVE, ptr(wd.stages["new"])
	}
	wd.write(t, leads)
	got, err := (&funnel.Service{Client: wd.w.C}).Funnel(wd.w.Ctx, from, to, funnel.ByChannel)
	if err != nil {
		t.Fatal(err)
	}
	want := wd.expectFunnel(funnel.ByChannel, func(*leadFacts) bool { return true })
	listed := map[string]int{}
	for k, c := range want {
		listed[k] = c[0]
	}
	if listed[funnel.NoValue] != 2 || listed["email"] < 2 || listed["webhook"] < 1 || listed["sms"] < 1 ||
		listed["email"]+listed["sms"]+listed["webhook"] != 6 {
		t.Fatalf("the model keys the leads %v", listed)
	}
	compareFunnel(t, got, want)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func checkRates(t *testing.T, g funnel.Group, want []*float64) {
	t.Helper()
	for i, sc := range g.Steps {
		switch {
		case want[i] == nil && sc.Rate != nil:
			t.Errorf("%s %s: rate %v, want none", g.Key, sc.Step, *sc.Rate)
		case want[i] != nil && (sc.Rate == nil || *sc.Rate != *want[i]):
			t.Errorf("%s %s: rate %v, want %v", g.Key, sc.Step, sc.Rate, *want[i])
		}
	}
}

// viewers are the callers the generated data is read as, with the leads
// each one sees.
func viewers(wd *world) []struct {
	name    string
	ctx     context.Context
	visible func(*leadFacts) bool
} {
	v := func(user uuid.UUID, scopes ...string) context.Context {
		return auth.NewContext(wd.w.Ctx, &auth.Viewer{TenantID: wd.w.ID, UserID: user, Roles: []string{"rep"}, LeadScopes: scopes})
	}
	owns := func(users ...uuid.UUID) func(*leadFacts) bool {
		return func(l *leadFacts) bool { return l.owner != nil && slices.Contains(users, *l.owner) }
	}
	all := func(*leadFacts) bool { return true }
	return []struct {
		name    string
		ctx     context.Context
		visible func(*leadFacts) bool
	}{
		{"no viewer", wd.w.Ctx, all},
		{"scope all", v(wd.rep3, policy.ScopeOwn, policy.ScopeAll), all},
		{"own", v(wd.rep2, policy.ScopeOwn), owns(wd.rep2)},
		{"team manager", v(wd.rep1, policy.ScopeTeam), owns(wd.rep1, wd.rep2)},
		{"no scope", v(wd.rep1), func(*leadFacts) bool { return false }},
	}
}

// generatedWorld writes two workspaces of random leads into one database;
// the first is the one under test, the second must never leak into it.
func generatedWorld(t *testing.T) *world {
	t.Helper()
	db := testenv.NewDatabase(t)
	wd := newWorld(t, db)
	wd.write(t, wd.generate(7, 400))
	other := newWorld(t, db)
	other.write(t, other.generate(8, 150))
	return wd
}

// TestFunnelMatchesIndependentCount compares every grouping, read by
// callers of several row scopes, with the counts computed in Go from the
// generated facts.
func TestFunnelMatchesIndependentCount(t *testing.T) {
	t.Parallel()
	wd := generatedWorld(t)
	// The data must exercise what is compared: every step reached, several
	// groups under each grouping, leads left out of the cohort.
	total := wd.expectFunnel(funnel.ByNone, func(*leadFacts) bool { return true })[""]
	for s, n := range total {
		if n == 0 || (s > 0 && n == total[s-1]) {
			t.Fatalf("generated data too thin: %v", total)
		}
	}
	if total[0] == len(wd.leads) {
		t.Fatal("generated data has no lead outside the cohort")
	}
	for _, by := range groupings[1:] {
		if n := len(wd.expectFunnel(by, func(*leadFacts) bool { return true })); n < 3 {
			t.Fatalf("generated data has %d groups by %s", n, by)
		}
	}
	svc := &funnel.Service{Client: wd.w.C}
	for _, v := range viewers(wd) {
		for _, by := range groupings {
			t.Run(v.name+"/"+string(by), func(t *testing.T) {
				got, err := svc.Funnel(v.ctx, from, to, by)
				if err != nil {
					t.Fatal(err)
				}
				compareFunnel(t, got, wd.expectFunnel(by, v.visible))
			})
		}
	}
	t.Run("empty groupBy is NONE", func(t *testing.T) {
		got, err := svc.Funnel(wd.w.Ctx, from, to, "")
		if err != nil {
			t.Fatal(err)
		}
		compareFunnel(t, got, map[string][6]int{"": total})
	})
	t.Run("an empty period", func(t *testing.T) {
		for _, by := range []funnel.GroupBy{funnel.ByNone, funnel.BySource} {
			got, err := svc.Funnel(wd.w.Ctx, to.AddDate(1, 0, 0), to.AddDate(1, 1, 0), by)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][6]int{}
			if by == funnel.ByNone {
				want[""] = [6]int{}
			}
			compareFunnel(t, got, want)
		}
	})
}

// compareFunnel checks counts, step names, rates and the order of groups.
func compareFunnel(t *testing.T, got []funnel.Group, want map[string][6]int) {
	t.Helper()
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g.Key] {
			t.Errorf("group %q twice", g.Key)
		}
		seen[g.Key] = true
		w, ok := want[g.Key]
		if !ok {
			t.Errorf("unexpected group %q: %+v", g.Key, g.Steps)
			continue
		}
		if len(g.Steps) != len(funnel.Steps) {
			t.Fatalf("group %q has %d steps", g.Key, len(g.Steps))
		}
		for i, sc := range g.Steps {
			if sc.Step != funnel.Steps[i] || sc.Count != w[i] {
				t.Errorf("group %q step %d: got %s=%d, want %s=%d", g.Key, i, sc.Step, sc.Count, funnel.Steps[i], w[i])
			}
			var rate *float64
			if i > 0 && w[i-1] > 0 {
				rate = ptr(float64(w[i]) / float64(w[i-1]))
			}
			if (rate == nil) != (sc.Rate == nil) || (rate != nil && *rate != *sc.Rate) {
				t.Errorf("group %q %s: rate %v, want %v", g.Key, sc.Step, deref(sc.Rate), deref(rate))
			}
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("group %q missing (want %v)", k, want[k])
		}
	}
	if !slices.IsSortedFunc(got, func(a, b funnel.Group) int {
		return cmp.Or(cmp.Compare(b.Steps[0].Count, a.Steps[0].Count), cmp.Compare(a.Key, b.Key))
	}) {
		t.Error("groups are not ordered largest first, then by key")
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestLeaderboardMatchesIndependentCount compares the leaderboard with the
// reps' numbers computed in Go, for callers of several row scopes.
func TestLeaderboardMatchesIndependentCount(t *testing.T) {
	t.Parallel()
	wd := generatedWorld(t)
	all := wd.expectLeaderboard(func(*leadFacts) bool { return true })
	converted := 0
	for _, r := range all {
		converted += r.Converted
	}
	if len(all) < 3 || converted == 0 {
		t.Fatalf("generated data too thin: %+v", all)
	}
	svc := &funnel.Service{Client: wd.w.C}
	for _, v := range viewers(wd) {
		t.Run(v.name, func(t *testing.T) {
			want := wd.expectLeaderboard(v.visible)
			got, err := svc.Leaderboard(v.ctx, from, to, funnel.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			compareLeaderboard(t, got, want)
			if len(want) > 2 {
				top, err := svc.Leaderboard(v.ctx, from, to, 2)
				if err != nil {
					t.Fatal(err)
				}
				compareLeaderboard(t, top, want[:2])
			}
		})
	}
}

func compareLeaderboard(t *testing.T, got, want []funnel.RepStats) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d reps, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.UserID != w.UserID || g.Leads != w.Leads || g.Converted != w.Converted || g.Deals != w.Deals ||
			math.Round(g.Amount*100) != math.Round(w.Amount*100) || deref(g.Conversion) != deref(w.Conversion) {
			t.Errorf("line %d:\n got %+v (conversion %v)\nwant %+v (conversion %v)", i, g, deref(g.Conversion), w, deref(w.Conversion))
		}
	}
}

func TestInputErrors(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	wd := newWorld(t, db)
	svc := &funnel.Service{Client: wd.w.C}
	ctx := wd.w.Ctx
	funnelErr := func(f, u time.Time, by funnel.GroupBy) func() error {
		return func() error { _, err := svc.Funnel(ctx, f, u, by); return err }
	}
	boardErr := func(f, u time.Time, limit int) func() error {
		return func() error { _, err := svc.Leaderboard(ctx, f, u, limit); return err }
	}
	for _, c := range []struct {
		name  string
		call  func() error
		field string // "" means no error
	}{
		{"funnel ok", funnelErr(from, to, funnel.BySource), ""},
		{"funnel of three years", funnelErr(from, from.AddDate(3, 0, 0), funnel.ByNone), ""},
		{"funnel over three years", funnelErr(from, from.AddDate(3, 0, 0).Add(time.Second), funnel.ByNone), "to"},
		{"funnel to before from", funnelErr(to, from, funnel.ByNone), "to"},
		{"funnel empty period", funnelErr(from, from, funnel.ByNone), "to"},
		{"funnel no from", funnelErr(time.Time{}, to, funnel.ByNone), "from"},
		{"funnel no to", funnelErr(from, time.Time{}, funnel.ByNone), "to"},
		{"funnel bad groupBy", funnelErr(from, to, "REGION"), "groupBy"},
		{"funnel lower-case groupBy", funnelErr(from, to, "source"), "groupBy"},
		{"leaderboard ok", boardErr(from, to, 0), ""},
		{"leaderboard over three years", boardErr(from, from.AddDate(3, 0, 1), 10), "to"},
		{"leaderboard to before from", boardErr(to, from, 10), "to"},
		{"leaderboard negative limit", boardErr(from, to, -1), "limit"},
		{"leaderboard limit too large", boardErr(from, to, funnel.MaxLimit+1), "limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.BadInput || e.Field != c.field {
				t.Fatalf("got %v, want BAD_USER_INPUT at %q", err, c.field)
			}
		})
	}
	t.Run("no workspace", func(t *testing.T) {
		if _, err := svc.Funnel(context.Background(), from, to, funnel.ByNone); !errors.Is(err, tenant.ErrMissing) {
			t.Errorf("funnel: got %v, want %v", err, tenant.ErrMissing)
		}
		if _, err := svc.Leaderboard(context.Background(), from, to, 0); !errors.Is(err, tenant.ErrMissing) {
			t.Errorf("leaderboard: got %v, want %v", err, tenant.ErrMissing)
		}
	})
}
