package graph

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/tasks"
)

// paginateTasks pages q oldest due first, as every task list does.
func paginateTasks(ctx context.Context, q *ent.TaskQuery, first *int, after *entgql.Cursor[uuid.UUID]) (*ent.TaskConnection, error) {
	first, _ = pageSize(first, nil)
	return q.Paginate(ctx, after, first, nil, nil,
		ent.WithTaskOrder(&ent.TaskOrder{Direction: entgql.OrderDirectionAsc, Field: ent.TaskOrderFieldDueAt}))
}

// teamTaskOptions are the service's options of the tasks query's filter.
func teamTaskOptions(w *model.TaskFilter) tasks.TeamOptions {
	var opt tasks.TeamOptions
	if w == nil {
		return opt
	}
	opt.AnyStatus, opt.AssigneeID, opt.LeadID = deref(w.AnyStatus), w.AssigneeID, w.LeadID
	opt.DueAfter, opt.DueBefore = w.DueAfter, w.DueBefore
	if w.Status != nil {
		opt.Status = *w.Status
	}
	if w.Kind != nil {
		opt.Kind = *w.Kind
	}
	return opt
}
