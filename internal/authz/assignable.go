package authz

import (
	"context"
	"fmt"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
)

// CheckAssignable refuses, as FORBIDDEN at field[i], giving v's workspace
// role roles[i] when that role may do something v may not: a user or an API
// key is given only roles whose every permission (row scopes included) its
// giver holds, so nobody hands out more than they have (a manager granted
// `user write` cannot make an admin, nor mint an admin API key).
func (s *Service) CheckAssignable(ctx context.Context, v *auth.Viewer, field string, roles []string) error {
	if !v.PolicySynced {
		s.sync(ctx)
	}
	ws := v.TenantID.String()
	for i, role := range roles {
		for _, p := range s.enforcer.Permissions(ws, role) {
			ok, err := s.enforcer.Allowed(ws, v.Roles, p.Resource, p.Action)
			if err != nil {
				return err
			}
			if !ok {
				return apperr.New(apperr.Forbidden, fmt.Sprintf("%s[%d]", field, i),
					"role %q may %s %s, which you may not: a role is given only by someone who holds all its permissions", role, p.Action, p.Resource)
			}
		}
	}
	return nil
}

// CheckManageable refuses, as FORBIDDEN at field, changing a user or an API
// key that holds roles v could not give (an admin, for a manager with `user
// write`): a user's password, roles or anything else, or revoking the key.
func (s *Service) CheckManageable(ctx context.Context, v *auth.Viewer, field string, roles []string) error {
	if err := s.CheckAssignable(ctx, v, field, roles); err != nil {
		if e, ok := apperr.As(err); ok && e.Code == apperr.Forbidden {
			return apperr.New(apperr.Forbidden, field, "it holds permissions you do not: only someone who holds all of them can change it")
		}
		return err
	}
	return nil
}
