package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/plugins"
)

// Journey task types.
const (
	// TypeJourneysDue is the scheduler's periodic pass: it queues a
	// TypeJourneyRun for every workspace with due enrolments.
	TypeJourneysDue = "journeys:due"
	// TypeJourneyRun runs the due journey steps of one workspace
	// (journey.Service.RunDue). Several may run at once: they share the
	// due enrolments through row locks.
	TypeJourneyRun = "journey:run"
)

// EnqueueJourneyRun implements journey.Queue: a pass over the workspace
// soon after enrolments or a resume, without waiting for the minute.
func (q Queue) EnqueueJourneyRun(ctx context.Context, tenantID uuid.UUID) error {
	b, err := json.Marshal(workspacePayload{TenantID: tenantID})
	if err != nil {
		return err
	}
	if err := q.enqueue(ctx, tenantID, asynq.NewTask(TypeJourneyRun, b), asynq.MaxRetry(10), asynq.Timeout(30*time.Minute)); err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeJourneyRun, err)
	}
	return nil
}

// dueWorkspacesSQL finds the workspaces with a due enrolment of an ACTIVE
// journey: one probe of the (tenant_id, next_run_at) index per workspace.
const dueWorkspacesSQL = `
SELECT w.id FROM workspaces w
WHERE EXISTS (
	SELECT 1 FROM enrollments e
	WHERE e.tenant_id = w.id AND e.status = 'ACTIVE' AND e.next_run_at <= $1
		AND EXISTS (SELECT 1 FROM journeys j WHERE j.tenant_id = w.id AND j.id = e.journey_id AND j.status = 'ACTIVE'))`

// HandleJourneysDue queues a run for every workspace with due steps; the
// task id per workspace and minute keeps a repeated fan-out from doubling
// them.
func (h *Handlers) HandleJourneysDue(ctx context.Context, _ *asynq.Task) error {
	now := h.Services.Clock.Now()
	rows, err := h.Services.Client.QueryContext(tenant.System(ctx), dueWorkspacesSQL, now)
	if err != nil {
		return fmt.Errorf("find workspaces with due journey steps: %w", err)
	}
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	slot := now.UTC().Truncate(time.Minute).Unix()
	for _, id := range ids {
		b, err := json.Marshal(workspacePayload{TenantID: id})
		if err != nil {
			return err
		}
		err = h.Queue.enqueue(ctx, id, asynq.NewTask(TypeJourneyRun, b), asynq.MaxRetry(10), asynq.Timeout(30*time.Minute),
			asynq.TaskID(fmt.Sprintf("%s:%s:%d", TypeJourneyRun, id, slot)))
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", TypeJourneyRun, err)
		}
	}
	return nil
}

// HandleJourneyRun runs the workspace's due journey steps until none is due.
func (h *Handlers) HandleJourneyRun(ctx context.Context, t *asynq.Task) error {
	var p workspacePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	res, err := h.Services.Journeys.RunDue(h.systemWork(ctx, p.TenantID), journey.RunOptions{})
	if err != nil {
		return fmt.Errorf("run journeys: %w", err)
	}
	if res.Steps > 0 || res.Rescheduled > 0 {
		h.Log.InfoContext(ctx, "ran journey steps", "tenant", p.TenantID, "steps", res.Steps,
			"rescheduled", res.Rescheduled, "batches", res.Batches)
	}
	return nil
}

// TypeJourneyWebhook sends the POSTs of a journey's webhook step for a
// batch of enrolments.
const TypeJourneyWebhook = "journey:webhook"

type journeyWebhookPayload struct {
	TenantID uuid.UUID            `json:"tenant_id"`
	Batch    journey.WebhookBatch `json:"batch"`
}

// EnqueueJourneyWebhooks implements journey.Queue.
func (q Queue) EnqueueJourneyWebhooks(ctx context.Context, tenantID uuid.UUID, b journey.WebhookBatch) error {
	raw, err := json.Marshal(journeyWebhookPayload{TenantID: tenantID, Batch: b})
	if err != nil {
		return err
	}
	if err := q.enqueue(ctx, tenantID, asynq.NewTask(TypeJourneyWebhook, raw), asynq.MaxRetry(10), asynq.Timeout(10*time.Minute)); err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeJourneyWebhook, err)
	}
	return nil
}

// HandleJourneyWebhook sends one batch; a permanent refusal is logged per
// lead (the step ran: its run is recorded), a temporary one retries the
// batch under the same idempotency keys.
func (h *Handlers) HandleJourneyWebhook(ctx context.Context, t *asynq.Task) error {
	var p journeyWebhookPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	failed, err := h.Services.Journeys.RunWebhooks(h.systemWork(ctx, p.TenantID), p.Batch)
	if plugins.IsPermanent(err) {
		// The webhook channel went away or moved host: retrying cannot help.
		h.Log.WarnContext(ctx, "journey webhooks not sent", "tenant", p.TenantID, "journey", p.Batch.JourneyID, "error", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("journey webhooks: %w", err)
	}
	for key, why := range failed {
		h.Log.WarnContext(ctx, "journey webhook refused", "tenant", p.TenantID, "journey", p.Batch.JourneyID, "key", key, "error", why)
	}
	return nil
}
