package assign_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/txn"
)

// TestReassign: Reassign takes leads from their owners and gives each the
// rule's pick, never its owner, in one update of each lead (counted by
// PostgreSQL's per-transaction statistics) that writes the RELEASE by SYSTEM
// and then the AUTO_ASSIGN. Two full reps swap their leads: each rep's open
// leads are counted without those it is losing. A lead that had no owner
// and finds no rep goes to the fallback pool with the AUTO_ASSIGN only; an
// archived lead is skipped.
func TestReassign(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.rep(t, "A", repSpec{capacity: 3})
	b := f.rep(t, "B", repSpec{capacity: 3})
	overflow := f.newPool(t, "溢出池", 0)
	rule := f.rule(t, ruleSpec{name: "rr", strategy: assignmentrule.StrategyROUND_ROBIN, fallback: &overflow, targets: []uuid.UUID{a, b}})
	ofA := f.leads(t, 3, func(int) leadSpec { return leadSpec{owner: &a} })
	ofB := f.leads(t, 3, func(int) leadSpec { return leadSpec{owner: &b} })
	unowned := f.leads(t, 1, nil)[0]
	archived := f.leads(t, 1, func(int) leadSpec { return leadSpec{owner: &a, status: "ARCHIVED"} })[0]
	ids := append(append(append(append([]uuid.UUID{}, ofA...), ofB...), unowned), archived)

	tx, err := f.c.Tx(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ent.NewTxContext(f.ctx, tx)
	res, err := f.engine(nil).Reassign(ctx, ids, true, "journey: 二次分配")
	if err != nil {
		_ = tx.Rollback()
		t.Fatalf("reassign: %v", err)
	}
	var updates int
	if err := txn.QueryRow(ctx, tx.Client(), `SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'leads'`).Scan(&updates); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if updates != 7 {
		t.Errorf("%d lead updates, want 7: one per lead that changed", updates)
	}

	now := f.clock.Now()
	want := map[uuid.UUID]uuid.UUID{}
	for _, id := range ofA {
		want[id] = b
	}
	for _, id := range ofB {
		want[id] = a
	}
	if len(res.Assigned) != 6 || len(res.Released) != 6 || len(res.Pooled) != 1 || res.Pooled[0] != unowned ||
		len(res.Skipped) != 1 || res.Skipped[0] != archived {
		t.Fatalf("result = %+v", res)
	}
	leads := f.leadMap(t, ids)
	for id, to := range want {
		from := a
		if to == a {
			from = b
		}
		if res.Assigned[id] != to || res.Released[id] != from {
			t.Errorf("lead %s: reported to %s from %s, want %s from %s", id, res.Assigned[id], res.Released[id], to, from)
		}
		l := leads[id]
		if l.OwnerID == nil || *l.OwnerID != to || l.PoolID == nil || *l.PoolID != f.pool || l.ClaimedAt == nil || !l.ClaimedAt.Equal(now) ||
			l.ProtectedUntil == nil || !l.ProtectedUntil.Equal(now.Add(72*time.Hour)) || !l.UpdatedAt.Equal(now) {
			t.Errorf("lead %s: owner %v pool %v claimed %v protected %v; want %s in the default pool, claimed now, protected 3 days",
				id, l.OwnerID, l.PoolID, l.ClaimedAt, l.ProtectedUntil, to)
		}
		chs, err := f.c.OwnerChange.Query().Where(ownerchange.LeadID(id)).
			Order(ent.Asc(ownerchange.FieldAt), ent.Asc(ownerchange.FieldID)).All(f.ctx)
		if err != nil || len(chs) != 2 {
			t.Fatalf("lead %s: owner changes %v (%v), want a release and an assignment", id, chs, err)
		}
		rel, asg := chs[0], chs[1]
		if rel.Kind != ownerchange.KindRELEASE || rel.By != ownerchange.BySYSTEM || rel.FromUserID == nil || *rel.FromUserID != from ||
			rel.ToUserID != nil || rel.ActorID != nil || rel.PoolID == nil || *rel.PoolID != f.pool ||
			rel.Reason != "journey: 二次分配" || !rel.At.Equal(now) {
			t.Errorf("lead %s: first change %+v, want the RELEASE by SYSTEM from %s", id, rel, from)
		}
		if asg.Kind != ownerchange.KindAUTO_ASSIGN || asg.By != ownerchange.ByRULE || asg.FromUserID != nil ||
			asg.ToUserID == nil || *asg.ToUserID != to || asg.RuleID == nil || *asg.RuleID != rule ||
			asg.PoolID == nil || *asg.PoolID != f.pool || asg.Reason != "rule rr: ROUND_ROBIN" || !asg.At.Equal(now) {
			t.Errorf("lead %s: second change %+v, want the AUTO_ASSIGN to %s", id, asg, to)
		}
	}
	if l := leads[unowned]; l.OwnerID != nil || l.PoolID == nil || *l.PoolID != overflow {
		t.Errorf("unowned lead: owner %v pool %v, want the fallback pool", l.OwnerID, l.PoolID)
	}
	chs := f.c.OwnerChange.Query().Where(ownerchange.LeadID(unowned)).AllX(f.ctx)
	if len(chs) != 1 || chs[0].Kind != ownerchange.KindAUTO_ASSIGN || chs[0].ToUserID != nil || chs[0].PoolID == nil ||
		*chs[0].PoolID != overflow || chs[0].Reason != "rule rr: no eligible rep" {
		t.Errorf("unowned lead's changes: %+v, want the fallback's AUTO_ASSIGN only", chs)
	}
	if l := leads[archived]; l.OwnerID == nil || *l.OwnerID != a || f.c.OwnerChange.Query().Where(ownerchange.LeadID(archived)).CountX(f.ctx) != 0 {
		t.Errorf("archived lead: owner %v or history changed", l.OwnerID)
	}
	if n := f.openLeads(t, a); n != 3 {
		t.Errorf("A owns %d open leads, capacity 3", n)
	}
}

// TestReassignToPool: a lead whose rule has no rep but its owner returns to
// its pool, unowned and unprotected, with the RELEASE only; a rule with a
// condition stops Reassign before it writes (ErrConditional), since a
// condition must see the lead in the pool.
func TestReassignToPool(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.rep(t, "A", repSpec{})
	f.rule(t, ruleSpec{name: "only A", priority: 2, strategy: assignmentrule.StrategyROUND_ROBIN, targets: []uuid.UUID{a}})
	id := f.leads(t, 1, func(int) leadSpec { return leadSpec{owner: &a} })[0]
	cond := f.rule(t, ruleSpec{name: "web", priority: 1, condition: "source == 'web'", strategy: assignmentrule.StrategyROUND_ROBIN, targets: []uuid.UUID{a}})

	if _, err := f.engine(nil).Reassign(f.ctx, []uuid.UUID{id}, true, "journey: x"); !errors.Is(err, assign.ErrConditional) {
		t.Fatalf("with a conditional rule first: %v, want ErrConditional", err)
	}
	if l := f.lead(t, id); l.OwnerID == nil || *l.OwnerID != a || f.c.OwnerChange.Query().CountX(f.ctx) != 0 {
		t.Fatalf("after ErrConditional: owner %v, %d owner changes; want nothing written", l.OwnerID, f.c.OwnerChange.Query().CountX(f.ctx))
	}

	if err := f.c.AssignmentRule.UpdateOneID(cond).SetEnabled(false).Exec(f.ctx); err != nil {
		t.Fatal(err)
	}
	res, err := f.engine(nil).Reassign(f.ctx, []uuid.UUID{id}, true, "journey: x")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Assigned) != 0 || len(res.Pooled) != 1 || res.Released[id] != a {
		t.Fatalf("result = %+v", res)
	}
	l := f.lead(t, id)
	if l.OwnerID != nil || l.PoolID == nil || *l.PoolID != f.pool || l.ClaimedAt != nil || l.ProtectedUntil != nil {
		t.Errorf("lead: owner %v pool %v claimed %v protected %v; want back in its pool", l.OwnerID, l.PoolID, l.ClaimedAt, l.ProtectedUntil)
	}
	chs := f.c.OwnerChange.Query().Where(ownerchange.LeadID(id)).AllX(f.ctx)
	if len(chs) != 1 || chs[0].Kind != ownerchange.KindRELEASE || chs[0].FromUserID == nil || *chs[0].FromUserID != a ||
		chs[0].PoolID == nil || *chs[0].PoolID != f.pool {
		t.Errorf("changes: %+v, want the RELEASE only", chs)
	}
}
