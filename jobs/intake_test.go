package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent/ingestbatch"
	"github.com/scrmhq/scrm/jobs"
)

// TestPurgeIngestBatchesAtRetentionBoundary: idempotency keys older than the
// retention are forgotten, newer ones kept, and a second run changes nothing.
func TestPurgeIngestBatchesAtRetentionBoundary(t *testing.T) {
	db, ctx, clock := fixture(t)
	now := clock.Now()
	for key, at := range map[string]time.Time{
		"old":    now.Add(-jobs.IngestKeyRetention - time.Second),
		"recent": now.Add(-jobs.IngestKeyRetention + time.Second),
	} {
		if err := db.Client.IngestBatch.Create().SetKey(key).SetRequestHash("h").SetCreatedAt(at).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	h := &jobs.Handlers{Deps: jobs.Deps{Services: services(t, db, clock), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	for range 2 {
		if err := h.HandlePurgeIngestBatches(context.Background(), asynq.NewTask(jobs.TypePurgeIngestBatches, nil)); err != nil {
			t.Fatal(err)
		}
		keys, err := db.Client.IngestBatch.Query().Select(ingestbatch.FieldKey).Strings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0] != "recent" {
			t.Fatalf("keys after purge = %v; want [recent]", keys)
		}
	}
}
