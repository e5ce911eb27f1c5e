package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/segment"
	segsvc "github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Segment task types.
const (
	// TypeSegmentCompute computes one segment's members into a new version.
	TypeSegmentCompute = "segment:compute"
	// TypeSegmentsRefreshDue queues the computation of every dynamic segment
	// whose refresh time has come.
	TypeSegmentsRefreshDue = "segments:refresh-due"
)

type segmentPayload struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	SegmentID uuid.UUID `json:"segment_id"`
}

// EnqueueSegment implements segment.Enqueuer. The task id is the segment's,
// so a segment has at most one computation queued or running; asking again
// meanwhile is a no-op.
func (q Queue) EnqueueSegment(ctx context.Context, tenantID, segmentID uuid.UUID) error {
	b, err := json.Marshal(segmentPayload{TenantID: tenantID, SegmentID: segmentID})
	if err != nil {
		return err
	}
	err = q.enqueue(ctx, tenantID, asynq.NewTask(TypeSegmentCompute, b),
		asynq.TaskID(TypeSegmentCompute+":"+segmentID.String()), asynq.MaxRetry(3),
		asynq.Timeout(segsvc.DefaultComputeTimeout+time.Minute))
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", TypeSegmentCompute, err)
	}
	return nil
}

// HandleSegmentCompute computes one segment. A segment deleted since the
// task was queued is skipped.
func (h *Handlers) HandleSegmentCompute(ctx context.Context, t *asynq.Task) error {
	var p segmentPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil || p.SegmentID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	ctx = h.systemWork(ctx, p.TenantID)
	err := h.Services.Segments.Compute(ctx, p.SegmentID)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx, "computed segment", "tenant", p.TenantID, "segment", p.SegmentID)
	return nil
}

// HandleSegmentsRefreshDue queues every due dynamic segment of every
// workspace. A segment stays due until a computation finishes (it sets the
// next time), so a lost task is queued again on the next pass.
func (h *Handlers) HandleSegmentsRefreshDue(ctx context.Context, _ *asynq.Task) error {
	due, err := h.Services.Client.Segment.Query().
		Where(segment.KindEQ(segment.KindDYNAMIC), segment.NextRefreshAtLTE(h.Services.Clock.Now())).
		Select(segment.FieldTenantID).All(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("find due segments: %w", err)
	}
	for _, s := range due {
		if err := h.Queue.EnqueueSegment(ctx, s.TenantID, s.ID); err != nil {
			return err
		}
	}
	return nil
}
