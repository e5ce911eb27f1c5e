package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
)

// Outbox is where background tasks wait for Asynq: rows of outbox_tasks,
// written in the transaction of the change that asked for them, so a task
// exists exactly when its change committed, whether or not Redis is up and
// whether or not the process lives on after the commit. A Relay hands the
// rows to Asynq.
type Outbox struct {
	client *ent.Client
	clock  platform.Clock
	// wake tells this process's relay that a row committed.
	wake chan struct{}
}

// NewOutbox returns the outbox of client's database.
func NewOutbox(client *ent.Client, clock platform.Clock) *Outbox {
	if clock == nil {
		clock = platform.SystemClock{}
	}
	return &Outbox{client: client, clock: clock, wake: make(chan struct{}, 1)}
}

// ErrOption is returned for an Asynq option the outbox does not carry.
var ErrOption = errors.New("outbox: option not supported")

// Add writes t, a task of workspace tenantID, in the transaction ctx
// carries (entgql's per-mutation one, txn.Retry's), so it commits or rolls
// back with the change; without one the row is written on its own, durable
// all the same. The options it carries are Queue, TaskID, MaxRetry,
// Timeout, Retention, ProcessAt and ProcessIn (made absolute now).
func (o *Outbox) Add(ctx context.Context, tenantID uuid.UUID, t *asynq.Task, opts ...asynq.Option) error {
	create := txn.Client(ctx, o.client).OutboxTask.Create().SetTenantID(tenantID).SetTaskType(t.Type()).
		SetPayload(t.Payload()).SetCreatedAt(o.clock.Now())
	if err := setOptions(create, opts); err != nil {
		return err
	}
	if _, ok := tenant.FromContext(ctx); !ok {
		ctx = tenant.NewContext(ctx, tenantID)
	}
	if err := create.Exec(ctx); err != nil {
		return fmt.Errorf("outbox: write %s: %w", t.Type(), err)
	}
	o.wakeAfterCommit(ctx)
	return nil
}

// setOptions stores opts in the row's columns; the relay turns them back
// into options.
func setOptions(create *ent.OutboxTaskCreate, opts []asynq.Option) error {
	for _, opt := range opts {
		switch opt.Type() {
		case asynq.QueueOpt:
			create.SetQueue(opt.Value().(string))
		case asynq.TaskIDOpt:
			create.SetTaskID(opt.Value().(string))
		case asynq.MaxRetryOpt:
			create.SetMaxRetry(opt.Value().(int))
		case asynq.TimeoutOpt:
			create.SetTimeoutSeconds(seconds(opt.Value().(time.Duration)))
		case asynq.RetentionOpt:
			create.SetRetentionSeconds(seconds(opt.Value().(time.Duration)))
		case asynq.ProcessAtOpt:
			create.SetProcessAt(opt.Value().(time.Time))
		case asynq.ProcessInOpt:
			// Asynq schedules on the wall clock, not the injected one.
			create.SetProcessAt(time.Now().Add(opt.Value().(time.Duration)))
		default:
			return fmt.Errorf("%w: %s", ErrOption, opt)
		}
	}
	return nil
}

// seconds rounds d up to whole seconds, at least one.
func seconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// wakeAfterCommit wakes the relay once the row is visible: after the commit
// of the transaction ctx carries, or now.
func (o *Outbox) wakeAfterCommit(ctx context.Context) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		o.poke()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				o.poke()
			}
			return err
		})
	})
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Backlog is what waits in the outbox.
type Backlog struct {
	// Pending counts the rows not yet handed to Asynq.
	Pending int
	// Oldest is the age of the oldest pending row (0 without any).
	Oldest time.Duration
	// Failed counts the rows the relay gave up on (Redis refused them
	// MaxRelayAttempts times); they stay until an operator resets their
	// attempts or deletes them.
	Failed int
}

// Backlog reads the outbox's backlog (over every workspace).
func (o *Outbox) Backlog(ctx context.Context) (Backlog, error) {
	var b Backlog
	var oldest sql.NullTime
	rows, err := o.client.QueryContext(ctx, `SELECT count(*) FILTER (WHERE attempts < $1), min(created_at) FILTER (WHERE attempts < $1),
		count(*) FILTER (WHERE attempts >= $1) FROM outbox_tasks WHERE sent_at IS NULL`, MaxRelayAttempts)
	if err != nil {
		return b, fmt.Errorf("outbox: backlog: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&b.Pending, &oldest, &b.Failed); err != nil {
			return b, fmt.Errorf("outbox: backlog: %w", err)
		}
	}
	if oldest.Valid {
		b.Oldest = max(0, o.clock.Now().Sub(oldest.Time))
	}
	return b, rows.Err()
}
