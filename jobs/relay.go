package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/outboxtask"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Relay tuning.
const (
	// RelayBatch is how many rows one pass of a relay takes.
	RelayBatch = 100
	// MaxRelayAttempts is how often Redis may refuse a task (for a reason
	// other than being unavailable) before the relay gives up on it.
	MaxRelayAttempts = 5
	// relayPoll is how often a relay looks for rows nobody told it about
	// (written by another process).
	relayPoll = time.Second
	// relayMinBackoff and relayMaxBackoff bound the wait after a failed
	// pass (Redis or PostgreSQL unavailable), doubled at each failure.
	relayMinBackoff, relayMaxBackoff = 250 * time.Millisecond, 10 * time.Second
	// handOffTimeout bounds one enqueue.
	handOffTimeout = 10 * time.Second
)

// Relay hands the outbox's rows to Asynq. Every api and worker process runs
// one; any number may run at once: a pass locks the rows it takes (FOR
// UPDATE SKIP LOCKED), enqueues each under a task id (the caller's, else the
// row's) and marks them sent in the same transaction. A row handed twice (a
// relay that died between the enqueue and its commit) meets its own task id
// in Redis (ErrTaskIDConflict) and is only marked.
type Relay struct {
	outbox  *Outbox
	asynq   *asynq.Client
	log     *slog.Logger
	relayed atomic.Int64
}

// NewRelay returns a relay from outbox to client.
func NewRelay(outbox *Outbox, client *asynq.Client, log *slog.Logger) *Relay {
	return &Relay{outbox: outbox, asynq: client, log: log}
}

// Relayed is how many tasks this relay handed to Asynq (marked sent).
func (r *Relay) Relayed() int64 { return r.relayed.Load() }

// errUnavailable marks a pass stopped because Redis did not answer.
var errUnavailable = errors.New("redis unavailable")

// Run relays until ctx ends: at once after a local write commits, every
// second otherwise, and with a bounded exponential back-off while Redis
// (or PostgreSQL) does not answer.
func (r *Relay) Run(ctx context.Context) {
	var delay, backoff time.Duration
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		resetTimer(timer, delay)
		wake := r.outbox.wake
		if backoff > 0 {
			wake = nil // local writes do not shorten a back-off
		}
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-wake:
		}
		n, err := r.Pass(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if backoff == 0 {
				r.log.WarnContext(ctx, "outbox relay: cannot hand tasks to asynq; they wait in the outbox", "err", err)
			}
			backoff = min(max(2*backoff, relayMinBackoff), relayMaxBackoff)
			delay = backoff
			continue
		case backoff > 0:
			r.log.InfoContext(ctx, "outbox relay: handing tasks to asynq again")
			backoff = 0
		}
		delay = relayPoll
		if n == RelayBatch {
			delay = 0 // more are waiting
		}
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	t.Reset(d)
}

// Pass hands at most RelayBatch unsent rows, oldest first, to Asynq and
// returns how many it took. It stops at the first task Redis could not take
// because it is unavailable (the rows handed before it are marked sent); a
// task Redis refuses for another reason has its attempt recorded and the
// pass goes on.
func (r *Relay) Pass(ctx context.Context) (int, error) {
	ctx = tenant.System(ctx)
	tx, err := r.outbox.client.Tx(ctx)
	if err != nil {
		return 0, fmt.Errorf("outbox relay: %w", err)
	}
	taken, sent, err := r.pass(ctx, tx)
	if err != nil && !errors.Is(err, errUnavailable) {
		return 0, errors.Join(err, tx.Rollback())
	}
	if cerr := tx.Commit(); cerr != nil {
		return 0, errors.Join(err, fmt.Errorf("outbox relay: commit: %w", cerr))
	}
	r.relayed.Add(int64(sent))
	return taken, err
}

// pass is Pass in tx: how many rows it took and how many it marked sent.
func (r *Relay) pass(ctx context.Context, tx *ent.Tx) (taken, sent int, err error) {
	rows, err := tx.OutboxTask.Query().
		Where(outboxtask.SentAtIsNil(), outboxtask.AttemptsLT(MaxRelayAttempts)).
		Order(outboxtask.ByCreatedAt()).Limit(RelayBatch).
		ForUpdate(entsql.WithLockAction(entsql.SkipLocked)).All(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox relay: read: %w", err)
	}
	var done []uuid.UUID
	var stop error
	for _, row := range rows {
		err := r.handOff(ctx, row)
		if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
			done = append(done, row.ID)
			continue
		}
		if unavailable(err) {
			stop = fmt.Errorf("%w: %v", errUnavailable, err)
			break
		}
		if err := r.refused(ctx, tx, row, err); err != nil {
			return 0, 0, err
		}
	}
	if len(done) > 0 {
		err := tx.OutboxTask.Update().Where(outboxtask.IDIn(done...)).SetSentAt(r.outbox.clock.Now()).Exec(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("outbox relay: mark sent: %w", err)
		}
	}
	return len(rows), len(done), stop
}

// handOff enqueues row under its task id.
func (r *Relay) handOff(ctx context.Context, row *ent.OutboxTask) error {
	id := row.ID.String()
	if row.TaskID != nil {
		id = *row.TaskID
	}
	opts := []asynq.Option{asynq.TaskID(id), asynq.Queue(row.Queue)}
	if row.MaxRetry != nil {
		opts = append(opts, asynq.MaxRetry(*row.MaxRetry))
	}
	if row.TimeoutSeconds != nil {
		opts = append(opts, asynq.Timeout(time.Duration(*row.TimeoutSeconds)*time.Second))
	}
	if row.RetentionSeconds != nil {
		opts = append(opts, asynq.Retention(time.Duration(*row.RetentionSeconds)*time.Second))
	}
	if row.ProcessAt != nil {
		opts = append(opts, asynq.ProcessAt(*row.ProcessAt))
	}
	ctx, cancel := context.WithTimeout(ctx, handOffTimeout)
	defer cancel()
	_, err := r.asynq.EnqueueContext(ctx, asynq.NewTask(row.TaskType, row.Payload), opts...)
	return err
}

// refused records that Redis refused row, and logs when the relay gives up.
func (r *Relay) refused(ctx context.Context, tx *ent.Tx, row *ent.OutboxTask, cause error) error {
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	err := tx.OutboxTask.UpdateOneID(row.ID).AddAttempts(1).SetLastError(msg).Exec(ctx)
	if err != nil {
		return fmt.Errorf("outbox relay: record a refusal: %w", err)
	}
	if row.Attempts+1 >= MaxRelayAttempts {
		r.log.ErrorContext(ctx, "outbox relay: giving up on a task redis refuses", "outbox_id", row.ID,
			"type", row.TaskType, "tenant", row.TenantID, "attempts", row.Attempts+1, "err", cause)
	} else {
		r.log.WarnContext(ctx, "outbox relay: redis refused a task", "outbox_id", row.ID, "type", row.TaskType, "err", cause)
	}
	return nil
}

// unavailable reports whether err means Redis could not be reached or is
// not ready yet (loading its data after a restart, a replica during a
// failover), as opposed to refusing the task.
func unavailable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"LOADING", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "OOM", "connection pool", "closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Collector reports the outbox to Prometheus: the pending rows and the age
// of the oldest (read from the table at each scrape, so any process shows
// the whole backlog), the rows given up on, and the tasks this process
// relayed.
func (r *Relay) Collector() prometheus.Collector { return relayCollector{r} }

var (
	outboxPendingDesc = prometheus.NewDesc("scrm_outbox_pending",
		"Background tasks written to the outbox and not yet handed to Asynq.", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("scrm_outbox_oldest_pending_seconds",
		"Age of the oldest task waiting in the outbox (0 when none waits).", nil, nil)
	outboxFailedDesc = prometheus.NewDesc("scrm_outbox_failed",
		"Outbox tasks the relay gave up on after Redis refused them; they need an operator.", nil, nil)
	outboxRelayedDesc = prometheus.NewDesc("scrm_outbox_relayed_total",
		"Outbox tasks this process handed to Asynq.", nil, nil)
)

type relayCollector struct{ r *Relay }

func (c relayCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxOldestDesc
	ch <- outboxFailedDesc
	ch <- outboxRelayedDesc
}

func (c relayCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(outboxRelayedDesc, prometheus.CounterValue, float64(c.r.relayed.Load()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := c.r.outbox.Backlog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxPendingDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(b.Pending))
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, b.Oldest.Seconds())
	ch <- prometheus.MustNewConstMetric(outboxFailedDesc, prometheus.GaugeValue, float64(b.Failed))
}
