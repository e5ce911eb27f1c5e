package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/internal/tenant"
	_ "github.com/scrmhq/scrm/plugins/all" // the channel plugins
)

// Broadcast task types.
const (
	// TypeBroadcastPlan plans a broadcast at its scheduled time.
	TypeBroadcastPlan = "broadcast:plan"
	// TypeBroadcastSend runs a broadcast's sending loop.
	TypeBroadcastSend = "broadcast:send"
	// TypeBroadcastsResume restarts the sending loop of every broadcast that
	// is sending or paused (after a worker died, after quiet hours); a loop
	// already running makes the new one exit at once.
	TypeBroadcastsResume = "broadcasts:resume"
)

type broadcastPayload struct {
	TenantID    uuid.UUID `json:"tenant_id"`
	BroadcastID uuid.UUID `json:"broadcast_id"`
}

func broadcastTask(typ string, tid, id uuid.UUID) (*asynq.Task, error) {
	b, err := json.Marshal(broadcastPayload{TenantID: tid, BroadcastID: id})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(typ, b), nil
}

// EnqueueBroadcastPlan implements broadcast.Queue: the plan runs at at; the
// task id is the broadcast's, so it is queued once.
func (q Queue) EnqueueBroadcastPlan(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	t, err := broadcastTask(TypeBroadcastPlan, tenantID, id)
	if err != nil {
		return err
	}
	err = q.enqueue(ctx, tenantID, t, asynq.ProcessAt(at), asynq.TaskID(TypeBroadcastPlan+":"+id.String()),
		asynq.MaxRetry(10), asynq.Timeout(time.Hour))
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeBroadcastPlan, err)
	}
	return nil
}

// EnqueueBroadcastSend implements broadcast.Queue.
func (q Queue) EnqueueBroadcastSend(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	t, err := broadcastTask(TypeBroadcastSend, tenantID, id)
	if err != nil {
		return err
	}
	opts := []asynq.Option{asynq.MaxRetry(10), asynq.Timeout(24 * time.Hour)}
	if !at.IsZero() {
		// A loop paused until at is queued once however often the resume
		// pass finds the broadcast paused meanwhile.
		opts = append(opts, asynq.ProcessAt(at), asynq.TaskID(fmt.Sprintf("%s:%s:%d", TypeBroadcastSend, id, at.Unix())))
	}
	if err := q.enqueue(ctx, tenantID, t, opts...); err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeBroadcastSend, err)
	}
	return nil
}

func decodeBroadcast(t *asynq.Task) (broadcastPayload, error) {
	var p broadcastPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil || p.BroadcastID == uuid.Nil {
		return p, fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	return p, nil
}

// HandleBroadcastPlan plans one broadcast (a deleted one is skipped).
func (h *Handlers) HandleBroadcastPlan(ctx context.Context, t *asynq.Task) error {
	p, err := decodeBroadcast(t)
	if err != nil {
		return err
	}
	err = h.Services.Broadcasts.Plan(h.systemWork(ctx, p.TenantID), p.BroadcastID)
	if ent.IsNotFound(err) {
		return nil
	}
	return err
}

// HandleBroadcastSend runs one broadcast's sending loop.
func (h *Handlers) HandleBroadcastSend(ctx context.Context, t *asynq.Task) error {
	p, err := decodeBroadcast(t)
	if err != nil {
		return err
	}
	err = h.Services.Broadcasts.Send(h.systemWork(ctx, p.TenantID), p.BroadcastID)
	if ent.IsNotFound(err) {
		return nil
	}
	return err
}

// HandleBroadcastsResume queues a sending loop for every broadcast that is
// SENDING or PAUSED in any workspace.
func (h *Handlers) HandleBroadcastsResume(ctx context.Context, _ *asynq.Task) error {
	bs, err := h.Services.Client.Broadcast.Query().
		Where(broadcast.StatusIn(broadcast.StatusSENDING, broadcast.StatusPAUSED)).
		Select(broadcast.FieldTenantID).All(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("find running broadcasts: %w", err)
	}
	for _, b := range bs {
		if err := h.Queue.EnqueueBroadcastSend(ctx, b.TenantID, b.ID, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}
