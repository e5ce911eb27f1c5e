package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"
)

// NewServer returns the worker role's Asynq server.
func NewServer(redis asynq.RedisConnOpt, log *slog.Logger, concurrency int) *asynq.Server {
	return asynq.NewServer(redis, asynq.Config{
		Concurrency:     concurrency,
		Queues:          map[string]int{"critical": 6, "default": 3, "low": 1},
		ShutdownTimeout: 15 * time.Second,
		Logger:          slogAdapter{log.With("component", "asynq")},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			log.ErrorContext(ctx, "task failed", "type", t.Type(), "retry", retried, "max_retry", maxRetry, "err", err)
		}),
	})
}

// NewScheduler returns the scheduler role's Asynq scheduler with the schedule registered.
func NewScheduler(redis asynq.RedisConnOpt, log *slog.Logger) (*asynq.Scheduler, error) {
	s := asynq.NewScheduler(redis, &asynq.SchedulerOpts{
		Logger:   slogAdapter{log.With("component", "asynq-scheduler")},
		Location: time.UTC,
		PreEnqueueFunc: func(t *asynq.Task, _ []asynq.Option) {
			log.Debug("periodic task due", "type", t.Type())
		},
		PostEnqueueFunc: func(_ *asynq.TaskInfo, err error) {
			// A duplicate is another scheduler's copy of the same instant.
			if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
				log.Warn("could not queue a periodic task", "err", err)
			}
		},
	})
	for _, p := range Schedule() {
		if _, err := s.Register(p.Spec, p.Task, p.Opts...); err != nil {
			return nil, fmt.Errorf("register %s: %w", p.Task.Type(), err)
		}
	}
	return s, nil
}

// slogAdapter lets Asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...))
	os.Exit(1)
}
