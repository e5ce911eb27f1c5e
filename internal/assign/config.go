package assign

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/assignmenttarget"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/rules"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// RulePatch is an assignment rule as an admin writes it. Nil fields keep
// their value on update (and take their defaults on create); Targets, when
// not nil, replace the rule's targets; DailyCap 0 clears the cap.
type RulePatch struct {
	Name              *string
	Priority          *int
	Condition         *string
	Strategy          *assignmentrule.Strategy
	Targets           []TargetSpec
	DailyCap          *int
	FallbackPoolID    *uuid.UUID
	ClearFallbackPool bool
	Enabled           *bool
}

// CreateRule saves an assignment rule of the workspace in ctx: its condition
// type-checked against the workspace's fields, its targets and fallback pool
// checked by ValidateRule.
func (e *Engine) CreateRule(ctx context.Context, in RulePatch) (*ent.AssignmentRule, error) {
	c := e.db(ctx)
	if in.Name == nil {
		return nil, apperr.Input("name", "name is required")
	}
	if in.Strategy == nil {
		return nil, apperr.Input("strategy", "strategy is required")
	}
	return saveRule(ctx, c, nil, in)
}

// UpdateRule changes the given fields of assignment rule id.
func (e *Engine) UpdateRule(ctx context.Context, id uuid.UUID, in RulePatch) (*ent.AssignmentRule, error) {
	c := e.db(ctx)
	return saveRule(ctx, c, &id, in)
}

func saveRule(ctx context.Context, c *ent.Client, id *uuid.UUID, in RulePatch) (*ent.AssignmentRule, error) {
	if in.Name != nil {
		name, err := textinput.Clean("name", *in.Name, 200, true)
		if err != nil {
			return nil, err
		}
		in.Name = &name
	}
	if in.Priority != nil && (*in.Priority < 0 || *in.Priority > 1_000_000) {
		return nil, apperr.Input("priority", "priority must be between 0 and 1000000")
	}
	if in.Condition != nil && *in.Condition != "" {
		if err := rules.Validate(ctx, c, rules.Assignment, "condition", *in.Condition); err != nil {
			return nil, err
		}
	}
	var out *ent.AssignmentRule
	err := txn.WithTx(ctx, c, func(c *ent.Client) error {
		var cur *ent.AssignmentRule
		if id != nil {
			r, err := c.AssignmentRule.Query().Where(assignmentrule.ID(*id)).WithTargets().ForUpdate().Only(ctx)
			if ent.IsNotFound(err) {
				return apperr.New(apperr.NotFound, "id", "assignment rule not found")
			}
			if err != nil {
				return err
			}
			cur = r
		}
		spec := specOf(cur, in)
		if err := validateRule(ctx, c, spec); err != nil {
			// Targets the rule already has are not checked again: a rep who
			// left must not stop the rule from being edited (the engine skips
			// inactive targets).
			if e, ok := apperr.As(err); !ok || cur == nil || in.Targets != nil || !strings.HasPrefix(e.Field, "targets[") {
				return err
			}
		}
		if in.Name != nil {
			q := c.AssignmentRule.Query().Where(assignmentrule.Name(*in.Name))
			if cur != nil {
				q = q.Where(assignmentrule.IDNEQ(cur.ID))
			}
			if taken, err := q.Exist(ctx); err != nil {
				return err
			} else if taken {
				return apperr.New(apperr.Conflict, "name", "an assignment rule named %q exists", *in.Name)
			}
		}
		var err error
		if cur == nil {
			out, err = c.AssignmentRule.Create().SetName(*in.Name).SetNillablePriority(in.Priority).
				SetNillableCondition(in.Condition).SetStrategy(*in.Strategy).SetNillableDailyCap(spec.DailyCap).
				SetNillableFallbackPoolID(spec.FallbackPoolID).SetNillableEnabled(in.Enabled).Save(ctx)
		} else {
			u := c.AssignmentRule.UpdateOne(cur).SetNillableName(in.Name).SetNillablePriority(in.Priority).
				SetNillableCondition(in.Condition).SetNillableStrategy(in.Strategy).SetNillableEnabled(in.Enabled)
			if in.DailyCap != nil {
				u.ClearDailyCap().SetNillableDailyCap(spec.DailyCap)
			}
			if in.ClearFallbackPool {
				u.ClearFallbackPoolID()
			} else if in.FallbackPoolID != nil {
				u.SetFallbackPoolID(*in.FallbackPoolID)
			}
			out, err = u.Save(ctx)
		}
		if err != nil {
			return fmt.Errorf("save assignment rule: %w", err)
		}
		if in.Targets == nil {
			return nil
		}
		// New targets start a fresh round: their cursor and weights reset.
		if _, err := c.AssignmentTarget.Delete().Where(assignmenttarget.RuleID(out.ID)).Exec(ctx); err != nil {
			return err
		}
		bulk := make([]*ent.AssignmentTargetCreate, len(in.Targets))
		for i, t := range in.Targets {
			bulk[i] = c.AssignmentTarget.Create().SetRuleID(out.ID).SetUserID(t.UserID).SetWeight(t.Weight)
		}
		if err := c.AssignmentTarget.CreateBulk(bulk...).Exec(ctx); err != nil {
			return err
		}
		return c.AssignmentRule.UpdateOne(out).SetCursor(0).Exec(ctx)
	})
	return out, err
}

// specOf is the rule as it will be after in is applied to cur (nil when new).
func specOf(cur *ent.AssignmentRule, in RulePatch) RuleSpec {
	var s RuleSpec
	if cur != nil {
		s = RuleSpec{Strategy: cur.Strategy, DailyCap: cur.DailyCap, FallbackPoolID: cur.FallbackPoolID}
		for _, t := range cur.Edges.Targets {
			s.Targets = append(s.Targets, TargetSpec{UserID: t.UserID, Weight: t.Weight})
		}
	}
	if in.Strategy != nil {
		s.Strategy = *in.Strategy
	}
	if in.DailyCap != nil {
		s.DailyCap = in.DailyCap
		if *in.DailyCap == 0 {
			s.DailyCap = nil
		}
	}
	if in.ClearFallbackPool {
		s.FallbackPoolID = nil
	} else if in.FallbackPoolID != nil {
		s.FallbackPoolID = in.FallbackPoolID
	}
	if in.Targets != nil {
		s.Targets = in.Targets
	}
	return s
}
