package graph

import (
	"context"
	"slices"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/timeline"
)

// timelineKindPermissions are the timeline kinds that need a grant beyond
// reading the lead: follow-ups are read like Lead.followUps' own resource,
// and a message is a broadcast's content.
var timelineKindPermissions = map[timeline.Kind]Permission{
	timeline.FollowUp: {"lead.followup", "read"},
	timeline.Message:  {"broadcast", "read"},
}

// timelineQuery turns Lead.timeline's arguments into the service's query,
// dropping the kinds the caller may not read.
func (r *Resolver) timelineQuery(ctx context.Context, l *ent.Lead, first *int, after *ent.Cursor, kinds []timeline.Kind) (timeline.Query, bool, error) {
	v, err := viewer(ctx)
	if err != nil {
		return timeline.Query{}, false, err
	}
	q := timeline.Query{Lead: l.ID, First: deref(first), MaskContact: !v.ContactGrant}
	if first != nil && *first < 0 {
		return q, false, apperr.Input("first", "first must not be negative")
	}
	if after != nil {
		s, ok := after.Value.(string)
		if !ok {
			return q, false, apperr.Input("after", "after is not a cursor of this timeline")
		}
		q.After = s
	}
	if len(kinds) == 0 {
		kinds = timeline.Kinds
	}
	for _, k := range kinds {
		if perm, ok := timelineKindPermissions[k]; ok {
			allowed, err := r.Authz.Allowed(ctx, v, perm.Resource, perm.Action)
			if err != nil {
				return q, false, err
			}
			if !allowed {
				continue
			}
		}
		if !slices.Contains(q.Kinds, k) {
			q.Kinds = append(q.Kinds, k)
		}
	}
	return q, len(q.Kinds) > 0, nil
}

// timelineConnection wraps a page in the connection type.
func timelineConnection(p *timeline.Page) *model.TimelineConnection {
	conn := &model.TimelineConnection{Edges: make([]*model.TimelineEdge, 0, len(p.Items)), PageInfo: &ent.PageInfo{HasNextPage: p.HasNextPage}}
	for _, it := range p.Items {
		c := ent.Cursor{ID: it.ID, Value: it.Cursor}
		conn.Edges = append(conn.Edges, &model.TimelineEdge{Node: it, Cursor: c})
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn
}
