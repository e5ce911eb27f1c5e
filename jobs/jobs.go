// Package jobs holds the Asynq task types, their payloads and handlers'
// registration, and the periodic schedule. Handlers call internal/ services.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/apikey"
	"github.com/scrmhq/scrm/internal/platform"
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
	Clock  platform.Clock
	Log    *slog.Logger
}

// Handlers implements the task handlers.
type Handlers struct{ Deps }

// Register adds every handler to mux: the one place task types meet handlers.
func Register(mux *asynq.ServeMux, d Deps) {
	h := &Handlers{d}
	mux.HandleFunc(TypePurgeRevokedAPIKeys, h.HandlePurgeRevokedAPIKeys)
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
