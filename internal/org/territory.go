package org

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/territory"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// lockTerritories is the advisory lock class that serialises changes to a
// workspace's territory tree: a move rewrites the paths of a subtree, and a
// territory created or moved at the same time must see the new paths.
const lockTerritories = 7262202

// maxTerritoryName is the schema's limit, in characters.
const maxTerritoryName = 200

// ErrTerritoryInUse refuses to delete a territory that leads, users,
// partners, pools or child territories still name.
var ErrTerritoryInUse = errors.New("territory in use")

// TerritoryPatch is what UpdateTerritory changes; nil fields are kept.
// ParentID moves the territory under that one, ClearParent makes it a root
// (not both).
type TerritoryPatch struct {
	Name        *string
	ParentID    *uuid.UUID
	ClearParent bool
}

// TerritoryUse counts what names a territory; DeleteTerritory refuses while
// any is above zero. Teams have no territory, so they never hold one.
type TerritoryUse struct {
	Leads    int `json:"leads"`
	Users    int `json:"users"`
	Partners int `json:"partners"`
	Pools    int `json:"pools"`
	Children int `json:"children"`
}

func (u TerritoryUse) empty() bool { return u == TerritoryUse{} }

// UpdateTerritory renames a territory or moves it (with everything below
// it) under another parent or to the root. Moving it under itself or one
// of its descendants is refused (BAD_USER_INPUT at "parentID"); a name its
// new siblings already have is a CONFLICT at "name". A move rewrites the
// materialised paths of the subtree in one statement, so scope filters
// (users and partners see the leads of their territories and below) follow
// at once.
func (s *Service) UpdateTerritory(ctx context.Context, id uuid.UUID, p TerritoryPatch) (*ent.Territory, error) {
	c := s.DB(ctx)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		n, err := textinput.Clean("name", *p.Name, maxTerritoryName, true)
		if err != nil {
			return nil, err
		}
		p.Name = &n
	}
	if p.ParentID != nil && p.ClearParent {
		return nil, apperr.Input("clearParent", "give parentID or clearParent, not both")
	}
	return txn.WithTxEntity(ctx, c, func(c *ent.Client) (*ent.Territory, error) {
		if err := txn.LockWorkspace(ctx, c, lockTerritories); err != nil {
			return nil, err
		}
		t, err := c.Territory.Get(ctx, id)
		if err != nil {
			return nil, refErr(err, "id", "territory")
		}
		parent, newPath := t.ParentID, t.Path
		switch {
		case p.ClearParent:
			parent, newPath = nil, "/"+t.ID.String()+"/"
		case p.ParentID != nil:
			to, err := c.Territory.Get(ctx, *p.ParentID)
			if err != nil {
				return nil, refErr(err, "parentID", "parent territory")
			}
			if to.ID == t.ID || strings.HasPrefix(to.Path, t.Path) {
				return nil, apperr.Input("parentID", "%q cannot move under itself or a territory below it (%q)", t.Name, to.Name)
			}
			parent, newPath = &to.ID, to.Path+t.ID.String()+"/"
		}
		name := t.Name
		if p.Name != nil {
			name = *p.Name
		}
		if err := siblingNameFree(ctx, c, t.ID, parent, name); err != nil {
			return nil, err
		}
		u := c.Territory.UpdateOne(t).SetName(name)
		if parent == nil {
			u.ClearParentID()
		} else {
			u.SetParentID(*parent)
		}
		if newPath != t.Path && t.Path != "" {
			// The subtree's paths (its own included) start with the old path.
			if _, err := c.ExecContext(ctx, `UPDATE territories SET path = $3 || substr(path, length($2) + 1), updated_at = $4
				WHERE tenant_id = $1::uuid AND path LIKE $2 || '%'`, tid, t.Path, newPath, s.Now()); err != nil {
				return nil, fmt.Errorf("move territory: %w", err)
			}
		}
		out, err := u.Save(ctx)
		if ent.IsConstraintError(err) {
			return nil, apperr.Wrap(err, apperr.Conflict, "name", "a territory with this name exists under this parent")
		}
		return out, err
	})
}

// siblingNameFree refuses name when another territory under parent (nil:
// the roots) has it.
func siblingNameFree(ctx context.Context, c *ent.Client, self uuid.UUID, parent *uuid.UUID, name string) error {
	q := c.Territory.Query().Where(territory.Name(name), territory.IDNEQ(self))
	if parent == nil {
		q.Where(territory.ParentIDIsNil())
	} else {
		q.Where(territory.ParentID(*parent))
	}
	taken, err := q.Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return apperr.New(apperr.Conflict, "name", "a territory named %q exists under this parent", name)
	}
	return nil
}

// territoryUseSQL counts what names territory $2 (tenant $1).
const territoryUseSQL = `SELECT
	(SELECT count(*) FROM leads WHERE tenant_id = $1::uuid AND territory_id = $2::uuid),
	(SELECT count(*) FROM user_territories WHERE tenant_id = $1::uuid AND territory_id = $2::uuid),
	(SELECT count(*) FROM partner_territories WHERE tenant_id = $1::uuid AND territory_id = $2::uuid),
	(SELECT count(*) FROM pool_territories WHERE tenant_id = $1::uuid AND territory_id = $2::uuid),
	(SELECT count(*) FROM territories WHERE tenant_id = $1::uuid AND parent_id = $2::uuid)`

// DeleteTerritory deletes a territory that nothing names. While leads,
// users, partners, pools or child territories do, it is refused (CONFLICT
// at "id", ErrTerritoryInUse) with the counts (apperr Details: use).
func (s *Service) DeleteTerritory(ctx context.Context, id uuid.UUID) error {
	c := s.DB(ctx)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	return txn.WithTx(ctx, c, func(c *ent.Client) error {
		if err := txn.LockWorkspace(ctx, c, lockTerritories); err != nil {
			return err
		}
		// The row lock makes a concurrent write naming the territory (whose
		// foreign key check takes a key share lock on it) wait for the delete.
		t, err := c.Territory.Query().Where(territory.ID(id)).ForUpdate().Only(ctx)
		if err != nil {
			return refErr(err, "id", "territory")
		}
		var use TerritoryUse
		if err := txn.QueryRow(ctx, c, territoryUseSQL, tid, id).
			Scan(&use.Leads, &use.Users, &use.Partners, &use.Pools, &use.Children); err != nil {
			return fmt.Errorf("territory use: %w", err)
		}
		if !use.empty() {
			e := apperr.Wrap(ErrTerritoryInUse, apperr.Conflict, "id", fmt.Sprintf(
				"territory %q is used by %d leads, %d users, %d partners, %d pools and %d child territories",
				t.Name, use.Leads, use.Users, use.Partners, use.Pools, use.Children))
			e.Details = map[string]any{"use": use}
			return e
		}
		return c.Territory.DeleteOneID(id).Exec(ctx)
	})
}
