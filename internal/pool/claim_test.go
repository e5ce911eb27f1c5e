package pool_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/pool"
)

func TestClaimTakesPoolLeadsAndRecordsThem(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetProtectionDays(3) })
	rep := f.rep(t)
	ids := f.poolLeads(t, 3)

	got, fails := f.claim(t, rep, ids[0], ids[1], ids[0]) // a repeated id counts once
	if len(got) != 2 || len(fails) != 0 || got[0].ID != ids[0] || got[1].ID != ids[1] {
		t.Fatalf("claimed %v, failures %+v", got, fails)
	}
	for _, l := range got {
		if l.OwnerID == nil || *l.OwnerID != rep || l.ClaimedAt == nil || !l.ClaimedAt.Equal(t0) ||
			l.ProtectedUntil == nil || !l.ProtectedUntil.Equal(t0.Add(3*day)) || *l.PoolID != f.pool.ID {
			t.Fatalf("claimed lead not re-read as claimed: %+v", l)
		}
		cs := f.changes(t, l.ID)
		if len(cs) != 1 {
			t.Fatalf("owner changes of %s: %+v", l.ID, cs)
		}
		c := cs[0]
		if c.Kind != ownerchange.KindCLAIM || c.By != ownerchange.ByUSER || c.FromUserID != nil || *c.ToUserID != rep ||
			*c.ActorID != rep || *c.PoolID != f.pool.ID || !c.At.Equal(t0) {
			t.Fatalf("claim change %+v", c)
		}
	}
	if o := f.owner(t, ids[2]); o != nil {
		t.Fatalf("unclaimed lead got owner %v", o)
	}

	// Claiming again: "already yours"; a protection-less pool gives no protectedUntil.
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetProtectionDays(0) })
	got, fails = f.claim(t, rep, ids[0], ids[2])
	if len(got) != 1 || got[0].ProtectedUntil != nil || codes(fails) != pool.CodeAlreadyOwned || fails[0].Message != "already yours" {
		t.Fatalf("claimed %v, failures %+v", got, fails)
	}
}

func TestClaimRejectsBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rep := f.rep(t)
	_, _, err := f.svc.Claim(f.ctx, rep, nil)
	inputError(t, err, "ids")
	many := make([]uuid.UUID, pool.MaxIDs+1)
	for i := range many {
		many[i] = uuid.New()
	}
	_, _, err = f.svc.Claim(f.ctx, rep, many)
	inputError(t, err, "ids")
	// 1000 distinct ids with repeats are fine: repeats count once.
	_, fails, err := f.svc.Claim(f.ctx, rep, append(many[:pool.MaxIDs], many[:10]...))
	if err != nil || len(fails) != pool.MaxIDs {
		t.Fatalf("1000 distinct ids: %d failures, %v", len(fails), err)
	}
	// Unknown and inactive users.
	_, _, err = f.svc.Claim(f.ctx, uuid.New(), []uuid.UUID{uuid.New()})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.NotFound || e.Field != "userID" {
		t.Fatalf("unknown user: %v", err)
	}
	off := f.rep(t, func(c *ent.UserCreate) { c.SetActive(false) })
	if _, _, err = f.svc.Claim(f.ctx, off, f.poolLeads(t, 1)); !errors.Is(err, pool.ErrInactiveUser) {
		t.Fatalf("inactive user: %v", err)
	}
	// No workspace in the context.
	if _, _, err = f.svc.Claim(context.Background(), rep, []uuid.UUID{uuid.New()}); err == nil {
		t.Fatal("claim without a workspace succeeded")
	}
}

func TestClaimFailureCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := newFixtureIn(t, f.db) // a second workspace in the same database
	rep, rival := f.rep(t), f.rep(t)
	ids := f.poolLeads(t, 4)
	merged, archived, owned, mine := ids[0], ids[1], ids[2], ids[3]
	f.update(t, merged, func(u *ent.LeadUpdateOne) { u.SetStatus(lead.StatusMERGED) })
	f.update(t, archived, func(u *ent.LeadUpdateOne) { u.SetStatus(lead.StatusARCHIVED) })
	f.mustClaim(t, rival, owned)
	f.mustClaim(t, rep, mine)
	noPool := f.leads(t, 1, nil)[0]
	foreign := other.poolLeads(t, 1)[0]
	missing := uuid.New()

	got, fails := f.claim(t, rep, missing, foreign, merged, archived, owned, mine, noPool)
	if len(got) != 0 {
		t.Fatalf("claimed %v", got)
	}
	want := "NOT_FOUND,NOT_FOUND,INACTIVE,INACTIVE,ALREADY_OWNED,ALREADY_OWNED,NOT_IN_POOL"
	if codes(fails) != want {
		t.Fatalf("codes %s, want %s (%+v)", codes(fails), want, fails)
	}
	if m := failureOf(t, fails, owned).Message; m == "already yours" {
		t.Fatalf("someone else's lead reported as yours: %q", m)
	}
	if m := failureOf(t, fails, merged).Message; !strings.Contains(m, "merged") {
		t.Fatalf("merged message %q", m)
	}
	if n := other.countLeads(t, func(q *ent.LeadQuery) { q.Where(lead.OwnerIDNotNil()) }); n != 0 {
		t.Fatalf("another workspace's lead was claimed: %d", n)
	}
}

func TestClaimNotAllowedByTeamAndTerritory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	north, err := org.New(f.c).CreateTerritory(f.ctx, "north", nil)
	if err != nil {
		t.Fatal(err)
	}
	beijing, err := org.New(f.c).CreateTerritory(f.ctx, "beijing", &north.ID)
	if err != nil {
		t.Fatal(err)
	}
	south, err := org.New(f.c).CreateTerritory(f.ctx, "south", nil)
	if err != nil {
		t.Fatal(err)
	}
	team, err := f.c.Team.Create().SetName("team a").Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	byTeam := f.newPool(t, "by team")
	f.link(t, f.c.PoolTeam.Create().SetPoolID(byTeam.ID).SetTeamID(team.ID))
	byTerritory := f.newPool(t, "by territory")
	f.link(t, f.c.PoolTerritory.Create().SetPoolID(byTerritory.ID).SetTerritoryID(north.ID))

	member := f.rep(t, func(c *ent.UserCreate) { c.SetTeamID(team.ID) })
	local := f.rep(t) // below north
	f.link(t, f.c.UserTerritory.Create().SetUserID(local).SetTerritoryID(beijing.ID))
	outsider := f.rep(t)
	f.link(t, f.c.UserTerritory.Create().SetUserID(outsider).SetTerritoryID(south.ID))
	admin := f.rep(t)
	f.link(t, f.c.PoolAdmin.Create().SetPoolID(byTeam.ID).SetUserID(admin))

	tl := f.leads(t, 4, &byTeam.ID)
	rl := f.leads(t, 4, &byTerritory.ID)
	for _, c := range []struct {
		name string
		rep  uuid.UUID
		lead uuid.UUID
		want string
	}{
		{"team member", member, tl[0], ""},
		{"territory below the pool's", local, rl[0], ""},
		{"not in the team", local, tl[1], pool.CodeNotAllowed},
		{"other territory", outsider, rl[1], pool.CodeNotAllowed},
		{"other territory, team pool", outsider, tl[2], pool.CodeNotAllowed},
		{"team member, territory pool", member, rl[2], pool.CodeNotAllowed},
		{"pool admin bypasses", admin, tl[3], ""},
		{"admin of another pool does not", admin, rl[3], pool.CodeNotAllowed},
	} {
		got, fails := f.claim(t, c.rep, c.lead)
		if codes(fails) != c.want || (c.want == "" && len(got) != 1) {
			t.Errorf("%s: claimed %d, failures %+v, want %q", c.name, len(got), fails, c.want)
		}
	}
	// An open pool (the default) takes everyone.
	f.mustClaim(t, outsider, f.poolLeads(t, 1)...)
}

func TestClaimOutsideRowScopeIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team, err := f.c.Team.Create().SetName("team a").Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	closed := f.newPool(t, "closed")
	f.link(t, f.c.PoolTeam.Create().SetPoolID(closed.ID).SetTeamID(team.ID))
	rep := f.rep(t)
	hidden := f.leads(t, 1, &closed.ID)[0]
	open := f.poolLeads(t, 1)[0]
	// A rep who sees only their own leads and the pools open to them.
	ctx := auth.NewContext(f.ctx, &auth.Viewer{TenantID: f.tid, UserID: rep, Roles: []string{"rep"},
		LeadScopes: []string{policy.ScopePool, policy.ScopeOwn}})
	got, fails, err := f.svc.Claim(ctx, rep, []uuid.UUID{hidden, open})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != open || codes(fails) != pool.CodeNotFound || fails[0].LeadID != hidden {
		t.Fatalf("claimed %v, failures %+v", got, fails)
	}
}

func TestClaimCooldownBoundary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetCooldownDays(7) })
	rep, other, admin := f.rep(t), f.rep(t), f.rep(t)
	f.link(t, f.c.PoolAdmin.Create().SetPoolID(f.pool.ID).SetUserID(admin))
	ids := f.poolLeads(t, 2)
	f.at(-time.Hour) // claimed an hour before the release
	f.mustClaim(t, rep, ids...)
	f.at(0)
	if released, err := f.svc.Release(f.ctx, rep, ids, ""); err != nil || len(released) != 2 {
		t.Fatalf("release: %v %v", released, err)
	}

	// Day 6: refused, with the local end (t0 is 10:00 in Shanghai).
	f.at(6 * day)
	_, fails := f.claim(t, rep, ids[0])
	if codes(fails) != pool.CodeCooldown ||
		fails[0].Message != "you released this lead recently; you can claim it again from 2026-11-30 10:00" {
		t.Fatalf("day 6: %+v", fails)
	}
	// The same end, for a client to say in its language.
	if u := fails[0].Until; u == nil || !u.Equal(t0.Add(7*day)) || fails[0].Limit != nil || fails[0].Pool != nil {
		t.Fatalf("day 6: until %v (want %v), limit %v, pool %v", u, t0.Add(7*day), fails[0].Limit, fails[0].Pool)
	}
	// A minute before the end: still refused. Other reps are not in cooldown.
	f.at(7*day - time.Minute)
	if _, fails = f.claim(t, rep, ids[0]); codes(fails) != pool.CodeCooldown {
		t.Fatalf("a minute before the end: %+v", fails)
	}
	f.mustClaim(t, other, ids[1])
	// Day 7: allowed.
	f.at(7 * day)
	f.mustClaim(t, rep, ids[0])

	// A pool admin is never in cooldown.
	f.at(8 * day)
	lead := f.poolLeads(t, 1)[0]
	f.mustClaim(t, admin, lead)
	if _, err := f.svc.Release(f.ctx, admin, []uuid.UUID{lead}, ""); err != nil {
		t.Fatal(err)
	}
	f.mustClaim(t, admin, lead)
}

func TestClaimDailyLimitUsesLocalMidnight(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rep := f.rep(t, func(c *ent.UserCreate) { c.SetDailyClaimLimit(3) })
	ids := f.poolLeads(t, 8)

	// Yesterday's claims (23:59 Shanghai) do not count today.
	f.at(-10*time.Hour - time.Minute)
	f.mustClaim(t, rep, ids[0])
	f.at(0)
	f.mustClaim(t, rep, ids[1], ids[2])
	got, fails := f.claim(t, rep, ids[3], ids[4])
	if len(got) != 1 || got[0].ID != ids[3] || codes(fails) != pool.CodeDailyLimit || fails[0].LeadID != ids[4] {
		t.Fatalf("the 4th claim of the day: claimed %v, failures %+v", got, fails)
	}
	if !strings.Contains(fails[0].Message, "(3)") || fails[0].Limit == nil || *fails[0].Limit != 3 || fails[0].Pool != nil || fails[0].Until != nil {
		t.Fatalf("message %q, limit %v, pool %v", fails[0].Message, fails[0].Limit, fails[0].Pool)
	}
	// 23:59 local (15:59 UTC, the same UTC day either way): still refused.
	f.at(14*time.Hour - time.Minute)
	if _, fails = f.claim(t, rep, ids[4]); codes(fails) != pool.CodeDailyLimit {
		t.Fatalf("23:59 local: %+v", fails)
	}
	// Local midnight (16:00 UTC, still 2026-11-23 in UTC): a new day.
	f.at(14 * time.Hour)
	f.mustClaim(t, rep, ids[4], ids[5], ids[6])
	if _, fails = f.claim(t, rep, ids[7]); codes(fails) != pool.CodeDailyLimit {
		t.Fatalf("the 4th claim of the next day: %+v", fails)
	}
}

func TestClaimPoolDailyLimitCountsThatPoolOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	small := f.newPool(t, "small", func(c *ent.PoolCreate) { c.SetDailyClaimLimit(2) })
	rep, admin := f.rep(t), f.rep(t)
	f.link(t, f.c.PoolAdmin.Create().SetPoolID(small.ID).SetUserID(admin))
	sl := f.leads(t, 6, &small.ID)
	dl := f.poolLeads(t, 3)
	f.mustClaim(t, rep, dl[0], sl[0], dl[1], sl[1])
	got, fails := f.claim(t, rep, sl[2], dl[2])
	if len(got) != 1 || got[0].ID != dl[2] || codes(fails) != pool.CodeDailyLimit || !strings.Contains(fails[0].Message, `"small"`) {
		t.Fatalf("claimed %v, failures %+v", got, fails)
	}
	if fails[0].Limit == nil || *fails[0].Limit != 2 || fails[0].Pool == nil || *fails[0].Pool != "small" {
		t.Fatalf("limit %v, pool %v", fails[0].Limit, fails[0].Pool)
	}
	// The pool's admin is not limited.
	f.mustClaim(t, admin, sl[2], sl[3], sl[4])
}

func TestClaimCapacityCountsOpenLeadsOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rep := f.rep(t, func(c *ent.UserCreate) { c.SetCapacity(3) })
	f.link(t, f.c.PoolAdmin.Create().SetPoolID(f.pool.ID).SetUserID(rep)) // admins are limited by capacity too
	won, lost := f.stage(t, "won"), f.stage(t, "lost")
	ids := f.poolLeads(t, 8)
	// Two won and one lost lead owned: none of them count.
	f.mustClaim(t, rep, ids[0], ids[1], ids[2])
	f.update(t, ids[0], func(u *ent.LeadUpdateOne) { u.SetStageID(won) })
	f.update(t, ids[1], func(u *ent.LeadUpdateOne) { u.SetStageID(won) })
	f.update(t, ids[2], func(u *ent.LeadUpdateOne) { u.SetStageID(lost) })
	// A won lead in the pool does not count when claimed either.
	f.update(t, ids[7], func(u *ent.LeadUpdateOne) { u.SetStageID(won) })

	got, fails := f.claim(t, rep, ids[3], ids[4], ids[5], ids[6], ids[7])
	if len(got) != 4 || codes(fails) != pool.CodeOverCapacity || fails[0].LeadID != ids[6] {
		t.Fatalf("claimed %d, failures %+v", len(got), fails)
	}
	if fails[0].Limit == nil || *fails[0].Limit != 3 {
		t.Fatalf("capacity %v", fails[0].Limit)
	}
	// At capacity: every open lead is refused.
	if _, fails = f.claim(t, rep, ids[6]); codes(fails) != pool.CodeOverCapacity {
		t.Fatalf("at capacity: %+v", fails)
	}
	// Closing one frees a place.
	f.update(t, ids[3], func(u *ent.LeadUpdateOne) { u.SetStageID(won) })
	f.mustClaim(t, rep, ids[6])
}

func TestClaimOfLeadHeldByAnotherTransactionIsConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rep := f.rep(t)
	ids := f.poolLeads(t, 2)
	tx, err := f.db.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after the explicit rollback
	if _, err := tx.Exec(`SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, ids[0]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	got, fails, err := f.svc.Claim(ctx, rep, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != ids[1] || codes(fails) != pool.CodeConflict || !strings.Contains(fails[0].Message, "try again") {
		t.Fatalf("claimed %v, failures %+v", got, fails)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	f.mustClaim(t, rep, ids[0])
}

// maxClaimRoundTrips is the most statements (BEGIN and COMMIT included) one
// Claim may send, whatever it is given (issue #21).
const maxClaimRoundTrips = 5

func TestClaimTakesAtMostFiveRoundTrips(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetCooldownDays(7).SetProtectionDays(3).SetDailyClaimLimit(100) })
	rep, other := f.rep(t), f.rep(t)
	ids := f.poolLeads(t, 30)
	f.mustClaim(t, other, ids[0])
	// A rep with a row scope, so the visibility check carries it.
	viewer := auth.NewContext(f.ctx, &auth.Viewer{TenantID: f.tid, UserID: rep, Roles: []string{"rep"},
		LeadScopes: []string{policy.ScopePool, policy.ScopeOwn}})
	for _, c := range []struct {
		name    string
		ids     []uuid.UUID
		claimed int
	}{
		{"one lead", ids[1:2], 1},
		{"twenty leads and one owned by another rep", append([]uuid.UUID{ids[0]}, ids[2:22]...), 20},
		{"nothing claimable", ids[0:3], 0},
		{"an unknown id", []uuid.UUID{uuid.New()}, 0},
	} {
		ctx, n := platform.CountStatements(viewer)
		got, fails, err := f.svc.Claim(ctx, rep, c.ids)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != c.claimed || len(got)+len(fails) != len(c.ids) {
			t.Fatalf("%s: claimed %d, failures %+v", c.name, len(got), fails)
		}
		if n.Load() > maxClaimRoundTrips {
			t.Fatalf("%s: %d round trips, want at most %d", c.name, n.Load(), maxClaimRoundTrips)
		}
		t.Logf("%s: %d round trips", c.name, n.Load())
		for _, l := range got { // the leads returned load their edges after the claim's transaction
			if owner, err := l.QueryOwner().OnlyID(f.ctx); err != nil || owner != rep {
				t.Fatalf("%s: owner of claimed lead %s: %v, %v", c.name, l.ID, owner, err)
			}
		}
	}
}
