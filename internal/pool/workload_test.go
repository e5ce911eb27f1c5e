package pool_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/pool"
)

func TestWorkloadCountsOpenLeadsAndTodaysClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rep := f.rep(t, func(c *ent.UserCreate) { c.SetCapacity(20).SetDailyClaimLimit(5) })
	other := f.rep(t)
	ids := f.poolLeads(t, 6)

	// Yesterday's claim (23:59 Shanghai) is an open lead but not a claim today.
	f.at(-10*time.Hour - time.Minute)
	f.mustClaim(t, rep, ids[0])
	f.at(0)
	f.mustClaim(t, rep, ids[1], ids[2], ids[3])
	f.mustClaim(t, other, ids[4])
	// A lead in a WON stage does not count against capacity; a released one is gone.
	f.update(t, ids[2], func(u *ent.LeadUpdateOne) { u.SetStageID(f.stage(t, "won")) })
	if _, err := f.svc.Release(f.ctx, rep, []uuid.UUID{ids[3]}, ""); err != nil {
		t.Fatal(err)
	}

	w, err := f.svc.Workload(f.ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	want := pool.Workload{OpenLeads: 2, Capacity: 20, ClaimsToday: 3, DailyClaimLimit: 5,
		MonthStart: time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai), MonthEnd: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai), Now: t0}
	if w.MonthStart.Equal(want.MonthStart) && w.MonthEnd.Equal(want.MonthEnd) {
		w.MonthStart, w.MonthEnd = want.MonthStart, want.MonthEnd
	}
	if *w != want {
		t.Fatalf("workload %+v, want %+v", *w, want)
	}
	// The next local day starts at 0 claims.
	f.at(14 * time.Hour)
	if w, err = f.svc.Workload(f.ctx, rep); err != nil || w.ClaimsToday != 0 || w.OpenLeads != 2 {
		t.Fatalf("next day: %+v %v", w, err)
	}
	if _, err := f.svc.Workload(f.ctx, uuid.New()); err == nil {
		t.Fatal("an unknown user has a workload")
	}
}

// ClaimBlocks names the leads a claim would refuse for the lead's own sake,
// and the claim then refuses exactly those, with the same codes.
func TestClaimBlocksAgreeWithClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetCooldownDays(7) })
	team, err := f.c.Team.Create().SetName("team a").Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	closed := f.newPool(t, "closed")
	f.link(t, f.c.PoolTeam.Create().SetPoolID(closed.ID).SetTeamID(team.ID))
	rep, other := f.rep(t), f.rep(t)

	open := f.poolLeads(t, 3)
	shut := f.leads(t, 1, &closed.ID)[0]
	f.at(-time.Hour)
	f.mustClaim(t, rep, open[0])
	f.mustClaim(t, other, open[2]) // owned: no block, a claim says ALREADY_OWNED
	f.at(0)
	if _, err := f.svc.Release(f.ctx, rep, []uuid.UUID{open[0]}, ""); err != nil {
		t.Fatal(err)
	}

	f.at(2 * day)
	all := []uuid.UUID{open[0], open[1], open[2], shut, uuid.New()}
	blocks, err := f.svc.ClaimBlocks(f.ctx, rep, all)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uuid.UUID]pool.ClaimBlock{}
	for _, b := range blocks {
		got[b.LeadID] = b
	}
	until := t0.Add(7 * day)
	if len(got) != 2 || got[open[0]].Code != pool.CodeCooldown || got[open[0]].Until == nil || !got[open[0]].Until.Equal(until) ||
		got[shut].Code != pool.CodeNotAllowed || got[shut].Until != nil {
		t.Fatalf("blocks %+v", blocks)
	}
	// The other rep is in no cooldown.
	if b, err := f.svc.ClaimBlocks(f.ctx, other, []uuid.UUID{open[0]}); err != nil || len(b) != 0 {
		t.Fatalf("other rep: %+v %v", b, err)
	}

	_, fails := f.claim(t, rep, open[0], shut)
	if len(fails) != 2 || fails[0].Code != pool.CodeCooldown || fails[1].Code != pool.CodeNotAllowed {
		t.Fatalf("claim failures %+v", fails)
	}
	f.mustClaim(t, rep, open[1])

	// At the end of the cooldown the block is gone.
	f.at(7 * day)
	if b, err := f.svc.ClaimBlocks(f.ctx, rep, []uuid.UUID{open[0]}); err != nil || len(b) != 0 {
		t.Fatalf("after the cooldown: %+v %v", b, err)
	}

	// A rep who sees only own leads and pools open to them gets nothing for a hidden lead.
	ctx := auth.NewContext(f.ctx, &auth.Viewer{TenantID: f.tid, UserID: rep, Roles: []string{"rep"},
		LeadScopes: []string{policy.ScopePool, policy.ScopeOwn}})
	if b, err := f.svc.ClaimBlocks(ctx, rep, []uuid.UUID{shut}); err != nil || len(b) != 0 {
		t.Fatalf("hidden lead: %+v %v", b, err)
	}
	if _, err := f.svc.ClaimBlocks(f.ctx, rep, nil); err == nil {
		t.Fatal("no ids is not an error")
	}
}
