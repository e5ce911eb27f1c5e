package pool_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/pool"
)

func TestReleaseReturnsOwnLeadsToTheirPool(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetProtectionDays(3) })
	side := f.newPool(t, "side")
	rep, other := f.rep(t), f.rep(t)
	inDefault := f.poolLeads(t, 1)[0]
	inSide := f.leads(t, 1, &side.ID)[0]
	theirs := f.poolLeads(t, 1)[0]
	merged := f.poolLeads(t, 1)[0]
	f.mustClaim(t, rep, inDefault, inSide, merged)
	f.mustClaim(t, other, theirs)
	f.update(t, merged, func(u *ent.LeadUpdateOne) { u.SetStatus(lead.StatusMERGED) })
	// A lead given to the rep without a pool (e.g. by an import).
	noPool := f.leads(t, 1, nil)[0]
	f.update(t, noPool, func(u *ent.LeadUpdateOne) { u.SetOwnerID(rep) })

	f.at(time.Hour)
	released, err := f.svc.Release(f.ctx, rep, []uuid.UUID{theirs, inSide, inDefault, noPool, merged, uuid.New(), inSide}, "  不想跟了  ")
	if err != nil {
		t.Fatal(err)
	}
	if len(released) != 3 || released[0] != inSide || released[1] != inDefault || released[2] != noPool {
		t.Fatalf("released %v", released)
	}
	for id, home := range map[uuid.UUID]uuid.UUID{inSide: side.ID, inDefault: f.pool.ID, noPool: f.pool.ID} {
		l := f.lead(t, id)
		if l.OwnerID != nil || l.ClaimedAt != nil || l.ProtectedUntil != nil || l.PoolID == nil || *l.PoolID != home {
			t.Fatalf("released lead %+v, want pool %s", l, home)
		}
		cs := f.changes(t, id)
		c := cs[len(cs)-1]
		if c.Kind != ownerchange.KindRELEASE || c.By != ownerchange.ByUSER || *c.FromUserID != rep || c.ToUserID != nil ||
			*c.ActorID != rep || *c.PoolID != home || c.Reason != "不想跟了" || !c.At.Equal(t0.Add(time.Hour)) {
			t.Fatalf("release change %+v", c)
		}
	}
	if o := f.owner(t, theirs); o == nil || *o != other {
		t.Fatal("another rep's lead was released")
	}
	if o := f.owner(t, merged); o == nil {
		t.Fatal("a merged lead was released")
	}
	// Released leads can be claimed from the pool again.
	f.mustClaim(t, other, inSide, noPool)

	_, err = f.svc.Release(f.ctx, rep, []uuid.UUID{inDefault}, strings.Repeat("长", 1001))
	inputError(t, err, "reason")
	_, err = f.svc.Release(f.ctx, rep, nil, "")
	inputError(t, err, "ids")
}

func TestAssignMovesLeadsToARepAndBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetProtectionDays(2) })
	side := f.newPool(t, "side", func(c *ent.PoolCreate) { c.SetProtectionDays(5) })
	manager, rep, prev := f.admin, f.rep(t), f.rep(t)
	a := f.poolLeads(t, 1)[0]
	b := f.leads(t, 1, &side.ID)[0]
	c := f.poolLeads(t, 1)[0]
	noPool := f.leads(t, 1, nil)[0]
	f.mustClaim(t, prev, c) // no protection at t0: the default pool's is 2 days
	f.update(t, c, func(u *ent.LeadUpdateOne) { u.ClearProtectedUntil() })
	already := f.poolLeads(t, 1)[0]
	f.mustClaim(t, rep, already)

	f.at(time.Hour)
	now := t0.Add(time.Hour)
	assigned, fails, err := f.svc.Assign(f.ctx, manager, []uuid.UUID{a, b, c, noPool, already}, &rep, " 重新分配 ")
	if err != nil || len(fails) != 0 || len(assigned) != 5 {
		t.Fatalf("assigned %v, failures %+v, %v", assigned, fails, err)
	}
	for id, protection := range map[uuid.UUID]time.Duration{a: 2 * day, b: 5 * day, c: 2 * day, noPool: 2 * day} {
		l := f.lead(t, id)
		if *l.OwnerID != rep || !l.ClaimedAt.Equal(now) || !l.ProtectedUntil.Equal(now.Add(protection)) {
			t.Fatalf("assigned lead %+v", l)
		}
		cs := f.changes(t, id)
		ch := cs[len(cs)-1]
		if ch.Kind != ownerchange.KindASSIGN || ch.By != ownerchange.ByUSER || *ch.ToUserID != rep ||
			*ch.ActorID != manager || ch.Reason != "重新分配" || !ch.At.Equal(now) || ch.PoolID == nil {
			t.Fatalf("assign change %+v", ch)
		}
	}
	if l := f.lead(t, b); *l.PoolID != side.ID {
		t.Fatal("the home pool changed on assignment")
	}
	if cs := f.changes(t, c); cs[len(cs)-1].FromUserID == nil || *cs[len(cs)-1].FromUserID != prev {
		t.Fatalf("from user of a reassigned lead: %+v", cs[len(cs)-1])
	}
	if l := f.lead(t, noPool); l.PoolID != nil {
		t.Fatal("a lead without a pool got one on assignment to a rep")
	}
	// The lead the rep had already: counted, not changed.
	if cs := f.changes(t, already); len(cs) != 1 || !f.lead(t, already).ClaimedAt.Equal(t0) {
		t.Fatalf("a lead the target had was changed: %+v", cs)
	}
	// The rep is told once, with the number of leads moved to them and by whom.
	admin, err := f.c.User.Get(f.ctx, manager)
	if err != nil {
		t.Fatal(err)
	}
	notes, err := f.c.Notification.Query().Where(notification.UserID(rep), notification.Kind(notices.KindAssigned)).All(f.ctx)
	if err != nil || len(notes) != 1 || notes[0].Message != "4 条线索已分配给你（"+admin.Name+" 分配）。" || notes[0].LeadID != nil {
		t.Fatalf("the rep's notifications %+v (%v)", notes, err)
	}
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetCooldownDays(1) })

	// Back to the pool (ownerID nil) by the manager: like a release.
	f.at(2 * time.Hour)
	f.link(t, f.c.PoolAdmin.Create().SetPoolID(f.pool.ID).SetUserID(manager)) // protection does not stop the pool's admin
	unowned := f.poolLeads(t, 1)[0]
	assigned, fails, err = f.svc.Assign(f.ctx, manager, []uuid.UUID{a, noPool, unowned}, nil, "")
	if err != nil || len(fails) != 0 || len(assigned) != 3 {
		t.Fatalf("to the pool: assigned %v, failures %+v, %v", assigned, fails, err)
	}
	for _, id := range []uuid.UUID{a, noPool} {
		l := f.lead(t, id)
		if l.OwnerID != nil || l.ClaimedAt != nil || l.ProtectedUntil != nil || *l.PoolID != f.pool.ID {
			t.Fatalf("lead back in the pool: %+v", l)
		}
		cs := f.changes(t, id)
		if ch := cs[len(cs)-1]; ch.Kind != ownerchange.KindASSIGN || *ch.FromUserID != rep || ch.ToUserID != nil || *ch.PoolID != f.pool.ID {
			t.Fatalf("to-pool change %+v", ch)
		}
	}
	if cs := f.changes(t, unowned); len(cs) != 0 {
		t.Fatalf("a lead already in the pool was changed: %+v", cs)
	}
	// The former owner is now in cooldown for a.
	if _, fails = f.claim(t, rep, a); codes(fails) != pool.CodeCooldown || !strings.Contains(fails[0].Message, "moved away from you") {
		t.Fatalf("cooldown after an assignment away: %+v", fails)
	}
}

func TestAssignFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	manager := f.admin
	rep := f.rep(t, func(c *ent.UserCreate) { c.SetCapacity(2) })
	off := f.rep(t, func(c *ent.UserCreate) { c.SetActive(false) })
	ids := f.poolLeads(t, 5)
	f.update(t, ids[4], func(u *ent.LeadUpdateOne) { u.SetStatus(lead.StatusARCHIVED) })

	// Unknown target: bad input, nothing written.
	_, _, err := f.svc.Assign(f.ctx, manager, ids[:1], ptr(uuid.New()), "")
	inputError(t, err, "ownerID")
	if o := f.owner(t, ids[0]); o != nil {
		t.Fatal("an assignment to an unknown user wrote")
	}
	// Inactive target: a failure per lead (an id that is not found stays NOT_FOUND).
	missing := uuid.New()
	assigned, fails, err := f.svc.Assign(f.ctx, manager, []uuid.UUID{ids[0], missing}, &off, "")
	if err != nil || len(assigned) != 0 || codes(fails) != "NOT_ACTIVE_USER,NOT_FOUND" {
		t.Fatalf("inactive target: %v %+v %v", assigned, fails, err)
	}
	// Capacity 2: the third open lead is refused; inactive leads fail first.
	assigned, fails, err = f.svc.Assign(f.ctx, manager, ids, &rep, "")
	if err != nil || len(assigned) != 2 || codes(fails) != "OVER_CAPACITY,OVER_CAPACITY,INACTIVE" {
		t.Fatalf("capacity: %v %+v %v", assigned, fails, err)
	}
	if !strings.Contains(failureOf(t, fails, ids[2]).Message, "capacity 2") {
		t.Fatalf("%+v", fails)
	}
	// Bad input.
	_, _, err = f.svc.Assign(f.ctx, manager, nil, &rep, "")
	inputError(t, err, "ids")
	_, _, err = f.svc.Assign(f.ctx, manager, ids, &rep, strings.Repeat("x", 1001))
	inputError(t, err, "reason")
}

func TestAssignProtectionBoundary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setPool(t, func(u *ent.PoolUpdateOne) { u.SetProtectionDays(3) })
	manager := f.rep(t, func(c *ent.UserCreate) { c.SetRoles([]string{"manager"}) })
	poolAdmin := f.rep(t)
	f.link(t, f.c.PoolAdmin.Create().SetPoolID(f.pool.ID).SetUserID(poolAdmin))
	owner, target := f.rep(t), f.rep(t)
	ids := f.poolLeads(t, 2)
	f.mustClaim(t, owner, ids...)

	// Day 2: protected against another manager, to a rep or to the pool.
	f.at(2 * day)
	for _, to := range []*uuid.UUID{&target, nil} {
		assigned, fails, err := f.svc.Assign(f.ctx, manager, ids[:1], to, "")
		if err != nil || len(assigned) != 0 || codes(fails) != pool.CodeProtected ||
			fails[0].Message != "the lead is protected for its owner until 2026-11-26 10:00" ||
			fails[0].Until == nil || !fails[0].Until.Equal(t0.Add(3*day)) {
			t.Fatalf("day 2: %v %+v %v", assigned, fails, err)
		}
	}
	// The owner moving their own lead is not stopped by its protection.
	if assigned, fails, err := f.svc.Assign(f.ctx, owner, ids[1:], &target, ""); err != nil || len(assigned) != 1 || len(fails) != 0 {
		t.Fatalf("owner's own move: %v %+v %v", assigned, fails, err)
	}
	// The pool's admin bypasses protection.
	if assigned, fails, err := f.svc.Assign(f.ctx, poolAdmin, ids[1:], &owner, ""); err != nil || len(assigned) != 1 || len(fails) != 0 {
		t.Fatalf("pool admin: %v %+v %v", assigned, fails, err)
	}
	// A minute before the end: still protected. Day 3: free.
	f.at(3*day - time.Minute)
	if _, fails, _ := f.svc.Assign(f.ctx, manager, ids[:1], &target, ""); codes(fails) != pool.CodeProtected {
		t.Fatalf("a minute before the end: %+v", fails)
	}
	f.at(3 * day)
	if assigned, fails, err := f.svc.Assign(f.ctx, manager, ids[:1], &target, ""); err != nil || len(assigned) != 1 || len(fails) != 0 {
		t.Fatalf("day 3: %v %+v %v", assigned, fails, err)
	}
	l := f.lead(t, ids[0])
	if *l.OwnerID != target || !l.ProtectedUntil.Equal(t0.Add(6*day)) {
		t.Fatalf("after the move: %+v", l)
	}
}

// TestReleaseWaitsForALeadHeldByAnotherTransaction: a rep's release is not
// dropped because a scoring pass or a merge holds the lead at that moment.
func TestReleaseWaitsForALeadHeldByAnotherTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rep := f.rep(t)
	id := f.poolLeads(t, 1)[0]
	f.mustClaim(t, rep, id)
	tx, err := f.db.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after the explicit commit
	if _, err := tx.Exec(`SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}
	done := make(chan []uuid.UUID, 1)
	go func() {
		released, err := f.svc.Release(f.ctx, rep, []uuid.UUID{id}, "")
		if err != nil {
			t.Error(err)
		}
		done <- released
	}()
	select {
	case got := <-done:
		t.Fatalf("release returned %v while the lead was held", got)
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := <-done; len(got) != 1 || got[0] != id {
		t.Fatalf("released %v after the other transaction ended, want the lead", got)
	}
}
