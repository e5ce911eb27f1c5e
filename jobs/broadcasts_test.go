package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/jobs"
)

// TestPausedLoopIsQueuedOnce: the resume pass finds a paused broadcast every
// minute of its quiet hours; its loop for the end of the window is queued
// once, while loops to run now are not deduplicated (the loop's own lock
// makes extra ones exit).
func TestPausedLoopIsQueuedOnce(t *testing.T) {
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	client, ins := asynqClient(t, rd)
	outbox := jobs.NewOutbox(db.Client, nil)
	q := jobs.Queue{Outbox: outbox}
	tid, id := uuid.New(), uuid.New()
	wake := time.Now().Add(8 * time.Hour)
	for range 3 {
		if err := q.EnqueueBroadcastSend(context.Background(), tid, id, wake); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.EnqueueBroadcastSend(context.Background(), tid, id, wake.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := jobs.NewRelay(outbox, client, quiet).Pass(context.Background()); err != nil || n != 4 {
		t.Fatalf("relayed %d: %v; want the 4 rows", n, err)
	}
	scheduled, err := ins.ListScheduledTasks("default")
	if err != nil {
		t.Fatal(err)
	}
	if len(scheduled) != 2 {
		t.Errorf("%d scheduled loops, want 2 (one per wake-up time)", len(scheduled))
	}
}
