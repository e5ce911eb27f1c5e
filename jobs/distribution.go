package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Distribution task types.
const (
	// TypePoolsRecycle fans the recycle pass out to every workspace.
	TypePoolsRecycle = "pools:recycle"
	// TypePoolsRecycleWorkspace runs the recycle pass and reminders of one
	// workspace.
	TypePoolsRecycleWorkspace = "pools:recycle-workspace"
	// TypeScoringNightly fans the nightly re-score out to every workspace.
	TypeScoringNightly = "scoring:nightly"
	// TypeScoringWorkspace re-scores every active lead of one workspace
	// (nightly, for decay and time windows, and after rule changes).
	TypeScoringWorkspace = "scoring:rescore-workspace"
)

// workspacePayload names one workspace.
type workspacePayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// RescoreWorkspace queues a re-score of every lead of a workspace. It is not
// unique: a change made while a pass runs needs a pass after it, and a
// duplicate pass only costs time.
func (q Queue) RescoreWorkspace(ctx context.Context, tenantID uuid.UUID) error {
	b, err := json.Marshal(workspacePayload{TenantID: tenantID})
	if err != nil {
		return err
	}
	err = q.enqueue(ctx, tenantID, asynq.NewTask(TypeScoringWorkspace, b),
		asynq.Queue("low"), asynq.MaxRetry(5), asynq.Timeout(2*time.Hour))
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeScoringWorkspace, err)
	}
	return nil
}

// DeliverNotifications implements pool.Notifier: it queues the delivery of
// new notification rows.
func (q Queue) DeliverNotifications(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) error {
	return q.enqueueLeads(ctx, TypeNotificationsDeliver, tenantID, ids)
}

func (h *Handlers) systemWork(ctx context.Context, tid uuid.UUID) context.Context {
	return scope.Unscoped(tenant.NewContext(ctx, tid))
}

// HandleLeadsAssign runs the assignment rules over new leads.
func (h *Handlers) HandleLeadsAssign(ctx context.Context, t *asynq.Task) error {
	p, err := decodeLeads(t)
	if err != nil {
		return err
	}
	res, err := h.Services.Assigner.Run(h.systemWork(ctx, p.TenantID), p.IDs)
	if err != nil {
		return fmt.Errorf("assign leads: %w", err)
	}
	h.Log.InfoContext(ctx, "assigned leads", "tenant", p.TenantID,
		"assigned", len(res.Assigned), "pooled", len(res.Pooled), "skipped", len(res.Skipped))
	return h.retryBusy(ctx, p, res.Skipped)
}

// assignRounds bounds the follow-ups of one assignment task.
const assignRounds = 5

// retryBusy queues, a moment later, another round for the skipped leads that
// still wait in a public pool: another transaction (a claim, a scoring pass)
// held them, and a new lead must not wait for a manual distribution.
func (h *Handlers) retryBusy(ctx context.Context, p leadsPayload, skipped []uuid.UUID) error {
	if len(skipped) == 0 || p.Round >= assignRounds {
		return nil
	}
	waiting, err := h.Services.Client.Lead.Query().
		Where(lead.IDIn(skipped...), lead.OwnerIDIsNil(), lead.PoolIDNotNil(), lead.StatusEQ(lead.StatusACTIVE)).
		IDs(h.systemWork(ctx, p.TenantID))
	if err != nil || len(waiting) == 0 {
		return err
	}
	b, err := json.Marshal(leadsPayload{TenantID: p.TenantID, IDs: waiting, Round: p.Round + 1})
	if err != nil {
		return err
	}
	return h.Queue.enqueue(ctx, p.TenantID, asynq.NewTask(TypeLeadsAssign, b),
		asynq.ProcessIn(time.Duration(p.Round+1)*time.Second), asynq.MaxRetry(10))
}

// HandleLeadsScore re-scores leads whose data or events changed.
func (h *Handlers) HandleLeadsScore(ctx context.Context, t *asynq.Task) error {
	p, err := decodeLeads(t)
	if err != nil {
		return err
	}
	if err := h.Services.Scoring.Score(h.systemWork(ctx, p.TenantID), p.IDs); err != nil {
		return fmt.Errorf("score leads: %w", err)
	}
	return nil
}

// fanOut queues one task of typ per workspace, with a task id per workspace
// and period so that a repeated fan-out in the same period queues nothing.
func (h *Handlers) fanOut(ctx context.Context, typ string, period time.Duration) error {
	ids, err := h.Services.Client.Workspace.Query().IDs(tenant.System(ctx))
	if err != nil {
		return err
	}
	slot := h.Services.Clock.Now().Truncate(period).Unix()
	for _, id := range ids {
		b, err := json.Marshal(workspacePayload{TenantID: id})
		if err != nil {
			return err
		}
		err = h.Queue.enqueue(ctx, id, asynq.NewTask(typ, b),
			asynq.TaskID(fmt.Sprintf("%s:%s:%d", typ, id, slot)), asynq.Queue("low"),
			asynq.MaxRetry(5), asynq.Timeout(time.Hour), asynq.Retention(period))
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", typ, err)
		}
	}
	return nil
}

func decodeWorkspace(t *asynq.Task) (uuid.UUID, error) {
	var p workspacePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil {
		return uuid.Nil, fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	return p.TenantID, nil
}

// HandlePoolsRecycle queues the recycle pass of every workspace.
func (h *Handlers) HandlePoolsRecycle(ctx context.Context, _ *asynq.Task) error {
	return h.fanOut(ctx, TypePoolsRecycleWorkspace, time.Hour)
}

// HandlePoolsRecycleWorkspace recycles one workspace's stalled leads and
// sends the reminders; each batch queues the delivery of its notifications
// in its own transaction, so a pass that fails part-way (the database went
// away) has queued the delivery of every batch it committed.
func (h *Handlers) HandlePoolsRecycleWorkspace(ctx context.Context, t *asynq.Task) error {
	tid, err := decodeWorkspace(t)
	if err != nil {
		return err
	}
	res, err := h.Services.Pools.Recycle(h.systemWork(ctx, tid), pool.RecycleOptions{})
	if len(res.Recycled)+len(res.Reminded) > 0 {
		h.Log.InfoContext(ctx, "recycled leads", "tenant", tid, "recycled", len(res.Recycled), "reminded", len(res.Reminded))
	}
	if err != nil {
		return fmt.Errorf("recycle: %w", err)
	}
	return nil
}

// HandleScoringNightly queues the nightly re-score of every workspace.
func (h *Handlers) HandleScoringNightly(ctx context.Context, _ *asynq.Task) error {
	return h.fanOut(ctx, TypeScoringWorkspace, 24*time.Hour)
}

// HandleScoringWorkspace re-scores every active lead of one workspace.
func (h *Handlers) HandleScoringWorkspace(ctx context.Context, t *asynq.Task) error {
	tid, err := decodeWorkspace(t)
	if err != nil {
		return err
	}
	n, err := h.Services.Scoring.Rescore(h.systemWork(ctx, tid))
	if err != nil {
		return fmt.Errorf("rescore: %w", err)
	}
	h.Log.InfoContext(ctx, "re-scored workspace", "tenant", tid, "leads", n)
	return nil
}
