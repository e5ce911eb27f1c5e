// Package jobs holds the Asynq task types, their payloads and handlers'
// registration, and the periodic schedule. Handlers call internal/ services.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/apikey"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/secretbox"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Task types.
const (
	// TypePurgeRevokedAPIKeys deletes API keys revoked longer ago than the retention.
	TypePurgeRevokedAPIKeys = "apikey:purge-revoked"
)

// RevokedKeyRetention is how long a revoked key is kept for audit before it is deleted.
const RevokedKeyRetention = 30 * 24 * time.Hour

// Deps are what handlers need.
type Deps struct {
	Client *ent.Client
	DB     *sql.DB               // for DDL that ent does not do (event partitions)
	Redis  redis.UniversalClient // optional: live notification publishing
	Queue  Queue
	Fields *fielddefs.Service
	// Box opens channel secrets (broadcast sending).
	Box   *secretbox.Box
	Clock platform.Clock
	Log   *slog.Logger
}

// Handlers implements the task handlers.
type Handlers struct{ Deps }

// Register adds every handler to mux: the one place task types meet handlers.
func Register(mux *asynq.ServeMux, d Deps) {
	h := &Handlers{d}
	mux.HandleFunc(TypePurgeRevokedAPIKeys, h.HandlePurgeRevokedAPIKeys)
	mux.HandleFunc(TypeFieldIndex, h.HandleFieldIndex)
	mux.HandleFunc(TypeFieldIndexSweep, h.HandleFieldIndexSweep)
	mux.HandleFunc(TypeLeadsAssign, h.HandleLeadsAssign)
	mux.HandleFunc(TypeLeadsScore, h.HandleLeadsScore)
	mux.HandleFunc(TypeNotificationsDeliver, h.HandleNotificationsDeliver)
	mux.HandleFunc(TypeEventPartitions, h.HandleEventPartitions)
	mux.HandleFunc(TypePurgeIngestBatches, h.HandlePurgeIngestBatches)
	mux.HandleFunc(TypePoolsRecycle, h.HandlePoolsRecycle)
	mux.HandleFunc(TypePoolsRecycleWorkspace, h.HandlePoolsRecycleWorkspace)
	mux.HandleFunc(TypeScoringNightly, h.HandleScoringNightly)
	mux.HandleFunc(TypeScoringWorkspace, h.HandleScoringWorkspace)
	mux.HandleFunc(TypeSegmentCompute, h.HandleSegmentCompute)
	mux.HandleFunc(TypeSegmentsRefreshDue, h.HandleSegmentsRefreshDue)
	mux.HandleFunc(TypeBroadcastPlan, h.HandleBroadcastPlan)
	mux.HandleFunc(TypeBroadcastSend, h.HandleBroadcastSend)
	mux.HandleFunc(TypeBroadcastsResume, h.HandleBroadcastsResume)
}

// Periodic is one entry of the schedule.
type Periodic struct {
	Spec string
	Task *asynq.Task
	Opts []asynq.Option
}

// Schedule is the periodic schedule the scheduler role registers. Each entry
// is unique for (almost) its period, so any number of schedulers enqueue it
// once per period.
func Schedule() []Periodic {
	return []Periodic{
		{Spec: "@every 1h", Task: asynq.NewTask(TypePurgeRevokedAPIKeys, nil), Opts: []asynq.Option{asynq.Unique(55 * time.Minute), asynq.Queue("low")}},
		{Spec: "@every 10m", Task: asynq.NewTask(TypeFieldIndexSweep, nil), Opts: []asynq.Option{asynq.Unique(9 * time.Minute), asynq.Queue("low")}},
		{Spec: "@every 6h", Task: asynq.NewTask(TypeEventPartitions, nil), Opts: []asynq.Option{asynq.Unique(5 * time.Hour), asynq.Queue("low")}},
		{Spec: "@every 1h", Task: asynq.NewTask(TypePurgeIngestBatches, nil), Opts: []asynq.Option{asynq.Unique(55 * time.Minute), asynq.Queue("low")}},
		{Spec: "@every 1h", Task: asynq.NewTask(TypePoolsRecycle, nil), Opts: []asynq.Option{asynq.Unique(55 * time.Minute), asynq.Queue("low")}},
		// 19:00 UTC is 03:00 in China, the quietest hour of most workspaces.
		{Spec: "@every 1m", Task: asynq.NewTask(TypeBroadcastsResume, nil), Opts: []asynq.Option{asynq.Unique(50 * time.Second)}},
		{Spec: "@every 1m", Task: asynq.NewTask(TypeSegmentsRefreshDue, nil), Opts: []asynq.Option{asynq.Unique(50 * time.Second), asynq.Queue("low")}},
		{Spec: "0 19 * * *", Task: asynq.NewTask(TypeScoringNightly, nil), Opts: []asynq.Option{asynq.Unique(23 * time.Hour), asynq.Queue("low")}},
	}
}

// HandlePurgeRevokedAPIKeys deletes, in one statement, the keys of every
// workspace revoked before the retention. Re-running it is harmless.
func (h *Handlers) HandlePurgeRevokedAPIKeys(ctx context.Context, _ *asynq.Task) error {
	cutoff := h.Clock.Now().Add(-RevokedKeyRetention)
	n, err := h.Client.APIKey.Delete().Where(apikey.RevokedAtLT(cutoff)).Exec(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("purge revoked api keys: %w", err)
	}
	if n > 0 {
		h.Log.InfoContext(ctx, "purged revoked api keys", "count", n)
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
	return h.Fields.BuildIndex(ctx, p.TenantID, p.FieldID)
}

// Queue enqueues the tasks services ask for.
type Queue struct{ Client *asynq.Client }

// EnqueueFieldIndex implements fielddefs.Enqueuer.
func (q Queue) EnqueueFieldIndex(ctx context.Context, tenantID, fieldID uuid.UUID) error {
	t, opts, err := NewFieldIndexTask(tenantID, fieldID)
	if err != nil {
		return err
	}
	_, err = q.Client.EnqueueContext(ctx, t, opts...)
	return err
}

// TypeFieldIndexSweep re-enqueues index builds that never finished: the
// enqueue after a definition change failed, or a worker died mid-build.
const TypeFieldIndexSweep = "field:index-sweep"

// staleIndexAfter is how long a definition may stay PENDING or BUILDING
// before the sweep tries again.
const staleIndexAfter = 10 * time.Minute

// HandleFieldIndexSweep enqueues a build for every stale definition of every workspace.
func (h *Handlers) HandleFieldIndexSweep(ctx context.Context, _ *asynq.Task) error {
	stale, err := h.Client.FieldDefinition.Query().
		Where(fielddefinition.IndexStatusIn(fielddefinition.IndexStatusPENDING, fielddefinition.IndexStatusBUILDING),
			fielddefinition.UpdatedAtLT(h.Clock.Now().Add(-staleIndexAfter))).
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
