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
