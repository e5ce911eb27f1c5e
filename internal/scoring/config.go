package scoring

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/scorehit"
	"github.com/scrmhq/scrm/ent/scoringrule"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/rules"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// RulePatch is a scoring rule as an admin writes it. Nil fields keep their
// value on update (and take their defaults on create); DecayDays 0 clears
// the decay.
type RulePatch struct {
	Name      *string
	Condition *string
	Points    *int
	DecayDays *int
	Enabled   *bool
}

// MaxPoints bounds the points of one rule either way.
const MaxPoints = 1000

func checkRule(ctx context.Context, c *ent.Client, in *RulePatch) error {
	if in.Name != nil {
		name, err := textinput.Clean("name", *in.Name, 200, true)
		if err != nil {
			return err
		}
		in.Name = &name
	}
	if in.Points != nil && (*in.Points < -MaxPoints || *in.Points > MaxPoints) {
		return apperr.Input("points", "points must be between %d and %d", -MaxPoints, MaxPoints)
	}
	if in.DecayDays != nil && (*in.DecayDays < 0 || *in.DecayDays > 3650) {
		return apperr.Input("decayDays", "decayDays must be between 1 and 3650 (0 clears it)")
	}
	if in.Condition != nil {
		return rules.Validate(ctx, c, rules.Scoring, "condition", *in.Condition)
	}
	return nil
}

func nameTaken(ctx context.Context, c *ent.Client, name *string, except uuid.UUID) error {
	if name == nil {
		return nil
	}
	taken, err := c.ScoringRule.Query().Where(scoringrule.Name(*name), scoringrule.IDNEQ(except)).Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return apperr.New(apperr.Conflict, "name", "a scoring rule named %q exists", *name)
	}
	return nil
}

// CreateRule saves a scoring rule of the workspace in ctx. Scores change
// when leads are next scored: queue a workspace re-score after it commits.
func (s *Service) CreateRule(ctx context.Context, in RulePatch) (*ent.ScoringRule, error) {
	c := s.db(ctx)
	switch {
	case in.Name == nil:
		return nil, apperr.Input("name", "name is required")
	case in.Condition == nil:
		return nil, apperr.Input("condition", "condition is required")
	case in.Points == nil:
		return nil, apperr.Input("points", "points are required")
	}
	if err := checkRule(ctx, c, &in); err != nil {
		return nil, err
	}
	if err := nameTaken(ctx, c, in.Name, uuid.Nil); err != nil {
		return nil, err
	}
	b := c.ScoringRule.Create().SetName(*in.Name).SetCondition(*in.Condition).SetPoints(*in.Points).
		SetNillableEnabled(in.Enabled)
	if in.DecayDays != nil && *in.DecayDays > 0 {
		b.SetDecayDays(*in.DecayDays)
	}
	r, err := b.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create scoring rule: %w", err)
	}
	return r, nil
}

// UpdateRule changes the given fields of scoring rule id.
func (s *Service) UpdateRule(ctx context.Context, id uuid.UUID, in RulePatch) (*ent.ScoringRule, error) {
	c := s.db(ctx)
	if err := checkRule(ctx, c, &in); err != nil {
		return nil, err
	}
	if err := nameTaken(ctx, c, in.Name, id); err != nil {
		return nil, err
	}
	u := c.ScoringRule.UpdateOneID(id).SetNillableName(in.Name).SetNillableCondition(in.Condition).
		SetNillablePoints(in.Points).SetNillableEnabled(in.Enabled)
	if in.DecayDays != nil {
		if *in.DecayDays == 0 {
			u.ClearDecayDays()
		} else {
			u.SetDecayDays(*in.DecayDays)
		}
	}
	r, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "id", "scoring rule not found")
	}
	return r, err
}

// DeleteRule deletes scoring rule id and its hits; the points it gave go
// when the leads are next scored.
func (s *Service) DeleteRule(ctx context.Context, id uuid.UUID) error {
	c := s.db(ctx)
	return txn.WithTx(ctx, c, func(c *ent.Client) error {
		if _, err := c.ScoreHit.Delete().Where(scorehit.RuleID(id)).Exec(ctx); err != nil {
			return err
		}
		err := c.ScoringRule.DeleteOneID(id).Exec(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "id", "scoring rule not found")
		}
		return err
	})
}
