package longjob

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/job"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
)

// ErrPermanent marks a run that cannot succeed however often it is tried
// (a file that does not fit its mapping, a WeCom corp that is not
// configured): the job is FAILED at once.
var ErrPermanent = errors.New("longjob: the job cannot succeed")

// input is what a job's input column holds: the viewer it runs as (the
// caller's decisions at the time it asked: roles, row scopes, the contact
// grant, so an export sees and masks exactly as the caller did) and the
// kind's own input.
type input struct {
	Viewer *auth.Viewer `json:"viewer,omitempty"`
	// Mapping is the import's mapping in the importer's canonical form.
	Mapping string `json:"mapping,omitempty"`
	// Columns are an export's columns.
	Columns []string `json:"columns,omitempty"`
	// Bulk is a bulk update's action.
	Bulk *BulkAction `json:"bulk,omitempty"`
}

// Run runs the job (the worker's job:run task). It returns nil when the job
// is over (SUCCEEDED, FAILED or CANCELLED), and an error to have the task
// retried; last says this is the task's final attempt, after which the job
// is marked FAILED with that error rather than left RUNNING.
func (s *Service) Run(ctx context.Context, tenantID, id uuid.UUID, last bool) error {
	ctx = tenant.NewContext(ctx, tenantID)
	j, err := s.Root.DB(ctx).Job.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil // the workspace was deleted with its jobs
	}
	if err != nil {
		return err
	}
	if j.Status != job.StatusQUEUED && j.Status != job.StatusRUNNING {
		return nil
	}
	var in input
	if len(j.Input) > 0 {
		if err := json.Unmarshal(j.Input, &in); err != nil {
			return s.fail(ctx, j, fmt.Errorf("%w: unreadable input: %w", ErrPermanent, err))
		}
	}
	if in.Viewer != nil {
		ctx = auth.NewContext(ctx, in.Viewer)
	}
	started, err := s.start(ctx, j)
	if err != nil || !started {
		return err
	}
	err = s.runKind(ctx, j, in)
	switch {
	case err == nil:
		return s.succeed(ctx, j)
	case errors.Is(err, ErrCancelled):
		return nil
	case errors.Is(err, ErrPermanent) || last:
		return s.fail(ctx, j, err)
	default:
		return err
	}
}

// runKind runs the work of the job's kind.
func (s *Service) runKind(ctx context.Context, j *ent.Job, in input) error {
	switch j.Kind {
	case job.KindIMPORT:
		return s.runImport(ctx, j, in)
	case job.KindEXPORT:
		return s.runExport(ctx, j, in)
	case job.KindWECOM_SYNC:
		return s.runWeComSync(ctx, j)
	case job.KindBULK_UPDATE:
		return s.runBulk(ctx, j, in)
	default:
		return fmt.Errorf("%w: unknown kind %s", ErrPermanent, j.Kind)
	}
}

// start moves the job to RUNNING (a retry finds it RUNNING already); false
// when it was cancelled meanwhile.
func (s *Service) start(ctx context.Context, j *ent.Job) (bool, error) {
	n, err := s.Root.DB(ctx).Job.Update().
		Where(job.ID(j.ID), job.StatusIn(job.StatusQUEUED, job.StatusRUNNING)).
		SetStatus(job.StatusRUNNING).SetNillableStartedAt(firstTime(j.StartedAt, s.now())).
		SetUpdatedAt(s.Now()).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("longjob: start: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	j.Status = job.StatusRUNNING
	return true, nil
}

// succeed marks a RUNNING job SUCCEEDED.
func (s *Service) succeed(ctx context.Context, j *ent.Job) error {
	_, err := s.Root.DB(ctx).Job.Update().Where(job.ID(j.ID), job.StatusEQ(job.StatusRUNNING)).
		SetStatus(job.StatusSUCCEEDED).SetFinishedAt(s.Now()).SetUpdatedAt(s.Now()).Save(ctx)
	return err
}

// fail marks a job FAILED with the reason (its progress stays).
func (s *Service) fail(ctx context.Context, j *ent.Job, cause error) error {
	msg := errorText(cause)
	_, err := s.Root.DB(ctx).Job.Update().
		Where(job.ID(j.ID), job.StatusIn(job.StatusQUEUED, job.StatusRUNNING)).
		SetStatus(job.StatusFAILED).SetError(msg).SetFinishedAt(s.Now()).SetUpdatedAt(s.Now()).Save(ctx)
	return err
}

// errorText is the message a FAILED job shows: the cause without the
// package prefixes of the layers it went through, at most 2000 characters.
func errorText(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"longjob: the job cannot succeed: ", "longjob: "} {
		for len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
			msg = msg[len(prefix):]
		}
	}
	if utf8.RuneCountInString(msg) > 2000 {
		msg = string([]rune(msg)[:1997]) + "..."
	}
	return msg
}

func firstTime(a, b *time.Time) *time.Time {
	if a != nil {
		return a
	}
	return b
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// withTx runs fn in a transaction of its own (a run's writes of one batch
// land together), with ctx carrying it.
func withTx(ctx context.Context, s *Service, fn func(ctx context.Context, c *ent.Client) error) error {
	return txn.WithTx(ctx, s.Root.DB(ctx), func(c *ent.Client) error {
		return fn(ent.NewContext(ctx, c), c)
	})
}
