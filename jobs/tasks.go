package jobs

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/internal/tenant"
)

// TypeTasksOverdue is the scheduler's periodic pass that tells assignees of
// their tasks that fell overdue (tasks.Service.NotifyOverdue), workspace by
// workspace.
const TypeTasksOverdue = "tasks:overdue"

// overdueWorkspacesSQL finds the workspaces with an open task past due
// whose assignee was not told yet: one probe of the (tenant_id, status,
// due_at) index per workspace.
const overdueWorkspacesSQL = `
SELECT w.id FROM workspaces w
WHERE EXISTS (
	SELECT 1 FROM tasks t
	WHERE t.tenant_id = w.id AND t.status = 'OPEN' AND t.due_at < $1 AND t.overdue_notified_at IS NULL)`

// HandleTasksOverdue notifies the assignees of overdue tasks in every
// workspace that has some. A workspace that fails is reported after the
// others ran; the next pass retries it (a task is notified once: the pass
// marks it in the notification's transaction).
func (h *Handlers) HandleTasksOverdue(ctx context.Context, _ *asynq.Task) error {
	rows, err := h.Services.Client.QueryContext(tenant.System(ctx), overdueWorkspacesSQL, h.Services.Clock.Now())
	if err != nil {
		return fmt.Errorf("find workspaces with overdue tasks: %w", err)
	}
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var failed error
	for _, id := range ids {
		n, err := h.Services.Tasks.NotifyOverdue(h.systemWork(ctx, id))
		if err != nil {
			failed = fmt.Errorf("notify overdue tasks of %s: %w", id, err)
			continue
		}
		h.Log.InfoContext(ctx, "notified overdue tasks", "tenant", id, "tasks", n)
	}
	return failed
}
