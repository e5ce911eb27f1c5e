package demo_test

import (
	"context"
	"testing"

	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/internal/demo"
	"github.com/scrmhq/scrm/internal/rules"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
)

// TestDemoRulesCompile: the demo workspace's assignment and scoring rules are
// valid conditions over its fields, so `make run` shows working rules.
func TestDemoRulesCompile(t *testing.T) {
	db := testenv.NewDatabase(t)
	res, err := demo.Ensure(context.Background(), db.Client, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := tenant.NewContext(context.Background(), res.Workspace.ID)
	ars, err := db.Client.AssignmentRule.Query().All(ctx)
	if err != nil || len(ars) == 0 {
		t.Fatalf("assignment rules: %v (%d)", err, len(ars))
	}
	for _, r := range ars {
		if r.Condition == "" {
			continue
		}
		if err := rules.Validate(ctx, db.Client, rules.Assignment, "condition", r.Condition); err != nil {
			t.Errorf("assignment rule %s: %v", r.Name, err)
		}
	}
	srs, err := db.Client.ScoringRule.Query().All(ctx)
	if err != nil || len(srs) == 0 {
		t.Fatalf("scoring rules: %v (%d)", err, len(srs))
	}
	for _, r := range srs {
		if err := rules.Validate(ctx, db.Client, rules.Scoring, "condition", r.Condition); err != nil {
			t.Errorf("scoring rule %s: %v", r.Name, err)
		}
	}
	segs, err := db.Client.Segment.Query().All(ctx)
	if err != nil || len(segs) != 3 {
		t.Fatalf("segments: %v (%d), want 3", err, len(segs))
	}
	for _, s := range segs {
		if s.Status != segment.StatusREADY || s.VersionID == nil {
			t.Errorf("segment %s: %s %v", s.Name, s.Status, s.Error)
		}
	}
}

// TestDemoIsConsistent: what the demo shows agrees with itself: every lead
// has the tier of its score, every won lead a deal, every last follow-up
// date its follow-up, and every open promise its task.
func TestDemoIsConsistent(t *testing.T) {
	db := testenv.NewDatabase(t)
	res, err := demo.Ensure(context.Background(), db.Client, 300, 7)
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{
		"leads whose tier is not their score's": `SELECT count(*) FROM leads WHERE tenant_id = $1 AND tier IS DISTINCT FROM
			CASE WHEN score >= 80 THEN 'A' WHEN score >= 50 THEN 'B' WHEN score >= 20 THEN 'C' ELSE 'D' END`,
		"won leads without a deal": `SELECT count(*) FROM leads l JOIN stages s ON s.id = l.stage_id AND s.kind = 'WON'
			WHERE l.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.lead_id = l.id)`,
		"last follow-up dates without that follow-up": `SELECT count(*) FROM leads l WHERE l.tenant_id = $1 AND l.last_follow_up_at IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.lead_id = l.id AND f.created_at = l.last_follow_up_at)`,
		"promises without a task": `SELECT count(*) FROM follow_ups f WHERE f.tenant_id = $1 AND f.next_follow_up_at IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM tasks k WHERE k.follow_up_id = f.id AND k.kind = 'FOLLOW_UP' AND k.due_at = f.next_follow_up_at)`,
	} {
		var n int
		if err := db.DB.QueryRow(q, res.Workspace.ID).Scan(&n); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, name)
		}
	}
	var deals, promises int
	_ = db.DB.QueryRow(`SELECT (SELECT count(*) FROM deals WHERE tenant_id = $1), (SELECT count(*) FROM tasks WHERE tenant_id = $1)`,
		res.Workspace.ID).Scan(&deals, &promises)
	if deals == 0 || promises == 0 {
		t.Errorf("the demo has %d deals and %d tasks; want some of each", deals, promises)
	}
}
