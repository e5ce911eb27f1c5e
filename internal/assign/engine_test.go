package assign_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/assignmenttarget"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/assign"
)

// TestWeightedShares: 10,000 leads through a 1:2:3 WEIGHTED rule land within
// 2% of 1/6, 2/6 and 3/6 — in fact exactly: smooth weighted round robin
// gives every aligned run of six leads one, two and three picks, which only
// holds if its state survives from one batch of 500 to the next.
func TestWeightedShares(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	reps := []uuid.UUID{f.rep(t, "One", repSpec{}), f.rep(t, "Two", repSpec{}), f.rep(t, "Three", repSpec{})}
	weights := []int{1, 2, 3}
	rule := f.rule(t, ruleSpec{name: "weighted", strategy: assignmentrule.StrategyWEIGHTED, targets: reps, weights: weights})
	const n = 10_000
	ids := f.leads(t, n, nil)

	res := f.run(t, f.engine(nil), ids)
	if len(res.Assigned) != n || len(res.Pooled)+len(res.Skipped) != 0 {
		t.Fatalf("%d assigned, %d pooled, %d skipped", len(res.Assigned), len(res.Pooled), len(res.Skipped))
	}
	got := counts(res)
	for i, u := range reps {
		share, want := float64(got[u])/n, float64(weights[i])/6
		if math.Abs(share-want) > 0.02 {
			t.Errorf("rep of weight %d: share %.4f, want %.4f ± 0.02", weights[i], share, want)
		}
	}
	bad := 0
	for b := 0; b+6 <= n; b += 6 {
		per := map[uuid.UUID]int{}
		for _, id := range ids[b : b+6] {
			per[res.Assigned[id]]++
		}
		for i, u := range reps {
			if per[u] != weights[i] {
				bad++
				if bad <= 3 {
					t.Errorf("leads %d-%d: rep of weight %d got %d", b, b+5, weights[i], per[u])
				}
			}
		}
	}
	targets, err := f.c.AssignmentTarget.Query().Where(assignmenttarget.RuleID(rule)).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, tg := range targets {
		sum += tg.Current
	}
	if sum != 0 {
		t.Errorf("weighted state sums to %d, want 0", sum)
	}
	f.checkResult(t, res, ids)
}

// TestRoundRobinAcrossWorkers: two engines on two connection pools, as two
// worker processes (three tasks at a time each), run interleaved batches of
// uneven sizes at the same time; the cursor on the locked rule row keeps
// the round fair, every rep ending within one lead of every other.
func TestRoundRobinAcrossWorkers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var reps []uuid.UUID
	for _, name := range []string{"Ann", "Bob", "Cai", "Dee", "Eve"} {
		reps = append(reps, f.rep(t, name, repSpec{}))
	}
	f.rule(t, ruleSpec{name: "round", strategy: assignmentrule.StrategyROUND_ROBIN, targets: reps})
	var batches [][]uuid.UUID
	var all []uuid.UUID
	for i := range 60 {
		b := f.leads(t, 20+(i*7)%11, nil) // 20..30: most batches do not end a round
		batches = append(batches, b)
		all = append(all, b...)
	}
	// Each process runs several tasks at once, as an Asynq worker does.
	processes := []*assign.Engine{f.engine(nil), f.engine(f.secondClient(t))}
	const perProcess = 3
	results := make([]*assign.Result, len(batches))
	errs := make([]error, len(batches))
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for w := range len(processes) * perProcess {
		e := processes[w%len(processes)]
		wg.Go(func() {
			<-gate
			for i := w; i < len(batches); i += len(processes) * perProcess {
				results[i], errs[i] = e.Run(f.ctx, batches[i])
			}
		})
	}
	close(gate)
	wg.Wait()
	merged := &assign.Result{Assigned: map[uuid.UUID]uuid.UUID{}}
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("batch %d: %v", i, errs[i])
		}
		for l, u := range res.Assigned {
			merged.Assigned[l] = u
		}
		merged.Pooled = append(merged.Pooled, res.Pooled...)
		merged.Skipped = append(merged.Skipped, res.Skipped...)
	}
	if len(merged.Assigned) != len(all) {
		t.Fatalf("%d of %d leads assigned", len(merged.Assigned), len(all))
	}
	got := counts(merged)
	lo, hi := len(all), 0
	for _, u := range reps {
		lo, hi = min(lo, got[u]), max(hi, got[u])
	}
	if hi-lo > 1 {
		t.Errorf("round robin over %d leads: counts %v differ by %d", len(all), got, hi-lo)
	}
	// Stronger: the batches, serialised by the rule lock, form one unbroken
	// round from the first rep (by id), so the reps that got one more are
	// exactly the first len(all) % 5 and the cursor points past them. A lost
	// cursor update would start some batch from a stale position.
	slices.SortFunc(reps, compare)
	for i, u := range reps {
		want := len(all) / len(reps)
		if i < len(all)%len(reps) {
			want++
		}
		if got[u] != want {
			t.Errorf("rep %d (by id) got %d leads, want %d of an unbroken round", i, got[u], want)
		}
	}
	r := f.c.AssignmentRule.Query().OnlyX(f.ctx)
	if r.Cursor != int64(len(all)%len(reps)) {
		t.Errorf("cursor %d, want %d", r.Cursor, len(all)%len(reps))
	}
	f.checkResult(t, merged, all)
}

// TestCapacityAndDailyCap: a full rep and an inactive one are passed over,
// the rule's daily cap stops the others, and what nobody may take goes to
// the fallback pool with its owner change. The cap counts from local
// midnight in the workspace's time zone (Asia/Shanghai), not UTC's.
func TestCapacityAndDailyCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.clock.Set(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)) // 23:00 in Shanghai
	full := f.rep(t, "Full", repSpec{capacity: 2})
	b := f.rep(t, "B", repSpec{capacity: 3})
	c := f.rep(t, "C", repSpec{capacity: 10})
	off := f.rep(t, "Off", repSpec{inactive: true})
	// Full owns two open leads; won and archived leads take no capacity.
	f.leads(t, 4, func(i int) leadSpec {
		s := leadSpec{owner: &full}
		switch i {
		case 2:
			s.stage = &f.won
		case 3:
			s.status = "ARCHIVED"
		}
		return s
	})
	overflow := f.newPool(t, "溢出池", 0)
	rule := f.rule(t, ruleSpec{name: "capped", strategy: assignmentrule.StrategyROUND_ROBIN, dailyCap: 2,
		fallback: &overflow, targets: []uuid.UUID{full, b, c, off}})

	day1 := f.leads(t, 6, nil)
	res := f.run(t, f.engine(nil), day1)
	f.checkResult(t, res, day1)
	if got := counts(res); len(got) != 2 || got[b] != 2 || got[c] != 2 {
		t.Fatalf("day 1: counts %v, want B 2 and C 2 (the daily cap)", got)
	}
	if len(res.Pooled) != 2 {
		t.Fatalf("day 1: pooled %v, want 2", res.Pooled)
	}
	now := f.clock.Now()
	leads := f.leadMap(t, day1)
	for id := range res.Assigned {
		if pu := leads[id].ProtectedUntil; pu == nil || !pu.Equal(now.Add(72*time.Hour)) {
			t.Errorf("lead %s: protected until %v, want the default pool's 3 days", id, pu)
		}
	}
	for _, id := range res.Pooled {
		l := leads[id]
		if l.OwnerID != nil || l.PoolID == nil || *l.PoolID != overflow {
			t.Errorf("pooled lead %s: owner %v pool %v, want the fallback pool", id, l.OwnerID, l.PoolID)
		}
		ch, err := f.c.OwnerChange.Query().Where(ownerchange.LeadID(id)).Only(f.ctx)
		if err != nil {
			t.Fatalf("owner change of pooled lead: %v", err)
		}
		if ch.Kind != ownerchange.KindAUTO_ASSIGN || ch.By != ownerchange.ByRULE || ch.ToUserID != nil ||
			ch.PoolID == nil || *ch.PoolID != overflow || ch.RuleID == nil || *ch.RuleID != rule ||
			ch.Reason != "rule capped: no eligible rep" || !ch.At.Equal(now) {
			t.Errorf("owner change of pooled lead: %+v", ch)
		}
	}

	// 23:50 local: still the same day; the leads already in the fallback pool stay, unrecorded.
	f.clock.Set(time.Date(2026, 11, 23, 15, 50, 0, 0, time.UTC))
	again := f.run(t, f.engine(nil), res.Pooled)
	if len(again.Assigned) != 0 || len(again.Pooled) != 2 {
		t.Fatalf("23:50: %+v, want both still pooled", again)
	}
	if n := f.c.OwnerChange.Query().Where(ownerchange.LeadIDIn(res.Pooled...)).CountX(f.ctx); n != 2 {
		t.Errorf("%d owner changes for the pooled leads, want 2", n)
	}

	// 00:10 local the next day (still 23 November in UTC): the cap resets.
	// B has room for one more lead, C takes two, the rest overflows.
	f.clock.Set(time.Date(2026, 11, 23, 16, 10, 0, 0, time.UTC))
	day2 := f.leads(t, 3, nil)
	ids := append(slices.Clone(res.Pooled), day2...)
	res2 := f.run(t, f.engine(nil), ids)
	f.checkResult(t, res2, ids)
	if got := counts(res2); got[b] != 1 || got[c] != 2 || len(got) != 2 {
		t.Fatalf("day 2: counts %v, want B 1 (capacity) and C 2 (cap)", got)
	}
	if n := f.openLeads(t, b); n != 3 {
		t.Errorf("B owns %d open leads, capacity 3", n)
	}
	if n := f.openLeads(t, full); n != 2 {
		t.Errorf("Full owns %d open leads, want its 2", n)
	}
	leads = f.leadMap(t, ids)
	for _, id := range res.Pooled { // the first in lead order, from a pool without protection
		if u, ok := res2.Assigned[id]; !ok {
			t.Errorf("day-1 lead %s not assigned on day 2", id)
		} else if pu := leads[id].ProtectedUntil; pu != nil {
			t.Errorf("lead %s assigned to %s from the fallback pool: protected until %v, want none", id, u, pu)
		}
	}
	if len(res2.Pooled) != 2 || !slices.Equal(res2.Pooled, day2[1:]) {
		t.Errorf("day 2 pooled %v, want the last two new leads %v", res2.Pooled, day2[1:])
	}
}

// TestLeastLoaded: leads go to the rep with the fewest open leads (won
// leads do not count), counting those assigned earlier in the same batch;
// ties rotate.
func TestLeastLoaded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b, c := f.rep(t, "A", repSpec{}), f.rep(t, "B", repSpec{}), f.rep(t, "C", repSpec{})
	f.leads(t, 3, func(int) leadSpec { return leadSpec{owner: &a} })
	f.leads(t, 1, func(int) leadSpec { return leadSpec{owner: &b} })
	f.leads(t, 5, func(int) leadSpec { return leadSpec{owner: &b, stage: &f.won} })
	f.rule(t, ruleSpec{name: "least", strategy: assignmentrule.StrategyLEAST_LOADED, targets: []uuid.UUID{a, b, c}})

	ids := f.leads(t, 5, nil)
	res := f.run(t, f.engine(nil), ids)
	f.checkResult(t, res, ids)
	if got := counts(res); got[a] != 0 || got[b] != 2 || got[c] != 3 {
		t.Fatalf("counts %v, want A 0, B 2, C 3", got)
	}
	if res.Assigned[ids[0]] != c {
		t.Errorf("first lead went to %s, want C (no open leads)", res.Assigned[ids[0]])
	}
	// All at three: one each, whoever the tie-break starts with.
	ids = f.leads(t, 3, nil)
	res = f.run(t, f.engine(nil), ids)
	if got := counts(res); got[a] != 1 || got[b] != 1 || got[c] != 1 {
		t.Fatalf("tied: counts %v, want one each", got)
	}
}

// TestScoreTier: reps rank by conversion over the last 180 days — distinct
// leads with a deal over distinct leads received — and tier A goes to the
// best converter, D (and no tier) to the worst; a rep without history ranks
// last. Ids are ordered against the ranking, so a tie-break on ids cannot
// pass for it.
func TestScoreTier(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := userIDs(4)
	fresh := f.rep(t, "Fresh", repSpec{id: ids[0]})
	zero := f.rep(t, "Zero", repSpec{id: ids[1]})
	mid := f.rep(t, "Mid", repSpec{id: ids[2]})
	best := f.rep(t, "Best", repSpec{id: ids[3]})
	now := f.clock.Now()
	hist := f.leads(t, 12, func(int) leadSpec { return leadSpec{status: "ARCHIVED"} })
	received := func(u uuid.UUID, leads []uuid.UUID, at time.Time) {
		for _, l := range leads {
			f.c.OwnerChange.Create().SetLeadID(l).SetToUserID(u).SetKind(ownerchange.KindCLAIM).
				SetBy(ownerchange.ByUSER).SetActorID(u).SetAt(at).ExecX(f.ctx)
		}
	}
	deal := func(u, l uuid.UUID, at time.Time) {
		f.c.Deal.Create().SetLeadID(l).SetOwnerID(u).SetAmount(100).SetClosedAt(at).ExecX(f.ctx)
	}
	month, longAgo := now.AddDate(0, 0, -30), now.AddDate(0, 0, -200)
	received(best, hist[0:4], month) // 3 of 4: 0.75
	for _, l := range hist[0:3] {
		deal(best, l, now.AddDate(0, 0, -10))
	}
	received(mid, hist[4:8], month) // 1 of 4: 0.25 (four deals, one lead)
	for range 4 {
		deal(mid, hist[4], now.AddDate(0, 0, -10))
	}
	received(zero, hist[8:12], month) // 0 of 4: its deals are older than 180 days
	for _, l := range hist[8:12] {
		deal(zero, l, longAgo)
	}
	f.rule(t, ruleSpec{name: "tiers", strategy: assignmentrule.StrategySCORE_TIER, targets: ids})

	leads := f.leads(t, 5, func(i int) leadSpec { return leadSpec{tier: []string{"A", "B", "C", "D", ""}[i]} })
	res := f.run(t, f.engine(nil), leads)
	f.checkResult(t, res, leads)
	want := []uuid.UUID{best, mid, zero, fresh, fresh}
	names := map[uuid.UUID]string{best: "Best", mid: "Mid", zero: "Zero", fresh: "Fresh"}
	for i, l := range leads {
		if got := res.Assigned[l]; got != want[i] {
			t.Errorf("lead of tier %q went to %s, want %s", []string{"A", "B", "C", "D", ""}[i], names[got], names[want[i]])
		}
	}

	// With the best converter full, an A lead falls to the next bucket.
	f.c.User.UpdateOneID(best).SetCapacity(1).ExecX(f.ctx)
	more := f.leads(t, 1, func(int) leadSpec { return leadSpec{tier: "A"} })
	res = f.run(t, f.engine(nil), more)
	if got := res.Assigned[more[0]]; got != mid {
		t.Errorf("A lead with Best full went to %s, want Mid", names[got])
	}
}

// TestOriginalOwner: a referral goes to its referrer's owner (转介绍分原CC),
// a returning lead to its most recent owner; an inactive original owner or
// none sends the lead to the fallback pool. The rule's targets play no part.
func TestOriginalOwner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	x, y := f.rep(t, "X", repSpec{}), f.rep(t, "Y", repSpec{})
	z := f.rep(t, "Z", repSpec{inactive: true})
	w := f.rep(t, "W", repSpec{})
	now := f.clock.Now()
	referrer := f.leads(t, 1, func(int) leadSpec { return leadSpec{owner: &x} })[0]
	unowned := f.leads(t, 1, nil)[0]
	overflow := f.newPool(t, "溢出池", 0)
	f.rule(t, ruleSpec{name: "original", strategy: assignmentrule.StrategyORIGINAL_OWNER, fallback: &overflow, targets: []uuid.UUID{w}})

	ls := f.leads(t, 5, func(i int) leadSpec {
		switch i {
		case 0:
			return leadSpec{referrer: &referrer} // referral: X
		case 2:
			return leadSpec{referrer: &unowned} // referrer unowned: its own previous owner, Y
		}
		return leadSpec{}
	})
	history := func(l uuid.UUID, from, to *uuid.UUID, kind ownerchange.Kind, at time.Time) {
		f.c.OwnerChange.Create().SetLeadID(l).SetNillableFromUserID(from).SetNillableToUserID(to).SetKind(kind).
			SetBy(ownerchange.BySYSTEM).SetPoolID(f.pool).SetAt(at).ExecX(f.ctx)
	}
	// Lead 1 returns: Z had it long ago, then Y, then it was recycled.
	history(ls[1], nil, &z, ownerchange.KindCLAIM, now.AddDate(0, 0, -60))
	history(ls[1], &z, nil, ownerchange.KindRELEASE, now.AddDate(0, 0, -50))
	history(ls[1], nil, &y, ownerchange.KindAUTO_ASSIGN, now.AddDate(0, 0, -20))
	history(ls[1], &y, nil, ownerchange.KindRECYCLE, now.AddDate(0, 0, -5))
	history(ls[2], nil, &y, ownerchange.KindCLAIM, now.AddDate(0, 0, -9))
	history(ls[2], &y, nil, ownerchange.KindRELEASE, now.AddDate(0, 0, -8))
	// Lead 3's last owner is inactive; lead 4 has no history.
	history(ls[3], nil, &z, ownerchange.KindCLAIM, now.AddDate(0, 0, -9))
	history(ls[3], &z, nil, ownerchange.KindRECYCLE, now.AddDate(0, 0, -1))

	res := f.run(t, f.engine(nil), ls)
	f.checkResult(t, res, ls)
	want := map[uuid.UUID]uuid.UUID{ls[0]: x, ls[1]: y, ls[2]: y}
	if len(res.Assigned) != len(want) {
		t.Errorf("assigned %v, want %v", res.Assigned, want)
	}
	for l, u := range want {
		if res.Assigned[l] != u {
			t.Errorf("lead %s went to %s, want %s", l, res.Assigned[l], u)
		}
	}
	if !slices.Equal(res.Pooled, ls[3:]) {
		t.Errorf("pooled %v, want %v", res.Pooled, ls[3:])
	}
	for _, l := range f.leadMap(t, ls[3:]) {
		if l.PoolID == nil || *l.PoolID != overflow {
			t.Errorf("lead %s in pool %v, want the fallback pool", l.ID, l.PoolID)
		}
	}
}

// TestTerritory: a lead goes to the least-loaded eligible rep attached to
// its territory — the rule's targets when it has some — and to reps of the
// territory above only when none there is eligible; a lead without a
// territory, or with no eligible rep, falls back.
func TestTerritory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	east := f.territory(t, "华东", nil)
	sh := f.territory(t, "上海", &east)
	north := f.territory(t, "华北", nil)
	bj := f.territory(t, "北京", &north)
	s1 := f.rep(t, "S1", repSpec{capacity: 5, territories: []uuid.UUID{sh}})
	s2 := f.rep(t, "S2", repSpec{capacity: 3, territories: []uuid.UUID{sh}})
	e1 := f.rep(t, "E1", repSpec{territories: []uuid.UUID{east}})
	b1 := f.rep(t, "B1", repSpec{territories: []uuid.UUID{bj}})
	f.leads(t, 5, func(int) leadSpec { return leadSpec{owner: &s1} }) // S1 is full
	overflow := f.newPool(t, "溢出池", 0)
	f.rule(t, ruleSpec{name: "open", priority: 10, condition: "source == 'open'", strategy: assignmentrule.StrategyTERRITORY})
	f.rule(t, ruleSpec{name: "teams", priority: 20, strategy: assignmentrule.StrategyTERRITORY, fallback: &overflow,
		targets: []uuid.UUID{s1, s2, e1}})

	terr := []*uuid.UUID{&sh, &sh, &sh, &sh, &east, &bj, nil, &bj}
	ls := f.leads(t, len(terr), func(i int) leadSpec {
		s := leadSpec{territory: terr[i]}
		if i == 7 {
			s.source = "open"
		}
		return s
	})
	res := f.run(t, f.engine(nil), ls)
	f.checkResult(t, res, ls)
	want := map[uuid.UUID]uuid.UUID{ls[0]: s2, ls[1]: s2, ls[2]: s2, ls[3]: e1, ls[4]: e1, ls[7]: b1}
	names := map[uuid.UUID]string{s1: "S1", s2: "S2", e1: "E1", b1: "B1"}
	for i, l := range ls {
		if got, ok := res.Assigned[l]; got != want[l] {
			t.Errorf("lead %d went to %s (%v), want %s", i, names[got], ok, names[want[l]])
		}
	}
	if !slices.Equal(res.Pooled, ls[5:7]) {
		t.Errorf("pooled %v, want leads 5 and 6", res.Pooled)
	}
}

// TestFirstMatchWins: rules are tried by priority, then name; the first
// whose condition matches decides; disabled rules are ignored; without a
// matcher only rules without a condition match; a condition that cannot be
// evaluated fails the batch, which writes nothing, as a CONFLICT naming the
// rule.
func TestFirstMatchWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b, c, d, e := f.rep(t, "A", repSpec{}), f.rep(t, "B", repSpec{}), f.rep(t, "C", repSpec{}), f.rep(t, "D", repSpec{}), f.rep(t, "E", repSpec{})
	rr := assignmentrule.StrategyROUND_ROBIN
	f.rule(t, ruleSpec{name: "disabled", priority: 1, strategy: rr, targets: []uuid.UUID{c}, disabled: true})
	f.rule(t, ruleSpec{name: "b ads", priority: 10, condition: "source == 'ads'", strategy: rr, targets: []uuid.UUID{a}})
	f.rule(t, ruleSpec{name: "a ads", priority: 10, condition: "source == 'ads'", strategy: rr, targets: []uuid.UUID{d}})
	f.rule(t, ruleSpec{name: "form", priority: 5, condition: "source == 'form'", strategy: rr, targets: []uuid.UUID{e}})
	f.rule(t, ruleSpec{name: "catch-all", priority: 50, strategy: rr, targets: []uuid.UUID{b}})

	sources := []string{"ads", "form", "other", "ads"}
	ls := f.leads(t, len(sources), func(i int) leadSpec { return leadSpec{source: sources[i]} })
	res := f.run(t, f.engine(nil), ls)
	f.checkResult(t, res, ls)
	for i, want := range []uuid.UUID{d, e, b, d} {
		if got := res.Assigned[ls[i]]; got != want {
			t.Errorf("lead from %q went to %s, want %s", sources[i], got, want)
		}
	}
	reasons := map[string]bool{}
	for _, ch := range f.c.OwnerChange.Query().Where(ownerchange.LeadIDIn(ls...)).AllX(f.ctx) {
		reasons[ch.Reason] = true
	}
	for _, r := range []string{"rule a ads: ROUND_ROBIN", "rule form: ROUND_ROBIN", "rule catch-all: ROUND_ROBIN"} {
		if !reasons[r] {
			t.Errorf("no owner change with reason %q in %v", r, reasons)
		}
	}

	noCEL := f.engine(nil)
	noCEL.Match = nil
	ls = f.leads(t, 2, func(i int) leadSpec { return leadSpec{source: sources[i]} })
	res = f.run(t, noCEL, ls)
	if res.Assigned[ls[0]] != b || res.Assigned[ls[1]] != b {
		t.Errorf("without a matcher: %v, want both to the catch-all's B", res.Assigned)
	}

	f.rule(t, ruleSpec{name: "broken", priority: 0, condition: "lead.score >", strategy: rr, targets: []uuid.UUID{a}})
	ls = f.leads(t, 2, nil)
	_, err := f.engine(nil).Run(f.ctx, ls)
	if ae, ok := apperr.As(err); !errors.Is(err, assign.ErrCondition) || !ok || ae.Code != apperr.Conflict || !strings.Contains(ae.Message, `"broken"`) {
		t.Fatalf("run with a condition that cannot be evaluated: %v, want a CONFLICT naming the rule and ErrCondition", err)
	}
	for id, owner := range f.owners(t, ls) {
		if owner != uuid.Nil {
			t.Errorf("lead %s owned by %s after a failed run", id, owner)
		}
	}
}

// TestSkips: leads that are owned, archived, unknown, locked by another
// transaction (a claim in flight) or taken while the batch was deciding are
// skipped and left alone; the locked one is assigned by a later run.
func TestSkips(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	x := f.rep(t, "X", repSpec{})
	r := f.rep(t, "R", repSpec{})
	f.rule(t, ruleSpec{name: "all", strategy: assignmentrule.StrategyROUND_ROBIN, condition: "source == ''", targets: []uuid.UUID{r}})
	ls := f.leads(t, 5, func(i int) leadSpec {
		switch i {
		case 0:
			return leadSpec{owner: &x}
		case 1:
			return leadSpec{status: "ARCHIVED"}
		}
		return leadSpec{}
	})
	owned, archived, locked, taken, free := ls[0], ls[1], ls[2], ls[3], ls[4]
	unknown := uuid.New()
	other := f.secondClient(t)
	unlock := f.lockLeads(t, other, []uuid.UUID{locked})
	// A claim commits on another connection while the engine evaluates conditions.
	f.onMatch = func(context.Context, string, []uuid.UUID) {
		f.onMatch = nil
		other.Lead.UpdateOneID(taken).SetOwnerID(x).ExecX(f.ctx)
	}
	ids := []uuid.UUID{owned, archived, locked, taken, free, unknown, free}
	done := make(chan struct{})
	var res *assign.Result
	var err error
	go func() {
		defer close(done)
		res, err = f.engine(nil).Run(f.ctx, ids)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the engine waited for a locked lead")
	}
	unlock()
	if err != nil {
		t.Fatal(err)
	}
	f.checkResult(t, res, ids)
	if len(res.Assigned) != 1 || res.Assigned[free] != r {
		t.Errorf("assigned %v, want only the free lead", res.Assigned)
	}
	slices.SortFunc(res.Skipped, func(a, b uuid.UUID) int { return compare(a, b) })
	want := []uuid.UUID{owned, archived, locked, taken, unknown}
	slices.SortFunc(want, func(a, b uuid.UUID) int { return compare(a, b) })
	if !slices.Equal(res.Skipped, want) {
		t.Errorf("skipped %v, want %v", res.Skipped, want)
	}
	owners := f.owners(t, ls)
	if owners[owned] != x || owners[taken] != x || owners[locked] != uuid.Nil || owners[archived] != uuid.Nil {
		t.Errorf("owners after the run: %v", owners)
	}

	res = f.run(t, f.engine(nil), []uuid.UUID{locked})
	if res.Assigned[locked] != r {
		t.Errorf("the formerly locked lead: %+v", res)
	}
	if n := f.c.Lead.Query().Where(lead.OwnerID(r)).CountX(f.ctx); n != 2 {
		t.Errorf("R owns %d leads, want 2", n)
	}
}

func compare(a, b uuid.UUID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}
