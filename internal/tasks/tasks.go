// Package tasks is the to-do list of users (待办): tasks a journey's
// createTask step asks of a lead's owner, its team manager or a named user,
// and follow-up promises (a follow-up's nextFollowUpAt) as FOLLOW_UP tasks,
// which the next follow-up on the lead keeps. myTasks lists a user's own;
// completing one with a note records a follow-up on its lead (which counts
// for recycling); an overdue task notifies its assignee once.
package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// Notification kinds this package writes.
const (
	KindOverdue = "task.overdue"
)

// Limits.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 2000
	MaxNoteLen        = 5000
	overdueBatch      = 5000
)

// Notifier queues the delivery of new notification rows (jobs.Queue) in the
// caller's transaction.
type Notifier interface {
	DeliverNotifications(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) error
}

// Service keeps the tasks of a workspace, in the transaction the context
// carries or in its own.
type Service struct {
	txn.Root
	// Leads records the follow-up a completed task's note is.
	Leads *leads.Service
	// Notify queues the delivery of overdue notifications; nil queues none
	// (the rows are still written).
	Notify Notifier
}

// New returns the service over the root client c with the clock now.
func New(c *ent.Client, now func() time.Time) *Service {
	return &Service{Root: txn.NewRoot(c).WithClock(now)}
}

var taskType = func() []byte { id := gid.New(gid.Task); return id[6:8] }()

// ListOptions select a user's tasks.
type ListOptions struct {
	// Status is OPEN when empty.
	Status task.Status
	// DueBefore, when set, keeps the tasks due before it (the web app's
	// "due today").
	DueBefore *time.Time
	// Kind and LeadID, when set, keep the tasks of that kind and lead.
	Kind   task.Kind
	LeadID *uuid.UUID
}

// filter adds the kind, lead and due limit of opt to q; errors name
// at+"kind".
func (opt ListOptions) filter(q *ent.TaskQuery, at string) error {
	if opt.Kind != "" {
		if err := task.KindValidator(opt.Kind); err != nil {
			return apperr.Input(at+"kind", "TASK or FOLLOW_UP")
		}
		q.Where(task.KindEQ(opt.Kind))
	}
	if opt.LeadID != nil {
		q.Where(task.LeadID(*opt.LeadID))
	}
	if opt.DueBefore != nil {
		q.Where(task.DueAtLT(*opt.DueBefore))
	}
	return nil
}

// Mine is the query of the viewer's own tasks, oldest due first: SOP tasks,
// and follow-up promises once they are due (a promise for next week is not
// on today's list). A caller without a user (an API key) has none.
func (s *Service) Mine(ctx context.Context, opt ListOptions) (*ent.TaskQuery, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Unauthenticated, "", "sign in")
	}
	if opt.Status == "" {
		opt.Status = task.StatusOPEN
	}
	if err := task.StatusValidator(opt.Status); err != nil {
		return nil, apperr.Input("status", "OPEN, DONE or CANCELLED")
	}
	q := s.DB(ctx).Task.Query().Where(task.AssigneeID(v.UserID), task.StatusEQ(opt.Status))
	if opt.Status == task.StatusOPEN {
		q.Where(task.Or(task.KindEQ(task.KindTASK), task.DueAtLTE(s.Now())))
	}
	if err := opt.filter(q, ""); err != nil {
		return nil, err
	}
	return q, nil
}

// TeamOptions select the tasks of the users a manager manages.
type TeamOptions struct {
	ListOptions
	// AnyStatus lists every status (Status is then ignored).
	AnyStatus bool
	// AssigneeID keeps one user's tasks.
	AssigneeID *uuid.UUID
	// DueAfter keeps the tasks due at or after it.
	DueAfter *time.Time
}

// Team is the query of the tasks of the users the viewer manages (task
// manage): every user's for a viewer who sees every lead, else its own and
// its teams' members' (the row filter of internal/scope), soonest due first
// whatever their kind. Without task manage it is FORBIDDEN.
func (s *Service) Team(ctx context.Context, opt TeamOptions) (*ent.TaskQuery, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Unauthenticated, "", "sign in")
	}
	if !v.AllTasks && !v.TeamTasks {
		return nil, apperr.New(apperr.Forbidden, "", "the team's tasks need task manage")
	}
	q := s.DB(ctx).Task.Query()
	if !opt.AnyStatus {
		if opt.Status == "" {
			opt.Status = task.StatusOPEN
		}
		if err := task.StatusValidator(opt.Status); err != nil {
			return nil, apperr.Input("where.status", "OPEN, DONE or CANCELLED")
		}
		q.Where(task.StatusEQ(opt.Status))
	}
	if opt.AssigneeID != nil {
		q.Where(task.AssigneeID(*opt.AssigneeID))
	}
	if opt.DueAfter != nil {
		q.Where(task.DueAtGTE(*opt.DueAfter))
	}
	if opt.DueAfter != nil && opt.DueBefore != nil && !opt.DueBefore.After(*opt.DueAfter) {
		return nil, apperr.Input("where.dueBefore", "dueBefore must be after dueAfter")
	}
	if err := opt.filter(q, "where."); err != nil {
		return nil, err
	}
	return q, nil
}

// Overdue says whether t is open past its due time.
func (s *Service) Overdue(t *ent.Task) bool {
	return t.Status == task.StatusOPEN && t.DueAt.Before(s.Now())
}

// CompleteInput completes a task.
type CompleteInput struct {
	ID uuid.UUID
	// Note, when not blank, is kept on the task and recorded as a follow-up
	// (NOTE) on its lead, which restarts the lead's recycle clock.
	Note string
	// Actor is who completes it (nil for an API key).
	Actor *uuid.UUID
}

// Complete marks a task the viewer sees (its own, or any with task manage)
// DONE. A task that is not OPEN is a CONFLICT. The note's follow-up is
// recorded when the lead is still active and in the caller's write scope;
// otherwise the task is completed with the note alone.
func (s *Service) Complete(ctx context.Context, in CompleteInput) (*ent.Task, error) {
	note, err := textinput.Clean("note", in.Note, MaxNoteLen, false)
	if err != nil {
		return nil, err
	}
	return txn.WithTxEntity(ctx, s.DB(ctx), func(c *ent.Client) (*ent.Task, error) {
		ctx := ent.NewContext(ctx, c)
		t, err := c.Task.Query().Where(task.ID(in.ID)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "id", "task not found")
		}
		if err != nil {
			return nil, err
		}
		if t.Status != task.StatusOPEN {
			return nil, apperr.New(apperr.Conflict, "id", "the task is %s", strings.ToLower(string(t.Status)))
		}
		now := s.Now()
		if note != "" && t.LeadID != nil && s.Leads != nil {
			// under a savepoint: a lead out of scope or inactive leaves the
			// transaction as it was, and the task is completed all the same
			err := txn.Retry(ctx, c, 1, func(error) bool { return false }, func(ctx context.Context, _ *ent.Client) error {
				_, err := s.Leads.CreateFollowUp(ctx, now, leads.FollowUpInput{LeadID: *t.LeadID, Kind: followup.KindNOTE,
					Content: note, Author: in.Actor})
				return err
			})
			var ae *apperr.Error
			if err != nil && !(errors.As(err, &ae) && ae.Code != apperr.BadInput) {
				return nil, err
			}
		}
		u := c.Task.UpdateOneID(t.ID).SetStatus(task.StatusDONE).SetCompletedAt(now).SetUpdatedAt(now).
			SetNillableCompletedByID(in.Actor)
		if note != "" {
			u.SetNote(note)
		}
		return u.Save(ctx)
	})
}

// FollowedUp implements leads.Promises: a follow-up on lead keeps its open
// promises (FOLLOW_UP tasks become DONE), and a follow-up with a next time
// makes a new one, for the lead's owner (else the author), due then,
// created by the author.
func (s *Service) FollowedUp(ctx context.Context, c *ent.Client, f *ent.FollowUp, l *ent.Lead) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	now := f.CreatedAt
	if _, err := c.ExecContext(ctx, `UPDATE tasks SET status = 'DONE', completed_at = $3, completed_by_id = $4, updated_at = $3
		WHERE tenant_id = $1 AND lead_id = $2 AND kind = 'FOLLOW_UP' AND status = 'OPEN'`,
		tid, l.ID, now, f.AuthorID); err != nil {
		return fmt.Errorf("tasks: keep promises: %w", err)
	}
	if f.NextFollowUpAt == nil {
		return nil
	}
	assignee := l.OwnerID
	if assignee == nil {
		assignee = f.AuthorID
	}
	if assignee == nil {
		return nil
	}
	name := l.Name
	if name == "" {
		name = "未命名线索"
	}
	desc := []rune(f.Content)
	if len(desc) > MaxDescriptionLen {
		desc = desc[:MaxDescriptionLen]
	}
	title := []rune("跟进「" + name + "」")
	if len(title) > MaxTitleLen {
		title = title[:MaxTitleLen]
	}
	return c.Task.Create().SetKind(task.KindFOLLOW_UP).SetTitle(string(title)).SetDescription(string(desc)).
		SetDueAt(*f.NextFollowUpAt).SetAssigneeID(*assignee).SetLeadID(l.ID).SetFollowUpID(f.ID).
		SetNillableCreatedByID(f.AuthorID).SetCreatedAt(now).SetUpdatedAt(now).Exec(ctx)
}
