package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/task"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// KindAssigned is the notification a user gets when someone else gives
// them a task (createTask, or updateTask's new assignee).
const KindAssigned = "task.assigned"

// KindCancelled is the notification a user gets when someone else (a
// manager, or an API key) cancels their task.
const KindCancelled = "task.cancelled"

// KindGivenCancelled is the notification the user who gave a task to
// someone else gets when another user (the assignee, mostly) cancels it:
// a kind of its own because it leads elsewhere, to the task in the giver's
// 团队 view rather than to the giver's own 已取消 tab, where it is not.
const KindGivenCancelled = "task.given_cancelled"

// MaxDueAhead is how far ahead a task made by hand may be due.
const MaxDueAhead = 2 * 366 * 24 * time.Hour

// Draft is a task made or changed by hand. On create, Title and DueAt are
// required and a nil AssigneeID is the caller; on update, nil fields are
// left as they are.
type Draft struct {
	Title       *string
	Description *string
	DueAt       *time.Time
	AssigneeID  *uuid.UUID
	// LeadID (create only) is the lead it is about; the caller must read it.
	LeadID *uuid.UUID
}

// draft is a checked Draft.
type draft struct {
	title, description *string
	dueAt              *time.Time
	assignee           *ent.User
	leadID             *uuid.UUID
}

// check cleans d and checks it against the caller v; create says whether
// the required fields must be there. Every error names input.<field>, and
// all of them are reported together.
func (s *Service) check(ctx context.Context, c *ent.Client, v *auth.Viewer, d Draft, create bool) (*draft, error) {
	var errs apperr.List
	out := &draft{leadID: d.LeadID}
	if d.Title != nil || create {
		t, err := textinput.Clean("input.title", deref(d.Title), MaxTitleLen, true)
		if err := collect(&errs, err); err != nil {
			return nil, err
		}
		out.title = &t
	}
	if d.Description != nil {
		t, err := textinput.Clean("input.description", *d.Description, MaxDescriptionLen, false)
		if err := collect(&errs, err); err != nil {
			return nil, err
		}
		out.description = &t
	}
	now := s.Now()
	switch {
	case d.DueAt == nil && create:
		errs = append(errs, apperr.Input("input.dueAt", "a due time is required"))
	case d.DueAt == nil:
	case d.DueAt.Before(now.Add(-time.Minute)):
		errs = append(errs, apperr.Input("input.dueAt", "the due time has passed"))
	case d.DueAt.After(now.Add(MaxDueAhead)):
		errs = append(errs, apperr.Input("input.dueAt", "the due time is more than two years ahead"))
	default:
		out.dueAt = d.DueAt
	}
	if d.AssigneeID != nil || create {
		id := v.UserID
		if d.AssigneeID != nil {
			id = *d.AssigneeID
		}
		u, err := s.assignee(ctx, c, v, id)
		if err := collect(&errs, err); err != nil {
			return nil, err
		}
		out.assignee = u
	}
	if d.LeadID != nil {
		err := scope.CheckLead(ctx, c, scope.Read, "input.leadID", *d.LeadID)
		if err := collect(&errs, err); err != nil {
			return nil, err
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// assignee is the user id the caller v may give a task to: itself; with
// task manage, any active user of the workspace (AllTasks) or a member of a
// team it manages (TeamTasks).
func (s *Service) assignee(ctx context.Context, c *ent.Client, v *auth.Viewer, id uuid.UUID) (*ent.User, error) {
	const at = "input.assigneeID"
	u, err := c.User.Query().Where(user.ID(id)).WithTeam().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, at, "no user with this id in the workspace")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case id == v.UserID:
	case !v.AllTasks && !v.TeamTasks:
		return nil, apperr.New(apperr.Forbidden, at, "giving a task to someone else needs task manage")
	case v.TeamTasks && (u.Edges.Team == nil || u.Edges.Team.ManagerID == nil || *u.Edges.Team.ManagerID != v.UserID):
		return nil, apperr.New(apperr.Forbidden, at, "%s is not a member of a team you manage", u.Name)
	}
	if !u.Active {
		return nil, apperr.Input(at, "%s is deactivated", u.Name)
	}
	return u, nil
}

// Create makes a task by hand (kind TASK, no journey, created by the
// caller) for the caller or, with task manage, for a user it manages, and tells that user through a
// task.assigned notification in the same transaction. Bad input is
// refused at input.<field>, all errors at once, and writes nothing.
func (s *Service) Create(ctx context.Context, in Draft) (*ent.Task, error) {
	v := auth.FromContext(ctx)
	if v == nil || v.UserID == uuid.Nil {
		return nil, apperr.New(apperr.Forbidden, "", "only a signed-in user has tasks, not an API key")
	}
	return txn.WithTxEntity(ctx, s.DB(ctx), func(c *ent.Client) (*ent.Task, error) {
		ctx := ent.NewContext(ctx, c)
		d, err := s.check(ctx, c, v, in, true)
		if err != nil {
			return nil, err
		}
		now := s.Now()
		t, err := c.Task.Create().SetKind(task.KindTASK).SetTitle(*d.title).SetDescription(deref(d.description)).
			SetDueAt(*d.dueAt).SetAssigneeID(d.assignee.ID).SetNillableLeadID(d.leadID).
			SetCreatedByID(v.UserID).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return nil, err
		}
		return t, s.tell(ctx, c, v, t)
	})
}

// Update changes an OPEN task the caller sees (its own, or with task
// manage one of its team's): title, description, due time (a new due time
// notifies again when it passes) and assignee (whom the caller may give
// tasks to, told as on create). A task that is not OPEN is a CONFLICT.
func (s *Service) Update(ctx context.Context, id uuid.UUID, in Draft) (*ent.Task, error) {
	v := auth.FromContext(ctx)
	if v == nil || v.UserID == uuid.Nil {
		return nil, apperr.New(apperr.Forbidden, "", "only a signed-in user has tasks, not an API key")
	}
	if in.LeadID != nil {
		return nil, apperr.Input("input.leadID", "a task's lead cannot change")
	}
	if in.Title == nil && in.Description == nil && in.DueAt == nil && in.AssigneeID == nil {
		return nil, apperr.Input("input", "give at least one of title, description, dueAt and assigneeID")
	}
	return txn.WithTxEntity(ctx, s.DB(ctx), func(c *ent.Client) (*ent.Task, error) {
		ctx := ent.NewContext(ctx, c)
		t, err := s.open(ctx, c, id)
		if err != nil {
			return nil, err
		}
		d, err := s.check(ctx, c, v, in, false)
		if err != nil {
			return nil, err
		}
		u := c.Task.UpdateOneID(t.ID).SetUpdatedAt(s.Now())
		if d.title != nil {
			u.SetTitle(*d.title)
		}
		if d.description != nil {
			u.SetDescription(*d.description)
		}
		if d.dueAt != nil && !d.dueAt.Equal(t.DueAt) {
			u.SetDueAt(*d.dueAt).ClearOverdueNotifiedAt()
		}
		moved := d.assignee != nil && d.assignee.ID != t.AssigneeID
		if moved {
			u.SetAssigneeID(d.assignee.ID)
		}
		t, err = u.Save(ctx)
		if err != nil || !moved {
			return t, err
		}
		return t, s.tell(ctx, c, v, t)
	})
}

// Cancel marks an OPEN task the caller sees CANCELLED (a call no longer
// needed), with an optional note why. A task that is not OPEN is a
// CONFLICT. When the canceller is not the assignee, the assignee is told
// (task.cancelled) in the same transaction; when it is not who gave the
// task (createdBy, another user than the assignee), that user is told too
// (task.given_cancelled).
func (s *Service) Cancel(ctx context.Context, id uuid.UUID, note string, actor *uuid.UUID) (*ent.Task, error) {
	note, err := textinput.Clean("note", note, MaxNoteLen, false)
	if err != nil {
		return nil, err
	}
	return txn.WithTxEntity(ctx, s.DB(ctx), func(c *ent.Client) (*ent.Task, error) {
		ctx := ent.NewContext(ctx, c)
		t, err := s.open(ctx, c, id)
		if err != nil {
			return nil, err
		}
		now := s.Now()
		u := c.Task.UpdateOneID(t.ID).SetStatus(task.StatusCANCELLED).SetCompletedAt(now).SetUpdatedAt(now).
			SetNillableCompletedByID(actor)
		if note != "" {
			u.SetNote(note)
		}
		t, err = u.Save(ctx)
		if err != nil {
			return nil, err
		}
		by := func(id uuid.UUID) bool { return actor != nil && *actor == id }
		if !by(t.AssigneeID) {
			msg := fmt.Sprintf("%s 取消了你的待办「%s」。", s.actorName(ctx, c, actor), t.Title)
			if note != "" {
				msg = fmt.Sprintf("%s 取消了你的待办「%s」：%s", s.actorName(ctx, c, actor), t.Title, note)
			}
			if err := s.notify(ctx, c, t, t.AssigneeID, KindCancelled, msg); err != nil {
				return nil, err
			}
		}
		// The user who gave the task is told when someone else (its
		// assignee, mostly) cancels it; one who gave itself the task was
		// told above as its assignee.
		if t.CreatedByID == nil || by(*t.CreatedByID) || *t.CreatedByID == t.AssigneeID {
			return t, nil
		}
		msg := fmt.Sprintf("%s 取消了你给 %s 的待办「%s」。", s.actorName(ctx, c, actor), s.actorName(ctx, c, &t.AssigneeID), t.Title)
		if note != "" {
			msg = fmt.Sprintf("%s 取消了你给 %s 的待办「%s」：%s", s.actorName(ctx, c, actor), s.actorName(ctx, c, &t.AssigneeID), t.Title, note)
		}
		return t, s.notify(ctx, c, t, *t.CreatedByID, KindGivenCancelled, msg)
	})
}

// actorName is how a notification names who acted: the user's name, else
// 有人 (an API key, or a user read in vain).
func (s *Service) actorName(ctx context.Context, c *ent.Client, actor *uuid.UUID) string {
	if actor != nil {
		if me, err := c.User.Get(ctx, *actor); err == nil {
			return me.Name
		}
	}
	return "有人"
}

// open locks the OPEN task id the caller sees: NOT_FOUND when it does not
// see it, CONFLICT when it is no longer open.
func (s *Service) open(ctx context.Context, c *ent.Client, id uuid.UUID) (*ent.Task, error) {
	t, err := c.Task.Query().Where(task.ID(id)).ForUpdate().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "id", "task not found")
	}
	if err != nil {
		return nil, err
	}
	if t.Status != task.StatusOPEN {
		return nil, apperr.New(apperr.Conflict, "id", "the task is %s", strings.ToLower(string(t.Status)))
	}
	return t, nil
}

// tell writes the task.assigned notification of t for its assignee, unless
// the caller gave the task to itself, and queues its delivery.
func (s *Service) tell(ctx context.Context, c *ent.Client, v *auth.Viewer, t *ent.Task) error {
	if t.AssigneeID == v.UserID {
		return nil
	}
	set, err := workspace.SettingsOf(ctx, c, v.TenantID)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(set.Timezone)
	if err != nil {
		loc = time.UTC
	}
	by := s.actorName(ctx, c, &v.UserID)
	return s.notify(ctx, c, t, t.AssigneeID, KindAssigned,
		fmt.Sprintf("%s 给你安排了待办「%s」（截止 %s）。", by, t.Title, t.DueAt.In(loc).Format("2006-01-02 15:04")))
}

// notify writes a notification of kind about t for the user to (its
// assignee, or who gave it; the message cut at 1,000 characters) and queues
// its delivery.
func (s *Service) notify(ctx context.Context, c *ent.Client, t *ent.Task, to uuid.UUID, kind, message string) error {
	msg := []rune(message)
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	n, err := c.Notification.Create().SetUserID(to).SetKind(kind).SetNillableLeadID(t.LeadID).SetTaskID(t.ID).
		SetMessage(string(msg)).SetCreatedAt(s.Now()).Save(ctx)
	if err != nil {
		return fmt.Errorf("tasks: notify %s: %w", notification.Label, err)
	}
	if s.Notify == nil {
		return nil
	}
	return s.Notify.DeliverNotifications(ctx, t.TenantID, []uuid.UUID{n.ID})
}

// collect adds the refusals of err to errs and returns err when it is not
// a refusal (a database error), nil otherwise.
func collect(errs *apperr.List, err error) error {
	var list apperr.List
	if errors.As(err, &list) {
		*errs = append(*errs, list...)
		return nil
	}
	if e, ok := apperr.As(err); ok {
		*errs = append(*errs, e)
		return nil
	}
	return err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
