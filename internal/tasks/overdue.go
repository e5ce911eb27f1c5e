package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

var notificationType = func() []byte { id := gid.New(gid.Notification); return id[6:8] }()

// overdueSQL marks up to $5 open tasks of the workspace that are past due
// at $2 and whose assignee was not told yet (skipping rows another
// transaction holds), and writes one notification each, with the due time
// in the workspace's zone $3. It returns the notifications' ids.
const overdueSQL = `
WITH pick AS (
	SELECT id FROM tasks
	WHERE tenant_id = $1 AND status = 'OPEN' AND due_at < $2 AND overdue_notified_at IS NULL
	ORDER BY due_at, id
	LIMIT $5
	FOR UPDATE SKIP LOCKED
), due AS (
	UPDATE tasks t SET overdue_notified_at = $2
	FROM pick WHERE t.tenant_id = $1 AND t.id = pick.id
	RETURNING t.id, t.assignee_id, t.lead_id, t.title, t.due_at
)
INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, task_id, message, created_at)
SELECT %s, $1, due.assignee_id, '` + KindOverdue + `', due.lead_id, due.id,
	left('待办「' || due.title || '」已逾期（截止 ' || to_char(due.due_at AT TIME ZONE $3::text, 'YYYY-MM-DD HH24:MI') || '），请尽快处理。', 1000),
	$2
FROM due
RETURNING id`

var overdueQuery = fmt.Sprintf(overdueSQL, gid.NewSQL("$2::timestamptz", "$4::bytea"))

// NotifyOverdue tells the assignee of every open task of the workspace in
// ctx that is past due, once per task, in batches of one transaction each
// that also queue the notifications' delivery. It returns how many it
// notified. Concurrent passes share the work (SKIP LOCKED) and never notify
// a task twice.
func (s *Service) NotifyOverdue(ctx context.Context) (int, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return 0, err
	}
	set, err := workspace.SettingsOf(ctx, s.DB(ctx), tid)
	if err != nil {
		return 0, err
	}
	if _, err := time.LoadLocation(set.Timezone); err != nil {
		set.Timezone = "UTC"
	}
	total := 0
	for {
		var ids []uuid.UUID
		// Retry gives fn a context carrying the transaction, where the
		// queue writes its outbox row.
		err := txn.Retry(ctx, s.DB(ctx), 1, func(error) bool { return false }, func(ctx context.Context, c *ent.Client) error {
			rows, err := c.QueryContext(ctx, overdueQuery, tid, s.Now(), set.Timezone, notificationType, overdueBatch)
			if err != nil {
				return fmt.Errorf("tasks: notify overdue: %w", err)
			}
			defer rows.Close()
			for rows.Next() {
				var id uuid.UUID
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if len(ids) == 0 || s.Notify == nil {
				return nil
			}
			return s.Notify.DeliverNotifications(ctx, tid, ids)
		})
		if err != nil {
			return total, err
		}
		total += len(ids)
		if len(ids) < overdueBatch {
			return total, nil
		}
	}
}
