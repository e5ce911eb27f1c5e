package graph

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
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

// mediaSelection is what a weComMedia query selects that costs a
// statement: totalCount (a count of the library) and edges.usedBy (the
// uses of the page's media).
type mediaSelection struct{ total, usedBy bool }

// selectedMedia reads the weComMedia field's selection (fragments
// included); outside a GraphQL field it is everything.
func selectedMedia(ctx context.Context) mediaSelection {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return mediaSelection{total: true, usedBy: true}
	}
	var sel mediaSelection
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{"WeComMediaConnection"}) {
		switch f.Name {
		case "totalCount":
			sel.total = true
		case "edges":
			for _, e := range graphql.CollectFields(oc, f.Selections, []string{"WeComMediaEdge"}) {
				if e.Name == "usedBy" {
					sel.usedBy = true
				}
			}
		}
	}
	return sel
}

// mediaConnection is a page of the media library as the connection type,
// with what uses each medium when usedBy (one statement for the page).
func (r *Resolver) mediaConnection(ctx context.Context, p *wecom.MediaPage, usedBy bool) (*model.WeComMediaConnection, error) {
	uses := map[uuid.UUID][]wecom.MediaUse{}
	if usedBy {
		ids := make([]uuid.UUID, len(p.Media))
		for i, m := range p.Media {
			ids[i] = m.ID
		}
		var err error
		if uses, err = r.Services.WeCom.MediaUses(ctx, ids); err != nil {
			return nil, err
		}
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
