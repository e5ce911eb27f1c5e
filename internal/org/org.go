// Package org manages a workspace's organisation: users, teams, territories
// and partners.
package org

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/territory"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/joins"
	"github.com/scrmhq/scrm/internal/txn"
)

// rolePattern is what a role name must look like (the built-in roles and a workspace's own).
var rolePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// UserInput holds the fields of a new user.
type UserInput struct {
	Name            string
	Email           string
	Password        string
	Roles           []string
	TeamID          *uuid.UUID
	TerritoryIDs    []uuid.UUID
	PartnerID       *uuid.UUID
	Capacity        *int
	DailyClaimLimit *int
}

// UserPatch holds the fields of a user to change; nil leaves a field alone.
type UserPatch struct {
	Name            *string
	Password        *string
	Roles           []string
	TeamID          *uuid.UUID
	ClearTeam       bool
	TerritoryIDs    []uuid.UUID
	PartnerID       *uuid.UUID
	ClearPartner    bool
	Capacity        *int
	DailyClaimLimit *int
	Active          *bool
	// WeComUserID links the user to a WeCom member id; "" unlinks.
	WeComUserID *string
}

func validRoles(roles []string) error {
	if len(roles) == 0 {
		return apperr.Input("roles", "at least one role is required")
	}
	for i, r := range roles {
		if !rolePattern.MatchString(r) {
			return apperr.Input(fmt.Sprintf("roles[%d]", i), "invalid role name %q", r)
		}
	}
	return nil
}

func nonNegative(field string, v *int) error {
	if v != nil && *v < 0 {
		return apperr.Input(field, "must not be negative")
	}
	return nil
}

// CreateUser validates in and creates the user in the context's workspace.
// It joins the transaction ctx carries, if any.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (*ent.User, error) {
	client := s.DB(ctx)
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, apperr.Input("name", "name is required")
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(in.Email))
	if err != nil || addr.Name != "" {
		return nil, apperr.Input("email", "invalid email address")
	}
	email := strings.ToLower(addr.Address)
	if err := validRoles(in.Roles); err != nil {
		return nil, err
	}
	if err := nonNegative("capacity", in.Capacity); err != nil {
		return nil, err
	}
	if err := nonNegative("dailyClaimLimit", in.DailyClaimLimit); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.BadInput, "password", err.Error())
	}
	if err := checkRefs(ctx, client, in.TeamID, in.PartnerID, in.TerritoryIDs); err != nil {
		return nil, err
	}
	if n, err := client.User.Query().Where(user.Email(email)).Count(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, apperr.New(apperr.Conflict, "email", "a user with this email already exists")
	}
	return txn.WithTxEntity(ctx, client, func(client *ent.Client) (*ent.User, error) {
		u, err := client.User.Create().SetName(name).SetEmail(email).SetPasswordHash(hash).SetRoles(in.Roles).
			SetNillableTeamID(in.TeamID).SetNillablePartnerID(in.PartnerID).
			SetNillableCapacity(in.Capacity).SetNillableDailyClaimLimit(in.DailyClaimLimit).Save(ctx)
		if err != nil {
			return nil, err
		}
		return u, joins.UserTerritories.Set(ctx, client, u.ID, in.TerritoryIDs)
	})
}

// UpdateUser applies p to user id.
func (s *Service) UpdateUser(ctx context.Context, id uuid.UUID, p UserPatch) (*ent.User, error) {
	client := s.DB(ctx)
	return txn.WithTxEntity(ctx, client, func(client *ent.Client) (*ent.User, error) {
		return updateUser(ctx, client, id, p)
	})
}

func updateUser(ctx context.Context, client *ent.Client, id uuid.UUID, p UserPatch) (*ent.User, error) {
	u := client.User.UpdateOneID(id)
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		if n == "" {
			return nil, apperr.Input("name", "name is required")
		}
		u.SetName(n)
	}
	if p.Password != nil {
		hash, err := auth.HashPassword(*p.Password)
		if err != nil {
			return nil, apperr.Wrap(err, apperr.BadInput, "password", err.Error())
		}
		u.SetPasswordHash(hash)
	}
	if p.Roles != nil {
		if err := validRoles(p.Roles); err != nil {
			return nil, err
		}
		u.SetRoles(p.Roles)
	}
	if err := nonNegative("capacity", p.Capacity); err != nil {
		return nil, err
	}
	if err := nonNegative("dailyClaimLimit", p.DailyClaimLimit); err != nil {
		return nil, err
	}
	if err := checkRefs(ctx, client, p.TeamID, p.PartnerID, p.TerritoryIDs); err != nil {
		return nil, err
	}
	switch {
	case p.ClearTeam:
		u.ClearTeamID()
	case p.TeamID != nil:
		u.SetTeamID(*p.TeamID)
	}
	switch {
	case p.ClearPartner:
		u.ClearPartnerID()
	case p.PartnerID != nil:
		u.SetPartnerID(*p.PartnerID)
	}
	u.SetNillableCapacity(p.Capacity).SetNillableDailyClaimLimit(p.DailyClaimLimit).SetNillableActive(p.Active)
	if err := setWeComUserID(u, p.WeComUserID); err != nil {
		return nil, err
	}
	saved, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Wrap(err, apperr.NotFound, "id", "user not found")
	}
	if ent.IsConstraintError(err) && p.WeComUserID != nil {
		return nil, apperr.Wrap(err, apperr.Conflict, "wecomUserID", "another user is linked to this WeCom member")
	}
	if err != nil || p.TerritoryIDs == nil {
		return saved, err
	}
	return saved, joins.UserTerritories.Set(ctx, client, id, p.TerritoryIDs)
}

// setWeComUserID links (or, with "", unlinks) the user's WeCom member id.
func setWeComUserID(u *ent.UserUpdateOne, id *string) error {
	if id == nil {
		return nil
	}
	v := strings.TrimSpace(*id)
	switch {
	case v == "":
		u.ClearWecomUserID()
	case len(v) > 64 || strings.ContainsAny(v, " \t\r\n"):
		return apperr.Input("wecomUserID", "a WeCom member id (userid): at most 64 characters, no spaces")
	default:
		u.SetWecomUserID(v)
	}
	return nil
}

// checkRefs makes sure referenced rows exist in this workspace, so a foreign
// id reports NOT_FOUND with its field instead of a constraint error.
func checkRefs(ctx context.Context, client *ent.Client, team, partner *uuid.UUID, territories []uuid.UUID) error {
	if team != nil {
		if _, err := client.Team.Get(ctx, *team); err != nil {
			return refErr(err, "teamID", "team")
		}
	}
	if partner != nil {
		if _, err := client.Partner.Get(ctx, *partner); err != nil {
			return refErr(err, "partnerID", "partner")
		}
	}
	return checkTerritories(ctx, client, "territoryIDs", territories)
}

func checkTerritories(ctx context.Context, client *ent.Client, field string, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := client.Territory.Query().Where(territory.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return err
	}
	return firstMissing(ids, found, field, "territory")
}

// firstMissing reports the first of ids (read with one query) that is not in found.
func firstMissing(ids, found []uuid.UUID, field, what string) error {
	for i, id := range ids {
		if !slices.Contains(found, id) {
			return apperr.New(apperr.NotFound, fmt.Sprintf("%s[%d]", field, i), "%s not found", what)
		}
	}
	return nil
}

func refErr(err error, field, what string) error {
	if ent.IsNotFound(err) {
		return apperr.Wrap(err, apperr.NotFound, field, what+" not found")
	}
	return err
}

// CreateTerritory adds a territory under parent (nil for a root). It reads
// the parent's path under the tree's lock (lockTerritories), so a move of
// the parent at the same time cannot leave the new territory a stale path.
func (s *Service) CreateTerritory(ctx context.Context, name string, parent *uuid.UUID) (*ent.Territory, error) {
	client := s.DB(ctx)
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, apperr.Input("name", "name is required")
	}
	return txn.WithTxEntity(ctx, client, func(client *ent.Client) (*ent.Territory, error) {
		if err := txn.LockWorkspace(ctx, client, lockTerritories); err != nil {
			return nil, err
		}
		path := "/"
		if parent != nil {
			p, err := client.Territory.Get(ctx, *parent)
			if err != nil {
				return nil, refErr(err, "parentID", "parent territory")
			}
			path = p.Path
		}
		t, err := client.Territory.Create().SetName(name).SetNillableParentID(parent).Save(ctx)
		if err != nil {
			if ent.IsConstraintError(err) {
				return nil, apperr.Wrap(err, apperr.Conflict, "name", "a territory with this name exists under this parent")
			}
			return nil, err
		}
		// The path includes the territory's own id, known only after the insert.
		return t.Update().SetPath(path + t.ID.String() + "/").Save(ctx)
	})
}

// CreateTeam adds a team with an optional manager and members.
func (s *Service) CreateTeam(ctx context.Context, name string, manager *uuid.UUID, members []uuid.UUID) (*ent.Team, error) {
	client := s.DB(ctx)
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, apperr.Input("name", "name is required")
	}
	if manager != nil {
		if _, err := client.User.Get(ctx, *manager); err != nil {
			return nil, refErr(err, "managerID", "manager")
		}
	}
	if len(members) > 0 {
		found, err := client.User.Query().Where(user.IDIn(members...)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		if err := firstMissing(members, found, "memberIDs", "user"); err != nil {
			return nil, err
		}
	}
	t, err := client.Team.Create().SetName(name).SetNillableManagerID(manager).AddMemberIDs(members...).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.Wrap(err, apperr.Conflict, "name", "a team with this name exists")
	}
	return t, err
}

// CreatePartner adds a partner company attached to territories.
func (s *Service) CreatePartner(ctx context.Context, name string, territories []uuid.UUID) (*ent.Partner, error) {
	client := s.DB(ctx)
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, apperr.Input("name", "name is required")
	}
	if err := checkTerritories(ctx, client, "territoryIDs", territories); err != nil {
		return nil, err
	}
	p, err := txn.WithTxEntity(ctx, client, func(client *ent.Client) (*ent.Partner, error) {
		p, err := client.Partner.Create().SetName(name).Save(ctx)
		if err != nil {
			return nil, err
		}
		return p, joins.PartnerTerritories.Set(ctx, client, p.ID, territories)
	})
	if ent.IsConstraintError(err) {
		return nil, apperr.Wrap(err, apperr.Conflict, "name", "a partner with this name exists")
	}
	return p, err
}

// CheckActor makes sure the acting user belongs to the workspace: a foreign
// key alone would accept another workspace's user.
func CheckActor(ctx context.Context, c *ent.Client, actor *uuid.UUID) error {
	if actor == nil {
		return nil
	}
	ok, err := c.User.Query().Where(user.ID(*actor)).Exist(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.NotFound, "actorID", "user not found")
	}
	return nil
}
