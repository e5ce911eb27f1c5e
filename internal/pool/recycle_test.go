package pool_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/pool"
)

// followUp records a follow-up on id now, the way reps do.
func (f *fixture) followUp(t *testing.T, id uuid.UUID) {
	t.Helper()
	if _, err := leads.New(f.c).CreateFollowUp(f.ctx, f.clock.Now(), leads.FollowUpInput{LeadID: id, Kind: followup.KindCALL, Content: "called"}); err != nil {
		t.Fatal(err)
	}
}

// deal records a deal on id closed at closed. A first deal moves the lead
// to a WON stage, which alone keeps it from recycling; the lead is put back
// in an open stage (a new opportunity) so that only the deal rule decides.
func (f *fixture) deal(t *testing.T, id uuid.UUID, closed time.Time) {
	t.Helper()
	if _, err := leads.New(f.c).CreateDeal(f.ctx, f.clock.Now(), leads.DealInput{LeadID: id, Amount: 100, ClosedAt: &closed}); err != nil {
		t.Fatal(err)
	}
	open := f.stage(t, "negotiating")
	f.update(t, id, func(u *ent.LeadUpdateOne) { u.SetStageID(open) })
}

func sameIDs(got, want []uuid.UUID) bool {
	a, b := slices.Clone(got), slices.Clone(want)
	cmp := func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) }
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b)
}

func TestRecycleNoFollowUpBoundary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoFollowUpDays(10).SetCooldownDays(7) })
	rep := f.rep(t)
	ids := f.poolLeads(t, 2)
	idle, followed := ids[0], ids[1]
	f.mustClaim(t, rep, ids...)
	f.at(2 * day)
	f.followUp(t, followed) // its clock restarts at day 2

	// Day 9 after the claim: both stay.
	f.at(9 * day)
	if res := f.recycle(t, pool.RecycleOptions{}); len(res.Recycled) != 0 {
		t.Fatalf("day 9: recycled %v", res.Recycled)
	}
	// Day 10: the idle lead goes; the followed one is at day 8 of its clock.
	f.at(10 * day)
	res := f.recycle(t, pool.RecycleOptions{})
	if !sameIDs(res.Recycled, []uuid.UUID{idle}) || len(res.Notifications) != 1 {
		t.Fatalf("day 10: %+v", res)
	}
	l := f.lead(t, idle)
	if l.OwnerID != nil || l.ClaimedAt != nil || l.ProtectedUntil != nil || *l.PoolID != f.pool.ID {
		t.Fatalf("recycled lead %+v", l)
	}
	cs := f.changes(t, idle)
	c := cs[len(cs)-1]
	if c.Kind != ownerchange.KindRECYCLE || c.By != ownerchange.BySYSTEM || *c.FromUserID != rep || c.ToUserID != nil ||
		c.ActorID != nil || *c.PoolID != f.pool.ID || c.Reason != "system: no follow-up for 10 days" || !c.At.Equal(t0.Add(10*day)) {
		t.Fatalf("recycle change %+v", c)
	}
	ns := f.notes(t, pool.KindRecycled, idle)
	if len(ns) != 1 || ns[0].ID != res.Notifications[0] || ns[0].UserID != rep || !ns[0].CreatedAt.Equal(t0.Add(10*day)) ||
		!strings.Contains(ns[0].Message, "10 天未跟进") || !strings.Contains(ns[0].Message, l.Name) {
		t.Fatalf("notification %+v", ns)
	}
	// A second pass at the same time changes nothing.
	if res := f.recycle(t, pool.RecycleOptions{}); len(res.Recycled)+len(res.Notifications) != 0 {
		t.Fatalf("second pass: %+v", res)
	}
	// The former owner is in cooldown; another rep may claim it.
	_, fails := f.claim(t, rep, idle)
	if codes(fails) != pool.CodeCooldown || !strings.Contains(fails[0].Message, "recycled from you") ||
		!strings.Contains(fails[0].Message, "2026-12-10 10:00") {
		t.Fatalf("cooldown after recycle: %+v", fails)
	}
	// Day 11 and day 12 of the followed lead's clock (counted from day 2).
	f.at(11 * day)
	if res := f.recycle(t, pool.RecycleOptions{}); len(res.Recycled) != 0 {
		t.Fatalf("day 9 after the follow-up: %v", res.Recycled)
	}
	f.at(12 * day)
	if res := f.recycle(t, pool.RecycleOptions{}); !sameIDs(res.Recycled, []uuid.UUID{followed}) {
		t.Fatalf("day 10 after the follow-up: %v", res.Recycled)
	}
}

func TestRecycleNoDealBoundary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoDealDays(30) })
	rep := f.rep(t)
	ids := f.poolLeads(t, 3)
	noDeal, dealAfter, dealBefore := ids[0], ids[1], ids[2]
	f.at(-5 * day)
	f.deal(t, dealBefore, t0.Add(-5*day)) // closed before this claim: does not count
	f.at(0)
	f.mustClaim(t, rep, ids...)
	f.at(5 * day)
	f.deal(t, dealAfter, t0.Add(5*day))
	f.followUp(t, noDeal) // follow-ups do not stop the no-deal rule

	f.at(29 * day)
	if res := f.recycle(t, pool.RecycleOptions{}); len(res.Recycled) != 0 {
		t.Fatalf("day 29: %v", res.Recycled)
	}
	f.at(30 * day)
	res := f.recycle(t, pool.RecycleOptions{})
	if !sameIDs(res.Recycled, []uuid.UUID{noDeal, dealBefore}) {
		t.Fatalf("day 30: recycled %v", res.Recycled)
	}
	if cs := f.changes(t, noDeal); cs[len(cs)-1].Reason != "system: no deal 30 days after claim" {
		t.Fatalf("reason %q", cs[len(cs)-1].Reason)
	}
	if ns := f.notes(t, pool.KindRecycled, noDeal); len(ns) != 1 || !strings.Contains(ns[0].Message, "30 天未成交") {
		t.Fatalf("notification %+v", ns)
	}
	if o := f.owner(t, dealAfter); o == nil || *o != rep {
		t.Fatal("a lead with a deal after its claim was recycled")
	}
}

func TestRecycleReminderOncePerClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoFollowUpDays(10).SetRemindBeforeDays(2) })
	rep := f.rep(t)
	id := f.poolLeads(t, 1)[0]
	f.mustClaim(t, rep, id)

	// Due at day 10, reminded from day 8.
	f.at(8*day - time.Minute)
	if res := f.recycle(t, pool.RecycleOptions{}); len(res.Reminded) != 0 {
		t.Fatalf("before due-R: %+v", res)
	}
	f.at(8 * day)
	res := f.recycle(t, pool.RecycleOptions{})
	if !sameIDs(res.Reminded, []uuid.UUID{id}) || len(res.Recycled) != 0 || len(res.Notifications) != 1 {
		t.Fatalf("at due-R: %+v", res)
	}
	ns := f.notes(t, pool.KindRecycleReminder, id)
	if len(ns) != 1 || ns[0].UserID != rep || ns[0].ID != res.Notifications[0] ||
		!strings.Contains(ns[0].Message, "将于 2026-12-03 回收") || !strings.Contains(ns[0].Message, "10 天未跟进") {
		t.Fatalf("reminder %+v", ns)
	}
	// Once only for this clock.
	for _, d := range []time.Duration{8*day + time.Hour, 9 * day} {
		f.at(d)
		if res := f.recycle(t, pool.RecycleOptions{}); len(res.Reminded)+len(res.Notifications) != 0 {
			t.Fatalf("reminded again at %v: %+v", d, res)
		}
	}
	// A follow-up restarts the clock (due at day 19): a new reminder from day 17.
	f.followUp(t, id)
	f.at(17*day - time.Minute)
	if res := f.recycle(t, pool.RecycleOptions{}); len(res.Reminded) != 0 {
		t.Fatalf("new clock, before due-R: %+v", res)
	}
	f.at(17 * day)
	if res := f.recycle(t, pool.RecycleOptions{}); !sameIDs(res.Reminded, []uuid.UUID{id}) {
		t.Fatalf("new clock, at due-R: %+v", res)
	}
	if ns := f.notes(t, pool.KindRecycleReminder, id); len(ns) != 2 || !strings.Contains(ns[1].Message, "2026-12-12") {
		t.Fatalf("reminders %+v", ns)
	}
	// Due: recycled, not reminded.
	f.at(19 * day)
	if res := f.recycle(t, pool.RecycleOptions{}); !sameIDs(res.Recycled, []uuid.UUID{id}) || len(res.Reminded) != 0 {
		t.Fatalf("due: %+v", res)
	}
}

func TestRecycleReminderForTheNoDealRule(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoDealDays(30).SetRemindBeforeDays(3) })
	rep := f.rep(t)
	ids := f.poolLeads(t, 2)
	f.mustClaim(t, rep, ids...)
	f.at(time.Hour)
	f.deal(t, ids[1], t0.Add(time.Hour))
	f.at(27*day - time.Minute)
	if res := f.recycle(t, pool.RecycleOptions{}); len(res.Reminded) != 0 {
		t.Fatalf("day 27 - 1m: %+v", res)
	}
	f.at(27 * day)
	res := f.recycle(t, pool.RecycleOptions{})
	if !sameIDs(res.Reminded, ids[:1]) {
		t.Fatalf("day 27: %+v", res)
	}
	if ns := f.notes(t, pool.KindRecycleReminder, ids[0]); len(ns) != 1 || !strings.Contains(ns[0].Message, "2026-12-23") ||
		!strings.Contains(ns[0].Message, "30 天未成交") {
		t.Fatalf("reminder %+v", ns)
	}
}

func TestRecycleNeverTakesLockedWonOrProtectedLeads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) {
		u.SetRecycleNoFollowUpDays(10).SetRecycleNoDealDays(20).SetRemindBeforeDays(5)
	})
	rep := f.rep(t)
	ids := f.poolLeads(t, 5)
	locked, won, lost, protected, plain := ids[0], ids[1], ids[2], ids[3], ids[4]
	f.mustClaim(t, rep, ids...)
	f.update(t, locked, func(u *ent.LeadUpdateOne) { u.SetLocked(true) })
	f.update(t, won, func(u *ent.LeadUpdateOne) { u.SetStageID(f.stage(t, "won")) })
	f.update(t, lost, func(u *ent.LeadUpdateOne) { u.SetStageID(f.stage(t, "lost")) })
	f.update(t, protected, func(u *ent.LeadUpdateOne) { u.SetProtectedUntil(t0.Add(93 * day)) })

	f.at(90 * day)
	res := f.recycle(t, pool.RecycleOptions{})
	if !sameIDs(res.Recycled, []uuid.UUID{lost, plain}) {
		t.Fatalf("recycled %v", res.Recycled)
	}
	// The protected lead is due when its protection ends (day 93): reminded within 5 days of it.
	if !sameIDs(res.Reminded, []uuid.UUID{protected}) {
		t.Fatalf("reminded %v", res.Reminded)
	}
	f.at(93*day - time.Minute)
	if res := f.recycle(t, pool.RecycleOptions{}); len(res.Recycled) != 0 {
		t.Fatalf("still protected: %v", res.Recycled)
	}
	f.at(93 * day)
	if res := f.recycle(t, pool.RecycleOptions{}); !sameIDs(res.Recycled, []uuid.UUID{protected}) {
		t.Fatalf("protection over: %v", res.Recycled)
	}
	for _, id := range []uuid.UUID{locked, won} {
		if o := f.owner(t, id); o == nil || *o != rep {
			t.Fatalf("lead %s was recycled", id)
		}
		if ns := f.notes(t, pool.KindRecycleReminder, id); len(ns) != 0 {
			t.Fatalf("lead %s got a reminder", id)
		}
	}
}

func TestRecycleDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoFollowUpDays(10).SetRemindBeforeDays(2) })
	rep := f.rep(t)
	ids := f.poolLeads(t, 3)
	f.mustClaim(t, rep, ids[0], ids[1])
	f.at(2 * day)
	f.mustClaim(t, rep, ids[2])

	f.at(10 * day) // ids[0] and ids[1] due, ids[2] due in 2 days
	counts := func() (int, int) {
		nc, err := f.c.OwnerChange.Query().Count(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		nn, err := f.c.Notification.Query().Count(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return nc, nn
	}
	c0, n0 := counts()
	dry := f.recycle(t, pool.RecycleOptions{DryRun: true})
	if !sameIDs(dry.Recycled, ids[:2]) || !sameIDs(dry.Reminded, ids[2:]) || len(dry.Notifications) != 0 {
		t.Fatalf("dry run: %+v", dry)
	}
	if c1, n1 := counts(); c1 != c0 || n1 != n0 {
		t.Fatalf("dry run wrote: owner changes %d→%d, notifications %d→%d", c0, c1, n0, n1)
	}
	for _, id := range ids {
		if o := f.owner(t, id); o == nil || *o != rep {
			t.Fatalf("dry run recycled %s", id)
		}
	}
	res := f.recycle(t, pool.RecycleOptions{})
	if !sameIDs(res.Recycled, dry.Recycled) || !sameIDs(res.Reminded, dry.Reminded) || len(res.Notifications) != 3 {
		t.Fatalf("the real pass differs from the dry run: %+v vs %+v", res, dry)
	}
}

func TestRecycleBatchesPoolsAndWorkspaces(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := newFixtureIn(t, f.db)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoFollowUpDays(10) })
	other.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoFollowUpDays(1) })
	slow := f.newPool(t, "slow", func(c *ent.PoolCreate) { c.SetRecycleNoFollowUpDays(20) })
	never := f.newPool(t, "never")
	rep, theirs := f.rep(t), other.rep(t)
	due := f.poolLeads(t, 5)
	noPool := f.leads(t, 2, nil) // follow the default pool
	for _, id := range noPool {
		f.update(t, id, func(u *ent.LeadUpdateOne) { u.SetOwnerID(rep).SetClaimedAt(t0) })
	}
	slowIDs := f.leads(t, 2, &slow.ID)
	neverIDs := f.leads(t, 1, &never.ID)
	f.mustClaim(t, rep, due...)
	f.mustClaim(t, rep, slowIDs...)
	f.mustClaim(t, rep, neverIDs...)
	foreign := other.poolLeads(t, 3)
	other.mustClaim(t, theirs, foreign...)

	f.at(15 * day)
	res := f.recycle(t, pool.RecycleOptions{BatchSize: 2})
	want := append(slices.Clone(due), noPool...)
	if !sameIDs(res.Recycled, want) || len(res.Notifications) != len(want) {
		t.Fatalf("recycled %d leads (%d notifications), want %d", len(res.Recycled), len(res.Notifications), len(want))
	}
	for _, id := range noPool {
		if l := f.lead(t, id); l.PoolID == nil || *l.PoolID != f.pool.ID {
			t.Fatalf("a lead without a pool went back to %v", l.PoolID)
		}
	}
	for _, id := range append(slowIDs, neverIDs...) {
		if f.owner(t, id) == nil {
			t.Fatalf("lead %s of a pool with other rules was recycled", id)
		}
	}
	for _, id := range foreign {
		if other.owner(t, id) == nil {
			t.Fatal("another workspace's lead was recycled")
		}
	}
	n, err := f.c.Notification.Query().Where(notification.Kind(pool.KindRecycled)).Count(f.ctx)
	if err != nil || n != len(want) {
		t.Fatalf("%d recycle notifications, %v", n, err)
	}
	f.at(20 * day)
	if res := f.recycle(t, pool.RecycleOptions{BatchSize: 1}); !sameIDs(res.Recycled, slowIDs) {
		t.Fatalf("day 20: %v", res.Recycled)
	}
}

func TestRecycleSkipsLeadsHeldByAnotherTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetRecycleNoFollowUpDays(10) })
	rep := f.rep(t)
	ids := f.poolLeads(t, 2)
	f.mustClaim(t, rep, ids...)
	tx, err := f.db.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after the explicit rollback
	if _, err := tx.Exec(`SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, ids[0]); err != nil {
		t.Fatal(err)
	}
	f.at(10 * day)
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	res, err := f.svc.Recycle(ctx, pool.RecycleOptions{})
	if err != nil || !sameIDs(res.Recycled, ids[1:]) {
		t.Fatalf("with a lead held: %+v %v", res, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if res := f.recycle(t, pool.RecycleOptions{}); !sameIDs(res.Recycled, ids[:1]) {
		t.Fatalf("after the hold: %v", res.Recycled)
	}
}
