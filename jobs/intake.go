package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent/ingestbatch"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Intake task types.
const (
	// TypeLeadsAssign runs the assignment rules over new leads, which wait
	// in the default public pool where ingest put them.
	TypeLeadsAssign = "leads:assign"
	// TypeLeadsScore re-scores leads whose data or events changed.
	TypeLeadsScore = "leads:score"
	// TypeNotificationsDeliver delivers notifications: marks them delivered
	// and publishes them on Redis for live clients.
	TypeNotificationsDeliver = "notifications:deliver"
	// TypeEventPartitions creates the coming months' event partitions.
	TypeEventPartitions = "events:partitions"
	// TypePurgeIngestBatches forgets idempotency keys past their retention.
	TypePurgeIngestBatches = "ingest:purge-batches"
)

// IngestKeyRetention is how long an idempotency key's answer is kept.
const IngestKeyRetention = 7 * 24 * time.Hour

// EventPartitionsAhead is how many months of event partitions exist ahead.
const EventPartitionsAhead = 3

// leadsPayload names leads of one workspace.
type leadsPayload struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	IDs      []uuid.UUID `json:"ids"`
	// Round counts the follow-ups of an assignment whose leads were busy.
	Round int `json:"round,omitempty"`
}

// maxIDsPerTask keeps payloads small; bigger sets are split.
const maxIDsPerTask = 5000

// LeadsIngested implements leads.Enqueuer: new leads are assigned and
// scored, merged ones re-scored, notifications delivered.
func (q Queue) LeadsIngested(ctx context.Context, in leads.Ingested) error {
	if err := q.enqueueLeads(ctx, TypeLeadsAssign, in.TenantID, in.Created); err != nil {
		return err
	}
	if err := q.enqueueLeads(ctx, TypeLeadsScore, in.TenantID, append(append([]uuid.UUID(nil), in.Created...), in.Merged...)); err != nil {
		return err
	}
	return q.enqueueLeads(ctx, TypeNotificationsDeliver, in.TenantID, in.Notifications)
}

// LeadsChanged queues a re-score of leads (after events or a merge).
func (q Queue) LeadsChanged(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) error {
	return q.enqueueLeads(ctx, TypeLeadsScore, tenantID, ids)
}

func (q Queue) enqueueLeads(ctx context.Context, typ string, tid uuid.UUID, ids []uuid.UUID) error {
	for start := 0; start < len(ids); start += maxIDsPerTask {
		b, err := json.Marshal(leadsPayload{TenantID: tid, IDs: ids[start:min(len(ids), start+maxIDsPerTask)]})
		if err != nil {
			return err
		}
		if err := q.enqueue(ctx, tid, asynq.NewTask(typ, b), asynq.MaxRetry(10)); err != nil {
			return fmt.Errorf("enqueue %s: %w", typ, err)
		}
	}
	return nil
}

func decodeLeads(t *asynq.Task) (leadsPayload, error) {
	var p leadsPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil {
		return p, fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	return p, nil
}

// HandleNotificationsDeliver publishes undelivered notifications on their
// users' channels (notices.Channel; the api processes push them to live
// subscribers) and marks them delivered. Every writer of notifications
// queues it through the outbox in its transaction, so it runs once the rows
// committed and never for a rolled back one. A retry after a crash may
// publish one twice; it is marked once, and clients dedupe by id.
func (h *Handlers) HandleNotificationsDeliver(ctx context.Context, t *asynq.Task) error {
	p, err := decodeLeads(t)
	if err != nil {
		return err
	}
	ctx = tenant.NewContext(ctx, p.TenantID)
	notes, err := h.Services.Client.Notification.Query().
		Where(notification.IDIn(p.IDs...), notification.DeliveredAtIsNil()).All(ctx)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(notes))
	for i, n := range notes {
		ids[i] = n.ID
		if h.Redis == nil {
			continue
		}
		a := notices.Announcement{ID: n.ID, Kind: n.Kind, LeadID: n.LeadID, Message: n.Message, CreatedAt: n.CreatedAt}
		if err := notices.Publish(ctx, h.Redis, n.UserID, a); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return h.Services.Client.Notification.Update().Where(notification.IDIn(ids...), notification.DeliveredAtIsNil()).
		SetDeliveredAt(h.Services.Clock.Now()).Exec(ctx)
}

// HandleEventPartitions keeps event partitions ahead of time.
func (h *Handlers) HandleEventPartitions(ctx context.Context, _ *asynq.Task) error {
	if h.DB == nil {
		return fmt.Errorf("%w: no database handle", asynq.SkipRetry)
	}
	created, err := events.EnsurePartitions(ctx, h.DB, h.Services.Clock.Now(), EventPartitionsAhead)
	if len(created) > 0 {
		h.Log.InfoContext(ctx, "created event partitions", "partitions", created)
	}
	return err
}

// HandlePurgeIngestBatches deletes idempotency keys older than the retention.
func (h *Handlers) HandlePurgeIngestBatches(ctx context.Context, _ *asynq.Task) error {
	n, err := h.Services.Client.IngestBatch.Delete().
		Where(ingestbatch.CreatedAtLT(h.Services.Clock.Now().Add(-IngestKeyRetention))).Exec(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("purge ingest batches: %w", err)
	}
	if n > 0 {
		h.Log.InfoContext(ctx, "purged ingest idempotency keys", "count", n)
	}
	return nil
}
