package scoring_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/scorehit"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/rules/rulestest"
	"github.com/scrmhq/scrm/internal/scoring"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

type fixture struct {
	*rulestest.Workspace
	clock *platform.FakeClock
	svc   *scoring.Service
}

func newFixture(t *testing.T, db *testenv.Database) *fixture {
	t.Helper()
	w := rulestest.NewWorkspace(t, db)
	clock := platform.NewFakeClock(t0)
	return &fixture{Workspace: w, clock: clock, svc: &scoring.Service{Client: w.C, Now: clock.Now}}
}

func (f *fixture) rule(t *testing.T, condition string, points int, decayDays *int) *ent.ScoringRule {
	t.Helper()
	r, err := f.C.ScoringRule.Create().SetName(fmt.Sprintf("%s → %d", condition, points)).
		SetCondition(condition).SetPoints(points).SetNillableDecayDays(decayDays).Save(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) score(t *testing.T, ids ...uuid.UUID) {
	t.Helper()
	if err := f.svc.Score(f.Ctx, ids); err != nil {
		t.Fatalf("score: %v", err)
	}
}

// want checks a lead's score and tier ("" for none).
func (f *fixture) want(t *testing.T, id uuid.UUID, score int, tier string) {
	t.Helper()
	l := f.Get(t, id)
	got := ""
	if l.Tier != nil {
		got = string(*l.Tier)
	}
	if l.Score != score || got != tier {
		t.Errorf("lead %q: score %d tier %q, want %d %q", l.Name, l.Score, got, score, tier)
	}
}

// hits returns the rules a lead has hits of, with their matched_at.
func (f *fixture) hits(t *testing.T, id uuid.UUID) map[uuid.UUID]time.Time {
	t.Helper()
	hs, err := f.C.ScoreHit.Query().Where(scorehit.LeadID(id)).All(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uuid.UUID]time.Time{}
	for _, h := range hs {
		out[h.RuleID] = h.MatchedAt.UTC()
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// num reads the number a test lead is named after.
func num(t *testing.T, name string) int {
	t.Helper()
	i, err := strconv.Atoi(name)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestScoreSumsRulesIncludingNegative(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.Field(t, "budget", fields.TypeNumber)
	big := f.rule(t, `attributes.budget > 1000`, 30, nil)
	vip := f.rule(t, `"vip" in tags`, 25, nil)
	spam := f.rule(t, `lead.source == "spam"`, -40, nil)
	off := f.rule(t, `true`, 500, nil)
	if err := f.C.ScoringRule.UpdateOne(off).SetEnabled(false).Exec(f.Ctx); err != nil {
		t.Fatal(err)
	}

	rich := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("rich").SetAttributes(map[string]any{"budget": 5000.0}) })
	f.Tag(t, rich, "vip")
	spammer := f.Lead(t, func(q *ent.LeadCreate) {
		q.SetName("spammer").SetSource("spam").SetAttributes(map[string]any{"budget": 5000.0})
	})
	plain := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("plain") })
	archived := f.Lead(t, func(q *ent.LeadCreate) {
		q.SetName("archived").SetStatus(lead.StatusARCHIVED).SetAttributes(map[string]any{"budget": 5000.0})
	})
	f.score(t, rich, spammer, plain, archived, rich, uuid.New())

	f.want(t, rich, 55, "B")
	f.want(t, spammer, -10, "D")
	f.want(t, plain, 0, "D")
	f.want(t, archived, 0, "") // not ACTIVE: untouched
	if h := f.hits(t, rich); len(h) != 2 || !h[big.ID].Equal(t0) || !h[vip.ID].Equal(t0) {
		t.Errorf("rich hits %v", h)
	}
	if h := f.hits(t, spammer); len(h) != 2 || h[spam.ID].IsZero() || h[big.ID].IsZero() {
		t.Errorf("spammer hits %v", h)
	}
	if len(f.hits(t, plain)) != 0 || len(f.hits(t, archived)) != 0 {
		t.Error("hits for leads that match nothing or are not active")
	}
}

func TestDecay(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.rule(t, `lead.source == "ad"`, 15, ptr(10))
	f.rule(t, `lead.source == "neg"`, -15, ptr(10))
	f.rule(t, `lead.source == "ad"`, 100, nil)
	ad := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("ad").SetSource("ad") })
	neg := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("neg").SetSource("neg") })

	for _, tc := range []struct {
		at       time.Duration
		ad, neg  int
		adTier   string
		negTier  string
		describe string
	}{
		{0, 115, -15, "A", "D", "day 0: full points"},
		{1 * day, 114, -14, "A", "D", "day 1: 13.5 → 14 (halves away from zero)"},
		{5 * day, 108, -8, "A", "D", "half-way: 7.5 → 8, -7.5 → -8"},
		{9*day + 12*time.Hour, 101, -1, "A", "D", "day 9.5: 0.75 → 1"},
		{10 * day, 100, 0, "A", "D", "day decay_days: nothing left"},
		{30 * day, 100, 0, "A", "D", "after: still nothing, never negative decay"},
	} {
		f.clock.Set(t0.Add(tc.at))
		if _, err := f.svc.Rescore(f.Ctx); err != nil {
			t.Fatal(err)
		}
		t.Log(tc.describe)
		f.want(t, ad, tc.ad, tc.adTier)
		f.want(t, neg, tc.neg, tc.negTier)
	}
}

func TestTierBoundaries(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.SetTiers(t, 60, 30, 10)
	tiers := schematype.TierThresholds{A: 60, B: 30, C: 10}
	want := map[int]string{1000: "A", 60: "A", 59: "B", 30: "B", 29: "C", 10: "C", 9: "D", 0: "D", -5: "D"}
	ids := map[int]uuid.UUID{}
	var all []uuid.UUID
	for pts := range want {
		name := fmt.Sprintf("s%d", pts)
		f.rule(t, fmt.Sprintf("lead.name == %q", name), pts, nil)
		ids[pts] = f.Lead(t, func(q *ent.LeadCreate) { q.SetName(name) })
		all = append(all, ids[pts])
	}
	f.score(t, all...)
	for pts, tier := range want {
		f.want(t, ids[pts], pts, tier)
		if got := scoring.TierOf(pts, tiers).String(); got != tier {
			t.Errorf("TierOf(%d) = %s, want %s", pts, got, tier)
		}
	}
	// Defaults when the workspace sets none.
	for pts, tier := range map[int]string{80: "A", 79: "B", 50: "B", 49: "C", 20: "C", 19: "D"} {
		if got := scoring.TierOf(pts, workspace.DefaultTiers).String(); got != tier {
			t.Errorf("default TierOf(%d) = %s, want %s", pts, got, tier)
		}
	}
}

func TestLeadThatStopsMatchingLosesHitAndPoints(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	vip := f.rule(t, `"vip" in tags`, 50, ptr(10))
	id := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("x") })
	f.Tag(t, id, "vip")
	f.score(t, id)
	f.want(t, id, 50, "B")

	f.clock.Set(t0.Add(2 * day))
	f.score(t, id)
	f.want(t, id, 40, "C")
	if h := f.hits(t, id); !h[vip.ID].Equal(t0) {
		t.Fatalf("a hit kept while matching keeps its time: %v", h)
	}

	f.Untag(t, id)
	f.score(t, id)
	f.want(t, id, 0, "D")
	if len(f.hits(t, id)) != 0 {
		t.Fatal("hit kept after the lead stopped matching")
	}

	// Matching again starts over, with full points.
	f.clock.Set(t0.Add(5 * day))
	f.Tag(t, id, "vip")
	f.score(t, id)
	f.want(t, id, 50, "B")
	if h := f.hits(t, id); !h[vip.ID].Equal(t0.Add(5 * day)) {
		t.Fatalf("new hit at %v", h)
	}
}

func TestDisabledAndDeletedRules(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	a := f.rule(t, `lead.source == "ad"`, 30, nil)
	b := f.rule(t, `lead.source == "ad"`, 20, nil)
	id := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("x").SetSource("ad") })
	f.score(t, id)
	f.want(t, id, 50, "B")

	if err := f.C.ScoringRule.UpdateOne(a).SetEnabled(false).Exec(f.Ctx); err != nil {
		t.Fatal(err)
	}
	f.score(t, id)
	f.want(t, id, 20, "C")
	if h := f.hits(t, id); len(h) != 1 || h[b.ID].IsZero() {
		t.Fatalf("hits after disabling: %v", h)
	}

	if err := f.C.ScoringRule.DeleteOne(b).Exec(f.Ctx); err != nil {
		t.Fatal(err)
	}
	f.score(t, id)
	f.want(t, id, 0, "D")
	if len(f.hits(t, id)) != 0 {
		t.Fatal("hit of a deleted rule kept")
	}
}

func TestRuleUsingEventsAndTags(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.rule(t, `eventCount("page_view", 7) >= 2 && "vip" in tags`, 40, nil)
	f.rule(t, `eventCount("paid", 30) > 0`, 45, nil)
	hot := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("hot") })
	warm := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("warm") })
	cold := f.Lead(t, func(q *ent.LeadCreate) { q.SetName("cold") })
	for _, id := range []uuid.UUID{hot, warm, cold} {
		f.Tag(t, id, "vip")
	}
	f.Event(t, hot, "page_view", t0.Add(-time.Hour))
	f.Event(t, hot, "page_view", t0.Add(-6*day))
	f.Event(t, hot, "paid", t0.Add(-20*day))
	f.Event(t, warm, "page_view", t0.Add(-time.Hour))
	f.Event(t, cold, "page_view", t0.Add(-8*day))
	f.Event(t, cold, "page_view", t0.Add(-9*day))
	f.Event(t, cold, "paid", t0.Add(-31*day))
	f.score(t, hot, warm, cold)
	f.want(t, hot, 85, "A")
	f.want(t, warm, 0, "D")
	f.want(t, cold, 0, "D")

	// A day and a half later the older page view has left the 7-day window.
	f.clock.Set(t0.Add(36 * time.Hour))
	n, err := f.svc.Rescore(f.Ctx)
	if err != nil || n != 3 {
		t.Fatalf("rescore %d %v", n, err)
	}
	f.want(t, hot, 45, "C")
}

func TestRescoreWalksAllActiveLeadsInBatches(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.Field(t, "budget", fields.TypeMoney)
	f.rule(t, `lead.source == "ad"`, 10, nil)
	f.rule(t, `has(attributes.budget) && attributes.budget >= 100.0`, 15, ptr(30))
	const n = 2*scoring.BatchSize + 345
	ids := f.Leads(t, n, func(i int, q *ent.LeadCreate) {
		q.SetName(fmt.Sprint(i))
		if i%2 == 0 {
			q.SetSource("ad")
		}
		if i%3 == 0 {
			q.SetAttributes(map[string]any{"budget": 150.0})
		}
	})
	archived := f.Leads(t, 5, func(_ int, q *ent.LeadCreate) { q.SetSource("ad").SetStatus(lead.StatusMERGED) })

	got, err := f.svc.Rescore(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("rescored %d leads, want %d", got, n)
	}
	check := func(wantBudget int) {
		t.Helper()
		ls, err := f.C.Lead.Query().Where(lead.IDIn(ids...)).All(f.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for _, l := range ls {
			i := num(t, l.Name)
			want := 0
			if i%2 == 0 {
				want += 10
			}
			if i%3 == 0 {
				want += wantBudget
			}
			if l.Score != want || l.Tier == nil || *l.Tier != scoring.TierOf(want, workspace.DefaultTiers) {
				bad++
			}
		}
		if bad > 0 || len(ls) != n {
			t.Fatalf("%d of %d leads scored wrong", bad, len(ls))
		}
	}
	check(15)
	hits, err := f.C.ScoreHit.Query().Count(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (n+1)/2 + (n+2)/3; hits != want {
		t.Fatalf("%d hits, want %d", hits, want)
	}
	for _, id := range archived {
		f.want(t, id, 0, "")
	}

	// The nightly pass is what applies decay: 15 points over 30 days.
	f.clock.Set(t0.Add(20 * day))
	if _, err := f.svc.Rescore(f.Ctx); err != nil {
		t.Fatal(err)
	}
	check(5)
}

func TestBrokenRuleMatchesNothing(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	d := f.Field(t, "budget", fields.TypeNumber)
	f.rule(t, `attributes.budget > 10`, 30, nil)
	f.rule(t, `true`, 5, nil)
	id := f.Lead(t, func(q *ent.LeadCreate) { q.SetAttributes(map[string]any{"budget": 50.0}) })
	f.score(t, id)
	f.want(t, id, 35, "C")
	// Archiving the field breaks the rule: it gives no points until fixed.
	if _, err := f.Fields.SetArchived(f.Ctx, d.ID, true); err != nil {
		t.Fatal(err)
	}
	f.score(t, id)
	f.want(t, id, 5, "D")
}

func TestWorkspacesAreIsolated(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	a := newFixture(t, db)
	b := newFixture(t, db)
	a.rule(t, `true`, 90, nil)
	b.rule(t, `true`, 10, nil)
	la := a.Lead(t, nil)
	lb := b.Lead(t, nil)
	a.score(t, la, lb) // b's lead is not a's to score
	a.want(t, la, 90, "A")
	b.want(t, lb, 0, "")
	if n, err := b.svc.Rescore(b.Ctx); err != nil || n != 1 {
		t.Fatalf("b rescore %d %v", n, err)
	}
	b.want(t, lb, 10, "D")
	a.want(t, la, 90, "A")
	if err := a.svc.Score(context.Background(), []uuid.UUID{la}); err == nil {
		t.Fatal("scored without a workspace")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.Field(t, "budget", fields.TypeNumber)
	for expr, want := range map[string]string{
		`attributes.budget > 1000 && eventCount("page_view", 7) > 2`: "",
		`attributes.budgt > 1000`:                                    `1:1: attributes.budgt: no custom field "budgt"`,
		`lead.score > 10`:                                            "a scoring condition cannot use lead.score",
		`lead.tier == "A"`:                                           "a scoring condition cannot use lead.tier",
		`attributes.budget >`:                                        "1:20: Syntax error",
		`attributes.budget`:                                          "must be true or false (bool), not double",
		``:                                                           "empty",
	} {
		err := f.svc.Validate(f.Ctx, "condition", expr)
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", expr, err)
			}
			continue
		}
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.BadInput || e.Field != "condition" || !strings.Contains(e.Message, want) {
			t.Errorf("%q: got %v, want input error with %q", expr, err, want)
		}
	}
}

// Many processes may score the same leads at once (event bursts, the nightly
// pass): row locks taken in id order keep them from deadlocking or
// interleaving, and the result is the same as one pass.
func TestConcurrentScoring(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.rule(t, `lead.source == "ad"`, 30, nil)
	f.rule(t, `lead.name.endsWith("7")`, -5, nil)
	ids := f.Leads(t, 600, func(i int, q *ent.LeadCreate) {
		q.SetName(fmt.Sprint(i))
		if i%2 == 1 {
			q.SetSource("ad")
		}
	})
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			if g == 0 {
				_, err := f.svc.Rescore(f.Ctx)
				errs <- err
				return
			}
			// Each worker scores an overlapping slice, in its own order.
			part := append([]uuid.UUID(nil), ids[g*50:min(len(ids), g*50+400)]...)
			for i, j := 0, len(part)-1; i < j && g%2 == 0; i, j = i+1, j-1 {
				part[i], part[j] = part[j], part[i]
			}
			errs <- f.svc.Score(f.Ctx, part)
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ls, err := f.C.Lead.Query().Where(lead.IDIn(ids...)).All(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		i := num(t, l.Name)
		want := 0
		if i%2 == 1 {
			want += 30
		}
		if strings.HasSuffix(l.Name, "7") {
			want -= 5
		}
		if l.Score != want {
			t.Fatalf("lead %s: %d, want %d", l.Name, l.Score, want)
		}
	}
	if n, _ := f.C.ScoreHit.Query().Count(f.Ctx); n != 300+60 {
		t.Fatalf("%d hits, want %d", n, 360)
	}
}

// Scoring in a caller's transaction lands or rolls back with it.
func TestScoreInCallersTransaction(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.rule(t, `lead.name == "new"`, 60, nil)
	tx, err := f.C.Tx(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tx.Lead.Create().SetSeq(1).SetName("new").Save(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Score(ent.NewTxContext(f.Ctx, tx), []uuid.UUID{l.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := tx.Lead.Get(f.Ctx, l.ID)
	if err != nil || got.Score != 60 {
		t.Fatalf("in the transaction: %v %v", got, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.C.ScoreHit.Query().Count(f.Ctx); n != 0 {
		t.Fatalf("%d hits survived the rollback", n)
	}
}
