// Package jobs holds the Asynq task types, their payloads and handlers'
// registration, and the periodic schedule. Handlers call internal/ services.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent/apikey"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/ent/outboxtask"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Task types.
const (
	// TypePurgeRevokedAPIKeys deletes API keys revoked longer ago than the retention.
	TypePurgeRevokedAPIKeys = "apikey:purge-revoked"
	// TypePurgeOutbox deletes outbox rows handed to Asynq longer ago than
	// the retention.
	TypePurgeOutbox = "outbox:purge"
)

// OutboxRetention is how long a relayed outbox row is kept (to answer "was
// this task ever queued?") before it is deleted.
const OutboxRetention = 7 * 24 * time.Hour

// RevokedKeyRetention is how long a revoked key is kept for audit before it is deleted.
const RevokedKeyRetention = 30 * 24 * time.Hour

// Deps are what handlers need.
type Deps struct {
	// Services are the process's services (app.New), built with Queue;
	// handlers use its Client and Clock too.
	Services *app.Services
	DB       *sql.DB               // for DDL that ent does not do (event partitions)
	Redis    redis.UniversalClient // optional: live notification publishing
	Queue    Queue
	Log      *slog.Logger
}

// Handlers implements the task handlers.
type Handlers struct{ Deps }

// Register adds every handler to mux: the one place task types meet handlers.
// The handlers of the periodic tasks run at most once per period slot (see
// oncePerPeriod), so any number of scheduler processes can run.
func Register(mux *asynq.ServeMux, d Deps) {
	h := &Handlers{d}
	periods := map[string]time.Duration{}
	for _, p := range Schedule() {
		periods[p.Task.Type()] = p.Period
	}
	handle := func(typ string, fn asynq.HandlerFunc) {
		if period, ok := periods[typ]; ok {
			fn = h.oncePerPeriod(typ, period, fn)
		}
		mux.HandleFunc(typ, fn)
	}
	handle(TypePurgeRevokedAPIKeys, h.HandlePurgeRevokedAPIKeys)
	handle(TypePurgeOutbox, h.HandlePurgeOutbox)
	handle(TypeFieldIndex, h.HandleFieldIndex)
	handle(TypeFieldIndexSweep, h.HandleFieldIndexSweep)
	handle(TypeLeadsAssign, h.HandleLeadsAssign)
	handle(TypeLeadsScore, h.HandleLeadsScore)
	handle(TypeNotificationsDeliver, h.HandleNotificationsDeliver)
	handle(TypeEventPartitions, h.HandleEventPartitions)
	handle(TypePurgeIngestBatches, h.HandlePurgeIngestBatches)
	handle(TypePoolsRecycle, h.HandlePoolsRecycle)
	handle(TypePoolsRecycleWorkspace, h.HandlePoolsRecycleWorkspace)
	handle(TypeScoringNightly, h.HandleScoringNightly)
	handle(TypeScoringWorkspace, h.HandleScoringWorkspace)
	handle(TypeSegmentCompute, h.HandleSegmentCompute)
	handle(TypeSegmentsRefreshDue, h.HandleSegmentsRefreshDue)
	handle(TypeBroadcastPlan, h.HandleBroadcastPlan)
	handle(TypeBroadcastSend, h.HandleBroadcastSend)
	handle(TypeBroadcastsResume, h.HandleBroadcastsResume)
	handle(TypeJobRun, h.HandleJobRun)
	handle(TypeJourneysDue, h.HandleJourneysDue)
	handle(TypeJourneyRun, h.HandleJourneyRun)
	handle(TypeJourneyWebhook, h.HandleJourneyWebhook)
	handle(TypeTasksOverdue, h.HandleTasksOverdue)
	handle(TypeWeComWelcome, h.HandleWeComWelcome)
	handle(TypeWeComMarkTags, h.HandleWeComMarkTags)
	handle(TypeWeComTagSync, h.HandleWeComTagSync)
	handle(TypeWeComCorpTag, h.HandleWeComCorpTag)
	handle(TypeWeComRemind, h.HandleWeComRemind)
	handle(TypeWeComMediaReady, h.HandleWeComMediaReady)
	handle(TypeWeComMediaRenew, h.HandleWeComMediaRenew)
}

// Periodic is one entry of the schedule.
type Periodic struct {
	// Spec is a cron spec in UTC aligned to the wall clock, so that every
	// scheduler process fires the entry at the same instants.
	Spec string
	// Period is how often Spec fires: the task's handler runs at most once
	// per slot of this length (UTC time truncated to Period).
	Period time.Duration
	Task   *asynq.Task
	Opts   []asynq.Option
}

// Schedule is the periodic schedule the scheduler role registers. Any
// number of schedulers may run: they fire each entry at the same instants
// (wall-clock cron specs, not "@every", whose phase depends on when each
// process started), Unique drops a copy enqueued while another is still
// queued, and the handler runs once per period slot (oncePerPeriod) even
// when a copy arrives after the first one finished, which Unique alone
// does not prevent: Asynq releases the unique lock when a task completes.
func Schedule() []Periodic {
	return []Periodic{
		{Spec: "5 * * * *", Period: time.Hour, Task: asynq.NewTask(TypePurgeRevokedAPIKeys, nil), Opts: []asynq.Option{asynq.Unique(55 * time.Minute), asynq.Queue("low")}},
		{Spec: "*/10 * * * *", Period: 10 * time.Minute, Task: asynq.NewTask(TypeFieldIndexSweep, nil), Opts: []asynq.Option{asynq.Unique(9 * time.Minute), asynq.Queue("low")}},
		{Spec: "15 */6 * * *", Period: 6 * time.Hour, Task: asynq.NewTask(TypeEventPartitions, nil), Opts: []asynq.Option{asynq.Unique(5 * time.Hour), asynq.Queue("low")}},
		{Spec: "25 * * * *", Period: time.Hour, Task: asynq.NewTask(TypePurgeIngestBatches, nil), Opts: []asynq.Option{asynq.Unique(55 * time.Minute), asynq.Queue("low")}},
		{Spec: "35 * * * *", Period: time.Hour, Task: asynq.NewTask(TypePurgeOutbox, nil), Opts: []asynq.Option{asynq.Unique(55 * time.Minute), asynq.Queue("low")}},
		{Spec: "0 * * * *", Period: time.Hour, Task: asynq.NewTask(TypePoolsRecycle, nil), Opts: []asynq.Option{asynq.Unique(55 * time.Minute), asynq.Queue("low")}},
		{Spec: "* * * * *", Period: time.Minute, Task: asynq.NewTask(TypeBroadcastsResume, nil), Opts: []asynq.Option{asynq.Unique(50 * time.Second)}},
		{Spec: "* * * * *", Period: time.Minute, Task: asynq.NewTask(TypeSegmentsRefreshDue, nil), Opts: []asynq.Option{asynq.Unique(50 * time.Second), asynq.Queue("low")}},
		{Spec: "* * * * *", Period: time.Minute, Task: asynq.NewTask(TypeJourneysDue, nil), Opts: []asynq.Option{asynq.Unique(50 * time.Second)}},
		// Stored media of live codes and broadcasts uploaded again to WeCom
		// before their ids expire (internal/wecom/mediaready.go).
		{Spec: "45 * * * *", Period: time.Hour, Task: asynq.NewTask(TypeWeComMediaRenew, nil), Opts: []asynq.Option{asynq.Unique(55 * time.Minute), asynq.Queue("low")}},
		{Spec: "*/5 * * * *", Period: 5 * time.Minute, Task: asynq.NewTask(TypeTasksOverdue, nil), Opts: []asynq.Option{asynq.Unique(4 * time.Minute), asynq.Queue("low")}},
		// 19:00 UTC is 03:00 in China, the quietest hour of most workspaces.
		{Spec: "0 19 * * *", Period: 24 * time.Hour, Task: asynq.NewTask(TypeScoringNightly, nil), Opts: []asynq.Option{asynq.Unique(23 * time.Hour), asynq.Queue("low")}},
	}
}

// periodKey is the Redis key that records which task ran typ in a slot.
func periodKey(typ string, slot time.Time) string {
	return fmt.Sprintf("scrm:periodic:%s:%d", typ, slot.Unix())
}

// oncePerPeriod runs next at most once per period slot: the first task of
// a slot records its id in Redis (SET NX, expiring after the slot), a retry
// of that task runs again, and any other copy of the slot (enqueued by a
// second scheduler after the first copy finished) returns at once. Without
// Redis in the deps (tests of single handlers) every task runs.
func (h *Handlers) oncePerPeriod(typ string, period time.Duration, next asynq.HandlerFunc) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		slot := h.Services.Clock.Now().UTC().Truncate(period)
		if h.Redis != nil {
			id, _ := asynq.GetTaskID(ctx)
			key := periodKey(typ, slot)
			first, err := h.Redis.SetNX(ctx, key, id, period+time.Minute).Result()
			if err != nil {
				return fmt.Errorf("claim the period of %s: %w", typ, err)
			}
			if !first {
				owner, err := h.Redis.Get(ctx, key).Result()
				if err != nil && !errors.Is(err, redis.Nil) {
					return fmt.Errorf("claim the period of %s: %w", typ, err)
				}
				if owner != id {
					h.Log.InfoContext(ctx, "periodic task already ran in this period", "type", typ, "slot", slot.Format(time.RFC3339))
					return nil
				}
			}
		}
		h.Log.InfoContext(ctx, "periodic task", "type", typ, "slot", slot.Format(time.RFC3339))
		return next(ctx, t)
	}
}

// HandlePurgeRevokedAPIKeys deletes, in one statement, the keys of every
// workspace revoked before the retention. Re-running it is harmless.
func (h *Handlers) HandlePurgeRevokedAPIKeys(ctx context.Context, _ *asynq.Task) error {
	cutoff := h.Services.Clock.Now().Add(-RevokedKeyRetention)
	n, err := h.Services.Client.APIKey.Delete().Where(apikey.RevokedAtLT(cutoff)).Exec(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("purge revoked api keys: %w", err)
	}
	if n > 0 {
		h.Log.InfoContext(ctx, "purged revoked api keys", "count", n)
	}
	return nil
}

// HandlePurgeOutbox deletes, in one statement, the outbox rows of every
// workspace relayed before the retention. Rows never relayed stay.
func (h *Handlers) HandlePurgeOutbox(ctx context.Context, _ *asynq.Task) error {
	n, err := h.Services.Client.OutboxTask.Delete().
		Where(outboxtask.SentAtLT(h.Services.Clock.Now().Add(-OutboxRetention))).Exec(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("purge outbox: %w", err)
	}
	if n > 0 {
		h.Log.InfoContext(ctx, "purged relayed outbox tasks", "count", n)
	}
	return nil
}

// TypeFieldIndex builds or drops the expression index of one custom field.
const TypeFieldIndex = "field:index"

// FieldIndexPayload names the field whose index to reconcile.
type FieldIndexPayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
	FieldID  uuid.UUID `json:"field_id"`
}

// NewFieldIndexTask returns the task; its id dedupes concurrent requests for
// the same field while one is queued.
func NewFieldIndexTask(tenantID, fieldID uuid.UUID) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(FieldIndexPayload{TenantID: tenantID, FieldID: fieldID})
	if err != nil {
		return nil, nil, err
	}
	return asynq.NewTask(TypeFieldIndex, b), []asynq.Option{asynq.Queue("low"), asynq.MaxRetry(5), asynq.Timeout(2 * time.Hour)}, nil
}

// HandleFieldIndex reconciles the field's index with its indexed flag.
func (h *Handlers) HandleFieldIndex(ctx context.Context, t *asynq.Task) error {
	var p FieldIndexPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: bad payload: %v", asynq.SkipRetry, err)
	}
	return h.Services.Fields.BuildIndex(ctx, p.TenantID, p.FieldID)
}

// Queue takes the tasks services ask for: it writes them to the outbox, in
// the transaction of the caller's change when ctx carries one (see Outbox).
type Queue struct {
	Outbox *Outbox
}

// ErrNoOutbox is returned by a Queue without an outbox.
var ErrNoOutbox = errors.New("jobs: queue without an outbox")

// enqueue writes t, a task of workspace tid, to the outbox.
func (q Queue) enqueue(ctx context.Context, tid uuid.UUID, t *asynq.Task, opts ...asynq.Option) error {
	if q.Outbox == nil {
		return ErrNoOutbox
	}
	return q.Outbox.Add(ctx, tid, t, opts...)
}

// EnqueueFieldIndex implements fielddefs.Enqueuer.
func (q Queue) EnqueueFieldIndex(ctx context.Context, tenantID, fieldID uuid.UUID) error {
	t, opts, err := NewFieldIndexTask(tenantID, fieldID)
	if err != nil {
		return err
	}
	return q.enqueue(ctx, tenantID, t, opts...)
}

// TypeFieldIndexSweep re-enqueues index builds that never finished: the
// enqueue after a definition change failed, or a worker died mid-build.
const TypeFieldIndexSweep = "field:index-sweep"

// staleIndexAfter is how long a definition may stay PENDING or BUILDING
// before the sweep tries again.
const staleIndexAfter = 10 * time.Minute

// HandleFieldIndexSweep enqueues a build for every stale definition of every workspace.
func (h *Handlers) HandleFieldIndexSweep(ctx context.Context, _ *asynq.Task) error {
	stale, err := h.Services.Client.FieldDefinition.Query().
		Where(fielddefinition.IndexStatusIn(fielddefinition.IndexStatusPENDING, fielddefinition.IndexStatusBUILDING),
			fielddefinition.UpdatedAtLT(h.Services.Clock.Now().Add(-staleIndexAfter))).
		All(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("find stale field indexes: %w", err)
	}
	for _, d := range stale {
		if err := h.Queue.EnqueueFieldIndex(ctx, d.TenantID, d.ID); err != nil {
			return err
		}
	}
	return nil
}
