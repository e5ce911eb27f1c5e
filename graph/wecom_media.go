package graph

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/wecom"
)

// mediaCursor reads a weComMedia cursor: the last medium seen (its id,
// and its creation time as the value).
func mediaCursor(c *entgql.Cursor[uuid.UUID]) *wecom.MediaAfter {
	if c == nil {
		return nil
	}
	return &wecom.MediaAfter{At: cursorTime(c), ID: c.ID}
}

// mediaConnection is a page of the media library as the connection type,
// with what uses each medium (one statement for the page).
func (r *Resolver) mediaConnection(ctx context.Context, p *wecom.MediaPage) (*model.WeComMediaConnection, error) {
	ids := make([]uuid.UUID, len(p.Media))
	for i, m := range p.Media {
		ids[i] = m.ID
	}
	uses, err := r.Services.WeCom.MediaUses(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := &model.WeComMediaConnection{TotalCount: p.Total, Edges: make([]*model.WeComMediaEdge, len(p.Media)),
		PageInfo: &entgql.PageInfo[uuid.UUID]{HasNextPage: p.HasNext}}
	for i, m := range p.Media {
		used := make([]*model.WeComMediaUse, len(uses[m.ID]))
		for j, u := range uses[m.ID] {
			used[j] = &model.WeComMediaUse{Kind: model.WeComMediaUseKind(u.Kind), ID: u.ID, Name: u.Name}
		}
		cur := entgql.Cursor[uuid.UUID]{ID: m.ID, Value: m.CreatedAt.UTC().Format(time.RFC3339Nano)}
		out.Edges[i] = &model.WeComMediaEdge{Node: m, Cursor: cur, UsedBy: used}
	}
	if n := len(out.Edges); n > 0 {
		out.PageInfo.StartCursor, out.PageInfo.EndCursor = &out.Edges[0].Cursor, &out.Edges[n-1].Cursor
	}
	return out, nil
}
