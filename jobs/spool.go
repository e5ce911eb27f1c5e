package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// MaxSpooled bounds how many tasks a Spool holds; beyond it an enqueue
// fails as it would without one.
const MaxSpooled = 100_000

// Spool holds the tasks an api process could not queue because Redis did
// not answer (a restart, a failover) and queues them, in order, as soon as
// it answers again: a write that committed does not lose its background
// work (assignment, scoring, notifications, segment computes, broadcast
// plans) to a Redis outage. While tasks wait, new ones join the queue at
// once instead of each request waiting for Redis to time out.
//
// The spool is memory: a process that dies with tasks in it loses them
// (it logs how many when it stops). Workers do not use one: a task whose
// follow-up cannot be queued fails and Asynq retries it.
type Spool struct {
	client *asynq.Client
	log    *slog.Logger

	mu    sync.Mutex
	tasks []spooled
}

type spooled struct {
	task *asynq.Task
	opts []asynq.Option
}

// NewSpool returns a spool that queues through client; Run drains it.
func NewSpool(client *asynq.Client, log *slog.Logger) *Spool {
	return &Spool{client: client, log: log}
}

// Len is how many tasks wait.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tasks)
}

func (s *Spool) add(t *asynq.Task, opts []asynq.Option, cause error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tasks) >= MaxSpooled {
		return false
	}
	if len(s.tasks) == 0 && cause != nil {
		s.log.Warn("redis unavailable: holding background tasks until it answers", "type", t.Type(), "err", cause)
	}
	s.tasks = append(s.tasks, spooled{t, opts})
	return true
}

// Run queues the waiting tasks whenever there are some, backing off while
// Redis does not answer, until ctx ends; then it tries once more and logs
// the tasks it has to drop.
func (s *Spool) Run(ctx context.Context) {
	const idle, maxDelay = 500 * time.Millisecond, 10 * time.Second
	delay := idle
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = s.flush(fctx)
			cancel()
			if n := s.Len(); n > 0 {
				s.log.Error("stopping with background tasks that were never queued", "tasks", n)
			}
			return
		case <-t.C:
		}
		if err := s.flush(ctx); err != nil {
			delay = min(delay*2, maxDelay)
		} else {
			delay = idle
		}
		t.Reset(delay)
	}
}

// unavailable reports whether err means Redis could not be reached or is
// not ready yet (loading its data after a restart, a replica during a
// failover), as opposed to refusing the task.
func unavailable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"LOADING", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "connection pool", "closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// flush queues the waiting tasks in order and stops at the first that
// Redis does not take because it is unavailable; a task Redis refuses for
// another reason is dropped (logged), not retried forever ahead of the rest.
func (s *Spool) flush(ctx context.Context) error {
	queued := 0
	defer func() {
		if queued > 0 {
			s.log.Info("queued the background tasks held during the redis outage", "tasks", queued, "left", s.Len())
		}
	}()
	for {
		s.mu.Lock()
		if len(s.tasks) == 0 {
			s.mu.Unlock()
			return nil
		}
		next := s.tasks[0]
		s.mu.Unlock()
		_, err := s.client.EnqueueContext(ctx, next.task, next.opts...)
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
			if unavailable(err) {
				return err
			}
			s.log.Error("dropping a background task redis refused", "type", next.task.Type(), "err", err)
		}
		s.mu.Lock()
		s.tasks = s.tasks[1:]
		s.mu.Unlock()
		queued++
	}
}

// enqueue queues t, or hands it to the spool when Redis does not answer
// (or tasks already wait there, to keep their order). Without a spool the
// error is returned.
func (q Queue) enqueue(ctx context.Context, t *asynq.Task, opts ...asynq.Option) error {
	if q.Spool != nil && q.Spool.Len() > 0 && q.Spool.add(t, opts, nil) {
		return nil
	}
	_, err := q.Client.EnqueueContext(ctx, t, opts...)
	if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) || q.Spool == nil {
		return err
	}
	if q.Spool.add(t, opts, err) {
		return nil
	}
	return err
}
