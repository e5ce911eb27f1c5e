package assign_test

import (
	"cmp"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/assign"
)

// TestValidateRule: each problem of a rule about to be saved is reported as
// BAD_USER_INPUT at the path of the offending field.
func TestValidateRule(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.rep(t, "A", repSpec{}), f.rep(t, "B", repSpec{})
	off := f.rep(t, "Off", repSpec{inactive: true})
	other, otherCtx := f.otherWorkspace(t)
	foreignUser := other.Admin.ID
	foreignPool := must(f.c.Pool.Query().Where(pool.IsDefault(true)).OnlyID(otherCtx))(t)
	one, zero := 1, 0
	ts := func(users ...uuid.UUID) []assign.TargetSpec {
		out := make([]assign.TargetSpec, len(users))
		for i, u := range users {
			out[i] = assign.TargetSpec{UserID: u, Weight: 1}
		}
		return out
	}
	missing := uuid.New()
	for _, tc := range []struct {
		name  string
		in    assign.RuleSpec
		field string // "": valid
		code  apperr.Code
	}{
		{"round robin", assign.RuleSpec{Strategy: assignmentrule.StrategyROUND_ROBIN, Targets: ts(a, b), DailyCap: &one, FallbackPoolID: &f.pool}, "", ""},
		{"original owner without targets", assign.RuleSpec{Strategy: assignmentrule.StrategyORIGINAL_OWNER}, "", ""},
		{"territory without targets", assign.RuleSpec{Strategy: assignmentrule.StrategyTERRITORY}, "", ""},
		{"unknown strategy", assign.RuleSpec{Strategy: "RANDOM", Targets: ts(a)}, "strategy", ""},
		{"zero daily cap", assign.RuleSpec{Strategy: assignmentrule.StrategyROUND_ROBIN, Targets: ts(a), DailyCap: &zero}, "dailyCap", ""},
		{"zero weight", assign.RuleSpec{Strategy: assignmentrule.StrategyWEIGHTED,
			Targets: []assign.TargetSpec{{UserID: a, Weight: 2}, {UserID: b, Weight: 0}}}, "targets[1].weight", ""},
		{"inactive target", assign.RuleSpec{Strategy: assignmentrule.StrategyWEIGHTED, Targets: ts(a, off)}, "targets[1].userID", ""},
		{"unknown target", assign.RuleSpec{Strategy: assignmentrule.StrategyLEAST_LOADED, Targets: ts(missing)}, "targets[0].userID", apperr.NotFound},
		{"target of another workspace", assign.RuleSpec{Strategy: assignmentrule.StrategyROUND_ROBIN, Targets: ts(a, b, foreignUser)}, "targets[2].userID", apperr.NotFound},
		{"duplicate target", assign.RuleSpec{Strategy: assignmentrule.StrategyROUND_ROBIN, Targets: ts(a, b, a)}, "targets[2].userID", ""},
		{"weighted without targets", assign.RuleSpec{Strategy: assignmentrule.StrategyWEIGHTED}, "targets", ""},
		{"round robin without targets", assign.RuleSpec{Strategy: assignmentrule.StrategyROUND_ROBIN}, "targets", ""},
		{"least loaded without targets", assign.RuleSpec{Strategy: assignmentrule.StrategyLEAST_LOADED}, "targets", ""},
		{"score tier without targets", assign.RuleSpec{Strategy: assignmentrule.StrategySCORE_TIER}, "targets", ""},
		{"unknown fallback pool", assign.RuleSpec{Strategy: assignmentrule.StrategyTERRITORY, FallbackPoolID: &missing}, "fallbackPoolID", apperr.NotFound},
		{"fallback pool of another workspace", assign.RuleSpec{Strategy: assignmentrule.StrategyTERRITORY, FallbackPoolID: &foreignPool}, "fallbackPoolID", apperr.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&assign.Engine{Client: f.c}).ValidateRule(f.ctx, tc.in)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid rule refused: %v", err)
				}
				return
			}
			// Ids of other workspaces are NOT_FOUND, like unknown ones.
			want := cmp.Or(tc.code, apperr.BadInput)
			ae, ok := apperr.As(err)
			if !ok || ae.Code != want || ae.Field != tc.field {
				t.Fatalf("error %v (%#v), want %s at %s", err, ae, want, tc.field)
			}
		})
	}
}

// TestDeleteRule: a rule goes with its targets; the owner changes it made
// stay, unlinked; a rule that is not there — or is another workspace's —
// is NOT_FOUND at "id".
func TestDeleteRule(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.rep(t, "A", repSpec{})
	rule := f.rule(t, ruleSpec{name: "doomed", strategy: assignmentrule.StrategyROUND_ROBIN, targets: []uuid.UUID{a}})
	ls := f.leads(t, 1, nil)
	f.run(t, f.engine(nil), ls)
	if err := (&assign.Engine{Client: f.c}).DeleteRule(f.ctx, rule); err != nil {
		t.Fatal(err)
	}
	if n := f.c.AssignmentTarget.Query().CountX(f.ctx); n != 0 {
		t.Errorf("%d targets left", n)
	}
	ch := f.c.OwnerChange.Query().Where(ownerchange.LeadID(ls[0])).OnlyX(f.ctx)
	if ch.RuleID != nil || ch.Reason != "rule doomed: ROUND_ROBIN" {
		t.Errorf("owner change after delete: rule %v reason %q", ch.RuleID, ch.Reason)
	}
	_, otherCtx := f.otherWorkspace(t)
	foreign := must(f.c.AssignmentRule.Create().SetName("theirs").SetStrategy(assignmentrule.StrategyTERRITORY).Save(otherCtx))(t).ID
	for _, id := range []uuid.UUID{rule, foreign} {
		err := (&assign.Engine{Client: f.c}).DeleteRule(f.ctx, id)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.NotFound || ae.Field != "id" {
			t.Errorf("delete %s: %v, want NOT_FOUND at id", id, err)
		}
	}
	if !f.c.AssignmentRule.Query().Where(assignmentrule.ID(foreign)).ExistX(otherCtx) {
		t.Error("another workspace's rule was deleted")
	}
}
