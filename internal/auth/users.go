package auth

import (
	"context"
	"slices"
	"sync"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/changetoken"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Every request signed with a token needs its user: active, roles, team,
// partner and territories. Reading them cost two SQL statements per request
// (the user, then its territories) for rows that change a few times a month.
// With Redis, a process keeps them in memory under the workspace's users
// token (scrm:users:<workspace>), which every change to a user, team,
// partner or territory of the workspace moves once its transaction commits
// (UsersChanged); a deactivation or a role change is refused or applied on
// the next request on every process, and within changetoken.RecheckEvery if
// the token's move was lost. Without Redis the user is read on every request.

const usersTokenPrefix = "scrm:users:"

// userCache is the users of signed-in requests, by workspace and user.
type userCache struct {
	tokens *changetoken.Tokens
	mu     sync.Mutex
	users  map[[2]uuid.UUID]cachedUser
}

type cachedUser struct {
	mark changetoken.Mark // the token read before the user was
	v    Viewer           // the fields read from the user
	used bool             // served since it was read: refreshUsers reads it again
}

// WithRedis has the service keep signed-in users in memory by the
// workspace's users token.
func (s *Service) WithRedis(rdb redis.UniversalClient) *Service {
	if rdb != nil {
		s.users = &userCache{tokens: changetoken.New(rdb, usersTokenPrefix).WithClock(s.now), users: map[[2]uuid.UUID]cachedUser{}}
	}
	return s
}

// userViewer returns the viewer of the active user userID of workspace wsID,
// from the cache when its token has not moved. A cached user that is due is
// served and read again in the background with the workspace's other cached
// users (refreshUsers).
func (s *Service) userViewer(ctx context.Context, wsID, userID uuid.UUID) (*Viewer, error) {
	var mark changetoken.Mark
	c := s.users
	if c != nil {
		mark = c.tokens.Read(ctx, wsID)
		k := [2]uuid.UUID{wsID, userID}
		c.mu.Lock()
		e, ok := c.users[k]
		if ok && !e.used {
			e.used = true
			c.users[k] = e
		}
		c.mu.Unlock()
		if ok && e.mark.Covers(mark) {
			if e.mark.Due(mark) {
				c.tokens.Refresh(wsID, func(ctx context.Context) { s.refreshUsers(ctx, wsID) })
			}
			return e.v.clone(), nil
		}
	}
	vs, err := s.readUsers(ctx, wsID, userID)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, &ent.NotFoundError{}
	}
	if c != nil && mark.Usable() && ent.TxFromContext(ctx) == nil {
		c.mu.Lock()
		c.users[[2]uuid.UUID{wsID, userID}] = cachedUser{mark: mark, v: vs[0]}
		c.mu.Unlock()
	}
	return vs[0].clone(), nil
}

// readUsers reads the viewers of the active users among ids of workspace wsID.
func (s *Service) readUsers(ctx context.Context, wsID uuid.UUID, ids ...uuid.UUID) ([]Viewer, error) {
	us, err := s.client.User.Query().
		Where(user.IDIn(ids...), user.Active(true)).
		WithTerritories(func(q *ent.TerritoryQuery) { q.Select("id") }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	vs := make([]Viewer, len(us))
	for i, u := range us {
		vs[i] = Viewer{TenantID: wsID, UserID: u.ID, Roles: u.Roles, TeamID: u.TeamID, PartnerID: u.PartnerID}
		for _, t := range u.Edges.Territories {
			vs[i].TerritoryIDs = append(vs[i].TerritoryIDs, t.ID)
		}
	}
	return vs, nil
}

// refreshUsers reads the workspace's cached users served since they were
// read again under a new mark, off the request path; the others age out and
// are read on their next request. A user no longer active leaves the cache,
// so its next request reads it and is refused. On an error the entries stay
// as they are and age out.
func (s *Service) refreshUsers(ctx context.Context, wsID uuid.UUID) {
	c := s.users
	mark := c.tokens.Read(ctx, wsID)
	if !mark.Usable() {
		return
	}
	var ids []uuid.UUID
	c.mu.Lock()
	for k, e := range c.users {
		if k[0] == wsID && e.used {
			ids = append(ids, k[1])
		}
	}
	c.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	vs, err := s.readUsers(ctx, wsID, ids...)
	if err != nil {
		return
	}
	active := make(map[uuid.UUID]Viewer, len(vs))
	for _, v := range vs {
		active[v.UserID] = v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		k := [2]uuid.UUID{wsID, id}
		v, ok := active[id]
		switch {
		case !ok:
			delete(c.users, k)
		case c.users[k].mark.Older(mark):
			c.users[k] = cachedUser{mark: mark, v: v}
		}
	}
}

// WaitRefreshes returns once the background reads of cached users under way
// have finished (tests).
func (s *Service) WaitRefreshes() {
	if s.users != nil {
		s.users.tokens.Wait()
	}
}

// clone is a copy of v that a request may change (its lead scopes, grants)
// without touching the cached one.
func (v Viewer) clone() *Viewer {
	v.Roles, v.TerritoryIDs = slices.Clone(v.Roles), slices.Clone(v.TerritoryIDs)
	return &v
}

// WatchUsers installs on c the hook that moves the workspace's users token
// once a transaction that changed what a signed-in request knows of its user
// commits: users, and the teams, partners and territories they point at. A
// user's territories are written beside the user's own update (org), so the
// user's mutation covers them. Sign-ins only stamp last_login_at and move
// nothing. Without Redis there is no cache and nothing to install.
func (s *Service) WatchUsers(c *ent.Client) {
	if s.users == nil {
		return
	}
	h := s.usersChanged()
	c.User.Use(h)
	c.Team.Use(h)
	c.Partner.Use(h)
	c.Territory.Use(h)
}

func (s *Service) usersChanged() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil || onlyStamps(m) {
				return v, err
			}
			// The mutation's own transaction, whether or not ctx carries it.
			tx := ent.TxFromContext(ctx)
			if in, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
				if t, err := in.Tx(); err == nil {
					tx = t
				}
			}
			if tid, ok := tenant.FromContext(ctx); ok && tid != uuid.Nil {
				s.users.tokens.MoveAfter(ctx, tx, tid)
			} else if tid, ok := m.Field("tenant_id"); ok {
				if id, ok := tid.(uuid.UUID); ok {
					s.users.tokens.MoveAfter(ctx, tx, id)
				}
			}
			return v, nil
		})
	}
}

// onlyStamps reports whether m changes nothing but when a user last signed in.
func onlyStamps(m ent.Mutation) bool {
	if m.Type() != ent.TypeUser || !m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) {
		return false
	}
	if len(m.AddedEdges())+len(m.RemovedEdges())+len(m.ClearedEdges())+len(m.ClearedFields()) > 0 {
		return false
	}
	for _, f := range m.Fields() {
		if f != user.FieldLastLoginAt && f != user.FieldUpdatedAt {
			return false
		}
	}
	return true
}
