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
