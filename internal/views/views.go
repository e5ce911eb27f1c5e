// Package views keeps users' saved views of lists (the leads list's filters,
// columns, sort and page size) on the server, so that a view follows its
// user to any browser, and lets a user share one with the workspace. The
// state is stored as the web app gives it and never applied here: a shared
// view's filters run under each viewer's own row scope and masking when the
// list is asked for.
package views

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/savedview"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// Limits.
const (
	MaxNameLen    = 60
	MaxStateBytes = 16 << 10
	// MaxViews bounds one user's views of one list.
	MaxViews = 200
)

// Service keeps saved views, in the transaction the context carries or in
// its own.
type Service struct{ txn.Root }

// New returns the service over the root client c with the clock now.
func New(c *ent.Client, now func() time.Time) *Service {
	return &Service{Root: txn.NewRoot(c).WithClock(now)}
}

// SaveInput is a view to save by name.
type SaveInput struct {
	List   savedview.List
	Name   string
	State  any
	Shared *bool
}

// Patch changes a view; nil leaves a field as it is.
type Patch struct {
	Name   *string
	State  any // nil: unchanged
	Shared *bool
}

func viewer(ctx context.Context) (*auth.Viewer, error) {
	v := auth.FromContext(ctx)
	if v == nil || v.UserID == uuid.Nil {
		return nil, apperr.New(apperr.Unauthenticated, "", "sign in as a user to keep views")
	}
	return v, nil
}

// List returns the viewer's views of list and those others shared: the
// viewer's first, each group by name.
func (s *Service) List(ctx context.Context, list savedview.List) ([]*ent.SavedView, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.DB(ctx).SavedView.Query().
		Where(savedview.ListEQ(list), savedview.Or(savedview.OwnerID(v.UserID), savedview.Shared(true))).
		Order(ent.Asc(savedview.FieldName), ent.Asc(savedview.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	mine := make([]*ent.SavedView, 0, len(all))
	var shared []*ent.SavedView
	for _, sv := range all {
		if sv.OwnerID == v.UserID {
			mine = append(mine, sv)
		} else {
			shared = append(shared, sv)
		}
	}
	return append(mine, shared...), nil
}

// Save creates the viewer's view of in.List named in.Name, or replaces the
// state (and sharing, when given) of the one it has of that name.
func (s *Service) Save(ctx context.Context, in SaveInput) (*ent.SavedView, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	if err := savedview.ListValidator(in.List); err != nil {
		return nil, apperr.Input("list", "unknown list %q", in.List)
	}
	name, err := textinput.Clean("name", in.Name, MaxNameLen, true)
	if err != nil {
		return nil, err
	}
	state, err := cleanState("state", in.State)
	if err != nil {
		return nil, err
	}
	return txn.WithTxEntity(ctx, s.DB(ctx), func(c *ent.Client) (*ent.SavedView, error) {
		ctx := ent.NewContext(ctx, c)
		now := s.Now()
		existing, err := c.SavedView.Query().Where(savedview.OwnerID(v.UserID), savedview.ListEQ(in.List),
			savedview.Name(name)).ForUpdate().Only(ctx)
		switch {
		case err == nil:
			u := existing.Update().SetState(state).SetUpdatedAt(now)
			if in.Shared != nil {
				u.SetShared(*in.Shared)
			}
			return u.Save(ctx)
		case !ent.IsNotFound(err):
			return nil, err
		}
		n, err := c.SavedView.Query().Where(savedview.OwnerID(v.UserID), savedview.ListEQ(in.List)).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n >= MaxViews {
			return nil, apperr.New(apperr.LimitExceeded, "name", "a user keeps at most %d views of a list; delete one first", MaxViews)
		}
		created, err := c.SavedView.Create().SetOwnerID(v.UserID).SetList(in.List).SetName(name).SetState(state).
			SetShared(in.Shared != nil && *in.Shared).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if ent.IsConstraintError(err) {
			return nil, apperr.New(apperr.Conflict, "name", "a view named %q was saved at the same time; save again", name)
		}
		return created, err
	})
}

// Update changes the viewer's own view id.
func (s *Service) Update(ctx context.Context, id uuid.UUID, p Patch) (*ent.SavedView, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	var name string
	if p.Name != nil {
		if name, err = textinput.Clean("name", *p.Name, MaxNameLen, true); err != nil {
			return nil, err
		}
	}
	var state map[string]any
	if p.State != nil {
		if state, err = cleanState("state", p.State); err != nil {
			return nil, err
		}
	}
	return txn.WithTxEntity(ctx, s.DB(ctx), func(c *ent.Client) (*ent.SavedView, error) {
		ctx := ent.NewContext(ctx, c)
		sv, err := s.visible(ctx, c, v, id)
		if err != nil {
			return nil, err
		}
		if sv.OwnerID != v.UserID {
			return nil, apperr.New(apperr.Forbidden, "id", "only its owner may change a view; save it under a name of your own")
		}
		u := sv.Update().SetUpdatedAt(s.Now())
		if p.Name != nil && name != sv.Name {
			taken, err := c.SavedView.Query().Where(savedview.OwnerID(v.UserID), savedview.ListEQ(sv.List),
				savedview.Name(name), savedview.IDNEQ(sv.ID)).Exist(ctx)
			if err != nil {
				return nil, err
			}
			if taken {
				return nil, apperr.New(apperr.Conflict, "name", "you already have a view named %q", name)
			}
			u.SetName(name)
		}
		if state != nil {
			u.SetState(state)
		}
		if p.Shared != nil {
			u.SetShared(*p.Shared)
		}
		return u.Save(ctx)
	})
}

// Delete removes the viewer's own view id, or a shared one when
// mayDeleteShared (user manage).
func (s *Service) Delete(ctx context.Context, id uuid.UUID, mayDeleteShared bool) error {
	v, err := viewer(ctx)
	if err != nil {
		return err
	}
	return txn.WithTx(ctx, s.DB(ctx), func(c *ent.Client) error {
		ctx := ent.NewContext(ctx, c)
		sv, err := s.visible(ctx, c, v, id)
		if err != nil {
			return err
		}
		if sv.OwnerID != v.UserID && !mayDeleteShared {
			return apperr.New(apperr.Forbidden, "id", "only its owner or an admin may delete a shared view")
		}
		return c.SavedView.DeleteOneID(sv.ID).Exec(ctx)
	})
}

// visible returns view id when the viewer may see it (its own, or
// shared), locked for the change; NOT_FOUND otherwise.
func (s *Service) visible(ctx context.Context, c *ent.Client, v *auth.Viewer, id uuid.UUID) (*ent.SavedView, error) {
	sv, err := c.SavedView.Query().Where(savedview.ID(id), savedview.Or(savedview.OwnerID(v.UserID), savedview.Shared(true))).
		ForUpdate().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "id", "saved view not found")
	}
	return sv, err
}

// cleanState checks that state is a JSON object of at most MaxStateBytes.
func cleanState(field string, state any) (map[string]any, error) {
	m, ok := state.(map[string]any)
	if !ok {
		return nil, apperr.Input(field, "must be a JSON object")
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, apperr.Input(field, "must be a JSON object: %v", err)
	}
	if len(raw) > MaxStateBytes {
		return nil, apperr.Input(field, "must be at most %d bytes of JSON (it is %d)", MaxStateBytes, len(raw))
	}
	return m, nil
}
