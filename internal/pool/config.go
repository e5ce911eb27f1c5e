package pool

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	entpool "github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/team"
	"github.com/scrmhq/scrm/ent/territory"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/joins"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// Patch is a pool's settings as an admin writes them. Nil fields are left
// as they are on update (and take their defaults on create); for the
// optional rules, 0 clears the rule.
type Patch struct {
	Name                  *string
	TeamIDs               []uuid.UUID
	TerritoryIDs          []uuid.UUID
	AdminIDs              []uuid.UUID
	RecycleNoFollowUpDays *int
	RecycleNoDealDays     *int
	RemindBeforeDays      *int
	CooldownDays          *int
	ProtectionDays        *int
	DailyClaimLimit       *int
	IsDefault             *bool
	// SetTeams, SetTerritories and SetAdmins say the lists were given (an
	// empty given list clears them).
	SetTeams, SetTerritories, SetAdmins bool
}

// maxDays bounds every day count of a pool: ten years.
const maxDays = 3650

// checkConfig validates the numbers of a pool config against each other,
// given the values the pool has now (nil for a new pool).
func checkConfig(cur *ent.Pool, in Patch) error {
	days := []struct {
		field string
		v     *int
		min   int
	}{
		{"recycleNoFollowUpDays", in.RecycleNoFollowUpDays, 0},
		{"recycleNoDealDays", in.RecycleNoDealDays, 0},
		{"remindBeforeDays", in.RemindBeforeDays, 0},
		{"cooldownDays", in.CooldownDays, 0},
		{"protectionDays", in.ProtectionDays, 0},
		{"dailyClaimLimit", in.DailyClaimLimit, 0},
	}
	for _, d := range days {
		if d.v != nil && (*d.v < d.min || *d.v > maxDays) {
			return apperr.Input(d.field, "must be between %d and %d", d.min, maxDays)
		}
	}
	remind := pick(in.RemindBeforeDays, cur, func(p *ent.Pool) *int { return p.RemindBeforeDays })
	if remind == 0 {
		return nil
	}
	nf := pick(in.RecycleNoFollowUpDays, cur, func(p *ent.Pool) *int { return p.RecycleNoFollowUpDays })
	nd := pick(in.RecycleNoDealDays, cur, func(p *ent.Pool) *int { return p.RecycleNoDealDays })
	if nf == 0 && nd == 0 {
		return apperr.Input("remindBeforeDays", "a reminder needs a recycle rule (recycleNoFollowUpDays or recycleNoDealDays)")
	}
	for _, n := range []int{nf, nd} {
		if n != 0 && remind >= n {
			return apperr.Input("remindBeforeDays", "must be less than the recycle days (%d)", n)
		}
	}
	return nil
}

// pick is the value a nillable setting will have: the input's, else the
// pool's current one; 0 when unset.
func pick(in *int, cur *ent.Pool, get func(*ent.Pool) *int) int {
	if in != nil {
		return *in
	}
	if cur != nil {
		if v := get(cur); v != nil {
			return *v
		}
	}
	return 0
}

// CreatePool creates a pool of the workspace in ctx.
func (s *Service) CreatePool(ctx context.Context, in Patch) (*ent.Pool, error) {
	c := s.db(ctx)
	if in.Name == nil {
		return nil, apperr.Input("name", "name is required")
	}
	return savePool(ctx, c, nil, in)
}

// UpdatePool changes the given settings of pool id.
func (s *Service) UpdatePool(ctx context.Context, id uuid.UUID, in Patch) (*ent.Pool, error) {
	c := s.db(ctx)
	return savePool(ctx, c, &id, in)
}

func savePool(ctx context.Context, c *ent.Client, id *uuid.UUID, in Patch) (*ent.Pool, error) {
	if in.Name != nil {
		name, err := textinput.Clean("name", *in.Name, 200, true)
		if err != nil {
			return nil, err
		}
		in.Name = &name
	}
	var out *ent.Pool
	err := txn.WithTx(ctx, c, func(c *ent.Client) error {
		var cur *ent.Pool
		if id != nil {
			p, err := c.Pool.Query().Where(entpool.ID(*id)).ForUpdate().Only(ctx)
			if ent.IsNotFound(err) {
				return apperr.New(apperr.NotFound, "id", "pool not found")
			}
			if err != nil {
				return err
			}
			cur = p
		}
		if err := checkConfig(cur, in); err != nil {
			return err
		}
		if err := checkMembers(ctx, c, in); err != nil {
			return err
		}
		if in.Name != nil {
			q := c.Pool.Query().Where(entpool.Name(*in.Name))
			if cur != nil {
				q = q.Where(entpool.IDNEQ(cur.ID))
			}
			if taken, err := q.Exist(ctx); err != nil {
				return err
			} else if taken {
				return apperr.New(apperr.Conflict, "name", "a pool named %q exists", *in.Name)
			}
		}
		if in.IsDefault != nil {
			if !*in.IsDefault && cur != nil && cur.IsDefault {
				return apperr.Input("isDefault", "make another pool the default instead")
			}
			if *in.IsDefault {
				// One default per workspace (a partial unique index): the old
				// one gives it up in the same transaction.
				if err := c.Pool.Update().Where(entpool.IsDefault(true)).SetIsDefault(false).Exec(ctx); err != nil {
					return err
				}
			}
		}
		var err error
		if cur == nil {
			out, err = applyCreate(c.Pool.Create(), in).Save(ctx)
		} else {
			out, err = applyUpdate(c.Pool.UpdateOne(cur), in).Save(ctx)
		}
		if err != nil {
			return fmt.Errorf("save pool: %w", err)
		}
		return setMembers(ctx, c, out.ID, in, cur == nil)
	})
	return out, err
}

// setMembers writes the pool's teams, territories and admins that in gives
// (all of them for a new pool).
func setMembers(ctx context.Context, c *ent.Client, id uuid.UUID, in Patch, created bool) error {
	for _, m := range []struct {
		given bool
		join  joins.Join
		ids   []uuid.UUID
	}{
		{in.SetTeams, joins.PoolTeams, in.TeamIDs},
		{in.SetTerritories, joins.PoolTerritories, in.TerritoryIDs},
		{in.SetAdmins, joins.PoolAdmins, in.AdminIDs},
	} {
		if !created && !m.given {
			continue
		}
		if err := m.join.Set(ctx, c, id, m.ids); err != nil {
			return fmt.Errorf("save pool: %w", err)
		}
	}
	return nil
}

// checkMembers makes sure the teams, territories and admins exist in the
// workspace (admins must be active users).
func checkMembers(ctx context.Context, c *ent.Client, in Patch) error {
	count := []struct {
		field string
		ids   []uuid.UUID
		n     func([]uuid.UUID) (int, error)
	}{
		{"teamIDs", in.TeamIDs, func(ids []uuid.UUID) (int, error) { return c.Team.Query().Where(team.IDIn(ids...)).Count(ctx) }},
		{"territoryIDs", in.TerritoryIDs, func(ids []uuid.UUID) (int, error) {
			return c.Territory.Query().Where(territory.IDIn(ids...)).Count(ctx)
		}},
		{"adminIDs", in.AdminIDs, func(ids []uuid.UUID) (int, error) {
			return c.User.Query().Where(user.IDIn(ids...), user.Active(true)).Count(ctx)
		}},
	}
	for _, k := range count {
		ids := unique(k.ids)
		if len(ids) == 0 {
			continue
		}
		n, err := k.n(ids)
		if err != nil {
			return err
		}
		if n != len(ids) {
			return apperr.New(apperr.NotFound, k.field, "%d of the ids are not found in the workspace", len(ids)-n)
		}
	}
	return nil
}

func unique(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func positive(v *int) *int {
	if v == nil || *v == 0 {
		return nil
	}
	return v
}

func applyCreate(b *ent.PoolCreate, in Patch) *ent.PoolCreate {
	b.SetName(*in.Name).
		SetNillableRecycleNoFollowUpDays(positive(in.RecycleNoFollowUpDays)).
		SetNillableRecycleNoDealDays(positive(in.RecycleNoDealDays)).
		SetNillableRemindBeforeDays(positive(in.RemindBeforeDays)).
		SetNillableCooldownDays(in.CooldownDays).
		SetNillableProtectionDays(in.ProtectionDays).
		SetNillableDailyClaimLimit(positive(in.DailyClaimLimit)).
		SetNillableIsDefault(in.IsDefault)
	return b
}

func applyUpdate(b *ent.PoolUpdateOne, in Patch) *ent.PoolUpdateOne {
	if in.Name != nil {
		b.SetName(*in.Name)
	}
	nillable := []struct {
		v          *int
		set, clear func()
	}{
		{in.RecycleNoFollowUpDays, func() { b.SetRecycleNoFollowUpDays(*in.RecycleNoFollowUpDays) }, func() { b.ClearRecycleNoFollowUpDays() }},
		{in.RecycleNoDealDays, func() { b.SetRecycleNoDealDays(*in.RecycleNoDealDays) }, func() { b.ClearRecycleNoDealDays() }},
		{in.RemindBeforeDays, func() { b.SetRemindBeforeDays(*in.RemindBeforeDays) }, func() { b.ClearRemindBeforeDays() }},
		{in.DailyClaimLimit, func() { b.SetDailyClaimLimit(*in.DailyClaimLimit) }, func() { b.ClearDailyClaimLimit() }},
	}
	for _, n := range nillable {
		switch {
		case n.v == nil:
		case *n.v == 0:
			n.clear()
		default:
			n.set()
		}
	}
	b.SetNillableCooldownDays(in.CooldownDays).SetNillableProtectionDays(in.ProtectionDays).SetNillableIsDefault(in.IsDefault)
	return b
}
