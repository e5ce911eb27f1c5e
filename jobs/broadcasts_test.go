package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/jobs"
)

// TestPausedLoopIsQueuedOnce: the resume pass finds a paused broadcast every
// minute of its quiet hours; its loop for the end of the window is queued
// once, while loops to run now are not deduplicated (the loop's own lock
// makes extra ones exit).
func TestPausedLoopIsQueuedOnce(t *testing.T) {
	rd := testenv.NewRedis(t)
	opt := asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB}
	client := asynq.NewClient(opt)
	defer client.Close()
	q := jobs.Queue{Client: client}
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
	ins := asynq.NewInspector(opt)
	defer ins.Close()
	scheduled, err := ins.ListScheduledTasks("default")
	if err != nil {
		t.Fatal(err)
	}
	if len(scheduled) != 2 {
		t.Errorf("%d scheduled loops, want 2 (one per wake-up time)", len(scheduled))
	}
}
