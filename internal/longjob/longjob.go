// Package longjob runs the long tasks the API starts for a user, each a Job
// with progress: importing a CSV file of leads, exporting leads to a CSV
// file, pulling the WeCom corp's customers into leads, and changing every
// lead matching a filter (a bulk update: tags, owner, fields or stage).
//
// A Start method validates its input (bad input writes nothing), stores the
// job, its input file and the viewer it runs as, and queues its run through
// the outbox, all in the caller's transaction (a GraphQL mutation's). Run,
// called by the worker's Asynq task, works in batches: after each batch it
// writes the progress (done, failed), the resume point and the new part of
// the result file in one transaction, and stops when the job was cancelled
// meanwhile, keeping what it did. A run that dies resumes from its last
// batch on the task's retry, and batches it replays are not written twice
// (imports send each batch with an idempotency key of the job; exports
// restart their file). A run that cannot finish marks the job FAILED with
// the reason.
//
// Files live in Postgres (job_files, bytea pieces), so any worker on any
// machine reads the upload and any api process serves the result.
package longjob

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/job"
	"github.com/scrmhq/scrm/ent/jobfile"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/wecom"
)

// DefaultMaxUploadBytes is the largest file importLeads accepts unless the
// configuration says otherwise (SCRM_MAX_UPLOAD_MB).
const DefaultMaxUploadBytes = 50 << 20

// Enqueuer queues a job's run (jobs.Queue: an outbox row written in the
// transaction ctx carries).
type Enqueuer interface {
	EnqueueJob(ctx context.Context, tenantID, jobID uuid.UUID) error
}

// Service starts, cancels and runs jobs; the workspace comes from the
// context, and which jobs a caller sees from its viewer (internal/scope:
// its own, or every one with job manage).
type Service struct {
	txn.Root
	Queue    Enqueuer
	Ingester *leads.Ingester
	Fields   *fielddefs.Service
	WeCom    *wecom.Service
	// Bulk are the services bulk updates act through (BulkUpdate).
	Bulk BulkServices
	// TempDir holds an import's working files while it runs ("" is the
	// system's temporary directory).
	TempDir string
}

// New returns the service.
func New(root txn.Root, q Enqueuer, in *leads.Ingester, f *fielddefs.Service, w *wecom.Service) *Service {
	return &Service{Root: root, Queue: q, Ingester: in, Fields: f, WeCom: w}
}

// Sentinel errors of the package.
var (
	// ErrCancelled stops a run whose job was cancelled meanwhile.
	ErrCancelled = errors.New("longjob: the job was cancelled")
	// errNoQueue is a Start without a queue (tools built without one).
	errNoQueue = errors.New("longjob: no queue to run the job")
)

// ResultURL is where a job's result is downloaded (internal/server serves
// it to the job's viewers with their credentials).
func ResultURL(id uuid.UUID) string { return "/v1/jobs/" + gid.Encode(id) + "/result" }

// HasResult reports whether the job's result may be downloaded: an
// import's rejected rows as soon as there are some (the file grows while it
// runs), an export's file once it is complete.
func HasResult(j *ent.Job) bool {
	if j.ResultName == nil {
		return false
	}
	return j.Kind != job.KindEXPORT || j.Status == job.StatusSUCCEEDED
}

// Get returns a job the caller may see; NOT_FOUND otherwise, also for a job
// of another user (who cannot tell it from one that does not exist).
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*ent.Job, error) {
	j, err := s.DB(ctx).Job.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "id", "no such job")
	}
	return j, err
}

// Cancel stops a QUEUED or RUNNING job: it becomes CANCELLED at once, and a
// running job stops after its current batch, keeping its progress. A job
// that already finished is a CONFLICT.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (*ent.Job, error) {
	j, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	n, err := s.DB(ctx).Job.Update().
		Where(job.ID(j.ID), job.StatusIn(job.StatusQUEUED, job.StatusRUNNING)).
		SetStatus(job.StatusCANCELLED).SetFinishedAt(s.Now()).Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, apperr.New(apperr.Conflict, "id", "the job has already finished (%s)", j.Status)
	}
	return s.DB(ctx).Job.Get(ctx, j.ID)
}

// newJob is what every Start writes.
type newJob struct {
	kind           job.Kind
	idempotencyKey string
	input          []byte
	inputName      string
	total          int
	// file is the input file, stored with the job (nil: none).
	file []byte
}

// create writes the job (and its input file) and queues its run, in one
// transaction: the caller's, or its own. With an idempotency key the
// caller's earlier job of the same kind is returned instead; a key another
// user (or another kind of job) holds is a CONFLICT.
func (s *Service) create(ctx context.Context, nj newJob) (*ent.Job, error) {
	if s.Queue == nil {
		return nil, errNoQueue
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	v := auth.FromContext(ctx)
	return txn.WithTxEntity(ctx, s.DB(ctx), func(c *ent.Client) (*ent.Job, error) {
		if nj.idempotencyKey != "" {
			if j, err := s.earlier(ctx, c, tid, v, nj); j != nil || err != nil {
				return j, err
			}
		}
		create := c.Job.Create().SetKind(nj.kind).SetInput(nj.input).SetTotal(nj.total).
			SetCreatedAt(s.Now()).SetUpdatedAt(s.Now())
		if v != nil && v.UserID != uuid.Nil {
			create.SetCreatedByID(v.UserID)
		}
		if nj.idempotencyKey != "" {
			create.SetIdempotencyKey(nj.idempotencyKey)
		}
		if nj.inputName != "" {
			create.SetInputName(nj.inputName)
		}
		j, err := create.Save(ctx)
		if err != nil {
			return nil, err
		}
		if nj.file != nil {
			if err := c.JobFile.Create().SetJobID(j.ID).SetKind(jobfile.KindINPUT).SetSeq(0).
				SetData(nj.file).SetCreatedAt(s.Now()).Exec(ctx); err != nil {
				return nil, fmt.Errorf("longjob: store the input file: %w", err)
			}
		}
		if err := s.Queue.EnqueueJob(ent.NewContext(ctx, c), tid, j.ID); err != nil {
			return nil, err
		}
		return j, nil
	})
}

// earlier returns the caller's job holding the idempotency key, under a
// lock on the key so two requests with it create one job.
func (s *Service) earlier(ctx context.Context, c *ent.Client, tid uuid.UUID, v *auth.Viewer, nj newJob) (*ent.Job, error) {
	h := fnv.New64a()
	_, _ = io.WriteString(h, tid.String()+"\x00job\x00"+nj.idempotencyKey)
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return nil, fmt.Errorf("longjob: lock the idempotency key: %w", err)
	}
	var (
		id      uuid.UUID
		creator uuid.NullUUID
		kind    string
	)
	err := txn.QueryRow(ctx, c, `SELECT id, created_by_id, kind FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2`,
		tid, nj.idempotencyKey).Scan(&id, &creator, &kind)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	mine := v != nil && v.UserID != uuid.Nil && creator.Valid && creator.UUID == v.UserID
	if !mine || kind != string(nj.kind) {
		return nil, apperr.New(apperr.Conflict, "idempotencyKey", "this idempotency key was used for another request")
	}
	return c.Job.Get(ctx, id)
}

// progress records a run's counts and reports whether the job was
// cancelled meanwhile (the counts are recorded all the same: the caller
// commits them and then stops with ErrCancelled).
func (s *Service) progress(ctx context.Context, c *ent.Client, id uuid.UUID, done, failed int, state []byte) (bool, error) {
	var status string
	q := `UPDATE jobs SET done = $2, failed = $3, updated_at = $4 WHERE id = $1 AND tenant_id = $5 RETURNING status`
	args := []any{id, done, failed, s.Now()}
	if state != nil {
		q = `UPDATE jobs SET done = $2, failed = $3, updated_at = $4, state = $6 WHERE id = $1 AND tenant_id = $5 RETURNING status`
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return false, err
	}
	args = append(args, tid)
	if state != nil {
		args = append(args, string(state)) // text: the column is jsonb
	}
	if err := txn.QueryRow(ctx, c, q, args...).Scan(&status); err != nil {
		return false, fmt.Errorf("longjob: record progress: %w", err)
	}
	return status == string(job.StatusCANCELLED), nil
}

// appendResult adds the next piece of the job's result file.
func (s *Service) appendResult(ctx context.Context, c *ent.Client, id uuid.UUID, seq int, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	return c.JobFile.Create().SetJobID(id).SetKind(jobfile.KindRESULT).SetSeq(seq).
		SetData(data).SetCreatedAt(s.Now()).Exec(ctx)
}

// readFile returns a job's file of kind, its pieces joined.
func (s *Service) readFile(ctx context.Context, id uuid.UUID, kind jobfile.Kind) ([]byte, error) {
	var out []byte
	err := s.eachPiece(ctx, id, kind, func(p []byte) error {
		out = append(out, p...)
		return nil
	})
	return out, err
}

// eachPiece hands the pieces of a job's file to fn in order, one row at a
// time, so a large file is never whole in memory.
func (s *Service) eachPiece(ctx context.Context, id uuid.UUID, kind jobfile.Kind, fn func([]byte) error) error {
	ids, err := s.DB(ctx).JobFile.Query().Where(jobfile.JobID(id), jobfile.KindEQ(kind)).
		Order(ent.Asc(jobfile.FieldSeq)).IDs(ctx)
	if err != nil {
		return err
	}
	for _, pid := range ids {
		p, err := s.DB(ctx).JobFile.Get(ctx, pid)
		if err != nil {
			return err
		}
		if err := fn(p.Data); err != nil {
			return err
		}
	}
	return nil
}

// WriteResult writes the result file of a job the caller may see to w and
// returns its name; NOT_FOUND for a job the caller does not see or one
// without a result (yet).
func (s *Service) WriteResult(ctx context.Context, id uuid.UUID, w func(name string) io.Writer) error {
	j, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if !HasResult(j) {
		return apperr.New(apperr.NotFound, "id", "the job has no result file (yet)")
	}
	out := w(*j.ResultName)
	return s.eachPiece(ctx, j.ID, jobfile.KindRESULT, func(p []byte) error {
		_, err := out.Write(p)
		return err
	})
}

// now is the run's clock reading, for fields that want a pointer.
func (s *Service) now() *time.Time {
	t := s.Now()
	return &t
}

// stillWanted answers ErrCancelled once the job was cancelled, so a run
// stops before its next batch.
func (s *Service) stillWanted(ctx context.Context, id uuid.UUID) error {
	// The run's own bookkeeping, whoever it runs as (an API key's job has no
	// creator its viewer could match).
	ctx = auth.NewContext(ctx, nil)
	st, err := s.Root.DB(ctx).Job.Query().Where(job.ID(id)).Select(job.FieldStatus).String(ctx)
	if err != nil {
		return err
	}
	if st == string(job.StatusCANCELLED) {
		return ErrCancelled
	}
	return nil
}
