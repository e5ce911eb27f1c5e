package graph

import (
	"cmp"
	"context"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/funnel"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/scoring"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/workspace"
)

// DistributionQueue takes the background work of distribution changes.
type DistributionQueue interface {
	// RescoreWorkspace re-scores every lead of a workspace (after its
	// scoring rules or tier thresholds change).
	RescoreWorkspace(ctx context.Context, tenantID uuid.UUID) error
}

func poolConfig(in model.UpdatePoolInput) pool.Patch {
	return pool.Patch{
		Name: in.Name, TeamIDs: in.TeamIDs, TerritoryIDs: in.TerritoryIDs, AdminIDs: in.AdminIDs,
		SetTeams: in.TeamIDs != nil, SetTerritories: in.TerritoryIDs != nil, SetAdmins: in.AdminIDs != nil,
		RecycleNoFollowUpDays: in.RecycleNoFollowUpDays, RecycleNoDealDays: in.RecycleNoDealDays,
		RemindBeforeDays: in.RemindBeforeDays, CooldownDays: in.CooldownDays, ProtectionDays: in.ProtectionDays,
		DailyClaimLimit: in.DailyClaimLimit, IsDefault: in.IsDefault,
	}
}

func createPoolConfig(in model.CreatePoolInput) pool.Patch {
	return poolConfig(model.UpdatePoolInput{
		Name: &in.Name, TeamIDs: in.TeamIDs, TerritoryIDs: in.TerritoryIDs, AdminIDs: in.AdminIDs,
		RecycleNoFollowUpDays: in.RecycleNoFollowUpDays, RecycleNoDealDays: in.RecycleNoDealDays,
		RemindBeforeDays: in.RemindBeforeDays, CooldownDays: in.CooldownDays, ProtectionDays: in.ProtectionDays,
		DailyClaimLimit: in.DailyClaimLimit, IsDefault: in.IsDefault,
	})
}

// signedInUser is the caller as a user: claims and releases are a person's
// acts, which API keys cannot make.
func signedInUser(ctx context.Context) (uuid.UUID, error) {
	v, err := viewer(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	if v.UserID == uuid.Nil {
		return uuid.Nil, apperr.New(apperr.Forbidden, "", "only a signed-in user can do this, not an API key")
	}
	return v.UserID, nil
}

func failures(in []pool.Failure) []*model.LeadFailure {
	out := make([]*model.LeadFailure, len(in))
	for i, f := range in {
		out[i] = &model.LeadFailure{LeadID: f.LeadID, Code: f.Code, Message: f.Message, Until: f.Until, Limit: f.Limit, Pool: f.Pool}
	}
	return out
}

func (r *Resolver) claimLeads(ctx context.Context, ids []uuid.UUID) (*model.ClaimLeadsPayload, error) {
	me, err := signedInUser(ctx)
	if err != nil {
		return nil, err
	}
	claimed, fails, err := r.Pools.Claim(ctx, me, ids)
	if err != nil {
		return nil, err
	}
	return &model.ClaimLeadsPayload{Claimed: claimed, Failures: failures(fails)}, nil
}

func (r *Resolver) releaseLeads(ctx context.Context, ids []uuid.UUID, reason *string) (*model.ReleaseLeadsPayload, error) {
	me, err := signedInUser(ctx)
	if err != nil {
		return nil, err
	}
	released, err := r.Pools.Release(ctx, me, ids, deref(reason))
	if err != nil {
		return nil, err
	}
	return &model.ReleaseLeadsPayload{Released: len(released)}, nil
}

func (r *Resolver) assignLeads(ctx context.Context, ids []uuid.UUID, ownerID *uuid.UUID, reason *string) (*model.AssignLeadsPayload, error) {
	me, err := signedInUser(ctx)
	if err != nil {
		return nil, err
	}
	assigned, fails, err := r.Pools.Assign(ctx, me, ids, ownerID, deref(reason))
	if err != nil {
		return nil, err
	}
	return &model.AssignLeadsPayload{Assigned: len(assigned), Failures: failures(fails)}, nil
}

func (r *Resolver) distributeLeads(ctx context.Context, ids []uuid.UUID) (*model.DistributeLeadsPayload, error) {
	if len(ids) == 0 || len(ids) > 1000 {
		return nil, apperr.Input("ids", "give between 1 and 1000 lead ids")
	}
	// Distributing hands out leads (assign permission), the unowned ones of
	// a pool above all, so read scope is the one that applies.
	if err := scope.CheckLeads(ctx, r.Client, scope.Read, "ids", ids); err != nil {
		return nil, err
	}
	res, err := r.Assigner.Run(scope.Unscoped(ctx), ids)
	if err != nil {
		return nil, err
	}
	return &model.DistributeLeadsPayload{Assigned: len(res.Assigned), Pooled: len(res.Pooled), Skipped: len(res.Skipped)}, nil
}

func (r *Resolver) recyclePools(ctx context.Context, dryRun *bool) (*model.RecyclePoolsPayload, error) {
	// Each batch of the pass queues the delivery of its notifications in its
	// own transaction (Pools.Notify), so a pass that fails part-way has
	// queued those of the batches it committed.
	res, err := r.Pools.Recycle(scope.Unscoped(ctx), pool.RecycleOptions{DryRun: deref(dryRun)})
	if err != nil {
		return nil, err
	}
	return &model.RecyclePoolsPayload{Recycled: len(res.Recycled), Reminded: len(res.Reminded), LeadIDs: res.Recycled}, nil
}

// rescore queues a re-score of the caller's workspace in the mutation's
// transaction (an outbox row that commits with the change).
func (r *Resolver) rescore(ctx context.Context) error {
	if r.Distribution == nil {
		return nil
	}
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return tenant.ErrMissing
	}
	return r.Distribution.RescoreWorkspace(ctx, tid)
}

func scoringRuleInput(in model.UpdateScoringRuleInput) scoring.RulePatch {
	return scoring.RulePatch{Name: in.Name, Condition: in.Condition, Points: in.Points, DecayDays: in.DecayDays, Enabled: in.Enabled}
}

func (r *Resolver) createScoringRule(ctx context.Context, in model.CreateScoringRuleInput) (*ent.ScoringRule, error) {
	sr, err := r.Services.Scoring.CreateRule(ctx, scoringRuleInput(model.UpdateScoringRuleInput{
		Name: &in.Name, Condition: &in.Condition, Points: &in.Points, DecayDays: in.DecayDays, Enabled: in.Enabled}))
	if err != nil {
		return nil, err
	}
	if err := r.rescore(ctx); err != nil {
		return nil, err
	}
	return sr, nil
}

func (r *Resolver) updateScoringRule(ctx context.Context, id uuid.UUID, in model.UpdateScoringRuleInput) (*ent.ScoringRule, error) {
	sr, err := r.Services.Scoring.UpdateRule(ctx, id, scoringRuleInput(in))
	if err != nil {
		return nil, err
	}
	if err := r.rescore(ctx); err != nil {
		return nil, err
	}
	return sr, nil
}

func (r *Resolver) deleteScoringRule(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	if err := r.Services.Scoring.DeleteRule(ctx, id); err != nil {
		return uuid.Nil, err
	}
	if err := r.rescore(ctx); err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

func (r *Resolver) tierThresholds(ctx context.Context) (*model.TierThresholds, error) {
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, auth.ErrUnauthenticated
	}
	s, err := workspace.SettingsOf(ctx, r.Client, tid)
	if err != nil {
		return nil, err
	}
	t := workspace.TiersOf(s)
	return &model.TierThresholds{A: t.A, B: t.B, C: t.C}, nil
}

func (r *Resolver) setTierThresholds(ctx context.Context, in model.TierThresholdsInput) (*model.TierThresholds, error) {
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, auth.ErrUnauthenticated
	}
	if err := workspace.SetTiers(ctx, r.db(ctx), tid, schematype.TierThresholds{A: in.A, B: in.B, C: in.C}); err != nil {
		return nil, err
	}
	if err := r.rescore(ctx); err != nil {
		return nil, err
	}
	return &model.TierThresholds{A: in.A, B: in.B, C: in.C}, nil
}

// maxOverdue bounds one page of overdue follow-ups.
const maxOverdue = 200

func (r *Resolver) overdueFollowUps(ctx context.Context, ownerID *uuid.UUID, first *int) ([]*ent.FollowUp, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	owner := v.UserID
	if ownerID != nil && *ownerID != v.UserID {
		// Another rep's list is a manager's view.
		if err := Authorize(ctx, r.Authz, Permission{"lead", "assign"}); err != nil {
			return nil, err
		}
		owner = *ownerID
	}
	limit := maxOverdue
	if first != nil {
		if *first < 1 || *first > maxOverdue {
			return nil, apperr.Input("first", "first must be between 1 and %d", maxOverdue)
		}
		limit = *first
	}
	fs, err := r.Services.Leads.OverdueFollowUps(ctx, owner, r.Clock.Now(), limit)
	if err != nil || len(fs) == 0 {
		return fs, err
	}
	// Keep to the leads the caller's row scope shows (a manager asking for a
	// rep of another team sees nothing of theirs).
	ids := make([]uuid.UUID, len(fs))
	for i, f := range fs {
		ids[i] = f.LeadID
	}
	visible, err := r.db(ctx).Lead.Query().Where(lead.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	ok := make(map[uuid.UUID]bool, len(visible))
	for _, id := range visible {
		ok[id] = true
	}
	out := fs[:0]
	for _, f := range fs {
		if ok[f.LeadID] {
			out = append(out, f)
		}
	}
	return out, nil
}

func assignmentRuleInput(in model.UpdateAssignmentRuleInput) assign.RulePatch {
	out := assign.RulePatch{Name: in.Name, Priority: in.Priority, Condition: in.Condition, Strategy: in.Strategy,
		DailyCap: in.DailyCap, FallbackPoolID: in.FallbackPoolID, ClearFallbackPool: deref(in.ClearFallbackPool), Enabled: in.Enabled}
	if in.Targets != nil {
		out.Targets = make([]assign.TargetSpec, len(in.Targets))
		for i, t := range in.Targets {
			out.Targets[i] = assign.TargetSpec{UserID: t.UserID, Weight: cmp.Or(deref(t.Weight), 1)}
		}
	}
	return out
}

func (r *Resolver) createAssignmentRule(ctx context.Context, in model.CreateAssignmentRuleInput) (*ent.AssignmentRule, error) {
	targets := in.Targets
	if targets == nil {
		targets = []*model.AssignmentTargetInput{}
	}
	return r.Assigner.CreateRule(ctx, assignmentRuleInput(model.UpdateAssignmentRuleInput{
		Name: &in.Name, Priority: in.Priority, Condition: in.Condition, Strategy: &in.Strategy, Targets: targets,
		DailyCap: in.DailyCap, FallbackPoolID: in.FallbackPoolID, Enabled: in.Enabled}))
}

func (r *Resolver) updateAssignmentRule(ctx context.Context, id uuid.UUID, in model.UpdateAssignmentRuleInput) (*ent.AssignmentRule, error) {
	return r.Assigner.UpdateRule(ctx, id, assignmentRuleInput(in))
}

// myWorkload is the caller's own figures: the pool's counts, the overdue
// follow-ups and their line of this month's leaderboard.
func (r *Resolver) myWorkload(ctx context.Context) (*model.Workload, error) {
	me, err := signedInUser(ctx)
	if err != nil {
		return nil, err
	}
	w, err := r.Pools.Workload(ctx, me)
	if err != nil {
		return nil, err
	}
	overdue, err := r.Services.Leads.CountOverdueFollowUps(ctx, me, w.Now)
	if err != nil {
		return nil, err
	}
	// The leaderboard of the leads the caller sees holds the caller's line
	// (when they received or closed anything this month).
	rs, err := r.Reports.Leaderboard(ctx, w.MonthStart, w.MonthEnd, funnel.MaxLimit)
	if err != nil {
		return nil, err
	}
	u, err := r.db(ctx).User.Get(ctx, me)
	if err != nil {
		return nil, err
	}
	month := &model.RepStats{User: u}
	for _, s := range rs {
		if s.UserID == me {
			month.Leads, month.Deals, month.Amount, month.Conversion = s.Leads, s.Deals, s.Amount, s.Conversion
		}
	}
	return &model.Workload{OpenLeads: w.OpenLeads, Capacity: w.Capacity, ClaimsToday: w.ClaimsToday,
		DailyClaimLimit: w.DailyClaimLimit, OverdueFollowUps: overdue, Month: month}, nil
}

// claimBlocks says which of ids the caller could not claim and why.
func (r *Resolver) claimBlocks(ctx context.Context, ids []uuid.UUID) ([]*model.ClaimBlock, error) {
	me, err := signedInUser(ctx)
	if err != nil {
		return nil, err
	}
	bs, err := r.Pools.ClaimBlocks(ctx, me, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*model.ClaimBlock, len(bs))
	for i, b := range bs {
		out[i] = &model.ClaimBlock{LeadID: b.LeadID, Code: b.Code, Until: b.Until}
	}
	return out, nil
}
