package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/team"
	"github.com/scrmhq/scrm/ent/territory"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/funnel"
	"github.com/scrmhq/scrm/internal/gid"
)

// funnelGroups turns the service's groups into the API's: ids become
// opaque IDs with the entity's name as label, read in one query per kind.
func funnelGroups(ctx context.Context, c *ent.Client, by funnel.GroupBy, gs []funnel.Group) ([]*model.FunnelGroup, error) {
	var ids []uuid.UUID
	for _, g := range gs {
		if id, err := uuid.Parse(g.Key); err == nil {
			ids = append(ids, id)
		}
	}
	names := map[uuid.UUID]string{}
	if len(ids) > 0 {
		switch by {
		case funnel.ByOwner:
			us, err := c.User.Query().Where(user.IDIn(ids...)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, u := range us {
				names[u.ID] = u.Name
			}
		case funnel.ByTeam:
			ts, err := c.Team.Query().Where(team.IDIn(ids...)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				names[t.ID] = t.Name
			}
		case funnel.ByTerritory:
			ts, err := c.Territory.Query().Where(territory.IDIn(ids...)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				names[t.ID] = t.Name
			}
		}
	}
	out := make([]*model.FunnelGroup, len(gs))
	for i, g := range gs {
		fg := &model.FunnelGroup{Group: g.Key, Label: g.Key}
		if id, err := uuid.Parse(g.Key); err == nil && by != funnel.BySource && by != funnel.ByChannel {
			fg.Group, fg.Label = gid.Encode(id), names[id]
		}
		for _, s := range g.Steps {
			fg.Steps = append(fg.Steps, &model.FunnelStepCount{Step: stage.FunnelStep(s.Step), Count: s.Count, Rate: s.Rate})
		}
		out[i] = fg
	}
	return out, nil
}

// repStats names the leaderboard's users.
func repStats(ctx context.Context, c *ent.Client, rs []funnel.RepStats) ([]*model.RepStats, error) {
	ids := make([]uuid.UUID, len(rs))
	for i, r := range rs {
		ids[i] = r.UserID
	}
	us, err := c.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]*ent.User, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	out := make([]*model.RepStats, 0, len(rs))
	for _, r := range rs {
		if u := byID[r.UserID]; u != nil {
			out = append(out, &model.RepStats{User: u, Leads: r.Leads, Deals: r.Deals, Amount: r.Amount, Conversion: r.Conversion})
		}
	}
	return out, nil
}
