package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// TypeJobRun runs a long job (an import, an export, a WeCom sync) that a
// user started; see internal/longjob.
const TypeJobRun = "job:run"

// JobRunRetries is how often a job's run is retried (a worker that died, a
// database that went away) before the job is marked FAILED.
const JobRunRetries = 5

// jobPayload names the job.
type jobPayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
	JobID    uuid.UUID `json:"job_id"`
}

// EnqueueJob implements longjob.Enqueuer: the run, written to the outbox in
// the transaction that created the job, with the job's id as task id so a
// job runs at most once at a time.
func (q Queue) EnqueueJob(ctx context.Context, tenantID, jobID uuid.UUID) error {
	b, err := json.Marshal(jobPayload{TenantID: tenantID, JobID: jobID})
	if err != nil {
		return err
	}
	return q.enqueue(ctx, tenantID, asynq.NewTask(TypeJobRun, b), asynq.TaskID("job:"+jobID.String()),
		asynq.Queue("low"), asynq.MaxRetry(JobRunRetries), asynq.Timeout(6*time.Hour))
}

// HandleJobRun runs the job; the final retry marks it FAILED with the error
// rather than leaving it RUNNING.
func (h *Handlers) HandleJobRun(ctx context.Context, t *asynq.Task) error {
	var p jobPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil || p.JobID == uuid.Nil {
		return fmt.Errorf("%w: bad payload", asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	last := ok && retried >= maxRetry
	return h.Services.Jobs.Run(ctx, p.TenantID, p.JobID, last)
}
