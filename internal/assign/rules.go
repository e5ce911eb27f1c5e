package assign

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
)

// RuleSpec is what ValidateRule checks of an assignment rule about to be
// saved. Name, priority and condition are checked elsewhere (the schema's
// validators and the condition compiler).
type RuleSpec struct {
	Strategy       assignmentrule.Strategy
	DailyCap       *int
	FallbackPoolID *uuid.UUID
	Targets        []TargetSpec
}

// TargetSpec is one target of a RuleSpec.
type TargetSpec struct {
	UserID uuid.UUID
	Weight int
}

// ValidateRule checks in against the workspace of ctx before a create or
// update writes anything: the strategy is known, the daily cap positive,
// every target an active user of the workspace listed once with a weight of
// at least 1, strategies that pick among targets have at least one, and the
// fallback pool exists. It returns the first problem as BAD_USER_INPUT at
// its field ("targets[1].userID", "fallbackPoolID", …).
// ORIGINAL_OWNER ignores targets and TERRITORY uses them only to narrow a
// territory's reps, so both may have none.
func (e *Engine) ValidateRule(ctx context.Context, in RuleSpec) error {
	return validateRule(ctx, e.db(ctx), in)
}

// validateRule is ValidateRule on the client c (the caller's transaction).
func validateRule(ctx context.Context, c *ent.Client, in RuleSpec) error {
	if err := assignmentrule.StrategyValidator(in.Strategy); err != nil {
		return apperr.Wrap(err, apperr.BadInput, "strategy", fmt.Sprintf("unknown strategy %q", in.Strategy))
	}
	if in.DailyCap != nil && *in.DailyCap < 1 {
		return apperr.Input("dailyCap", "the daily cap must be at least 1")
	}
	active := map[uuid.UUID]bool{}
	if len(in.Targets) > 0 {
		ids := make([]uuid.UUID, len(in.Targets))
		for i, t := range in.Targets {
			ids[i] = t.UserID
		}
		found, err := c.User.Query().Where(user.IDIn(distinct(ids)...)).All(ctx)
		if err != nil {
			return err
		}
		for _, u := range found {
			active[u.ID] = u.Active
		}
	}
	seen := map[uuid.UUID]bool{}
	for i, t := range in.Targets {
		at := fmt.Sprintf("targets[%d]", i)
		if t.Weight < 1 {
			return apperr.Input(at+".weight", "the weight must be at least 1")
		}
		if on, ok := active[t.UserID]; !ok {
			return apperr.New(apperr.NotFound, at+".userID", "no user with this id in the workspace")
		} else if !on {
			return apperr.Input(at+".userID", "this user is deactivated")
		}
		if seen[t.UserID] {
			return apperr.Input(at+".userID", "this user is already a target of the rule")
		}
		seen[t.UserID] = true
	}
	switch in.Strategy {
	case assignmentrule.StrategyROUND_ROBIN, assignmentrule.StrategyWEIGHTED,
		assignmentrule.StrategyLEAST_LOADED, assignmentrule.StrategySCORE_TIER:
		if len(in.Targets) == 0 {
			return apperr.Input("targets", "a %s rule needs at least one target", in.Strategy)
		}
	}
	if in.FallbackPoolID != nil {
		ok, err := c.Pool.Query().Where(pool.ID(*in.FallbackPoolID)).Exist(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.NotFound, "fallbackPoolID", "no pool with this id in the workspace")
		}
	}
	return nil
}

// DeleteRule deletes assignment rule id of the workspace in ctx, with its
// targets. Owner changes the rule made keep their reason ("rule <name>: …")
// and lose the link. A rule that does not exist is NOT_FOUND at "id". A
// run holding the rule's lock finishes first.
func (e *Engine) DeleteRule(ctx context.Context, id uuid.UUID) error {
	c := e.db(ctx)
	n, err := c.AssignmentRule.Delete().Where(assignmentrule.ID(id)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete assignment rule: %w", err)
	}
	if n == 0 {
		return apperr.New(apperr.NotFound, "id", "assignment rule not found")
	}
	return nil
}
