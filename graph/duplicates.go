package graph

import (
	"context"
	"errors"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/duplicates"
)

// duplicateCursor reads a duplicateGroups cursor: the newest lead of the
// last group seen (its id, and its creation time as the value).
func duplicateCursor(c *entgql.Cursor[uuid.UUID]) *duplicates.After {
	if c == nil {
		return nil
	}
	return &duplicates.After{At: cursorTime(c), ID: c.ID}
}

// duplicateConnection is a page of groups as the connection type.
func duplicateConnection(p *duplicates.Page) *model.DuplicateGroupConnection {
	out := &model.DuplicateGroupConnection{TotalCount: p.Total, Edges: make([]*model.DuplicateGroupEdge, len(p.Groups)),
		PageInfo: &entgql.PageInfo[uuid.UUID]{HasNextPage: p.HasNext}}
	for i, g := range p.Groups {
		cur := entgql.Cursor[uuid.UUID]{ID: g.NewestID, Value: g.NewestAt.UTC().Format(time.RFC3339Nano)}
		out.Edges[i] = &model.DuplicateGroupEdge{Cursor: cur, Node: &model.DuplicateGroup{
			Kind: model.DuplicateKind(g.Kind), Key: g.Key, Count: g.Count, NewestAt: g.NewestAt, Leads: g.Leads,
			Version: g.Version.String()}}
	}
	if n := len(out.Edges); n > 0 {
		out.PageInfo.StartCursor, out.PageInfo.EndCursor = &out.Edges[0].Cursor, &out.Edges[n-1].Cursor
	}
	return out
}

// duplicateVersion reads the optional version of dismissDuplicateGroup and restoreDuplicateGroup.
func duplicateVersion(s *string) (*duplicates.Version, error) {
	if s == nil {
		return nil, nil
	}
	v, err := duplicates.ParseVersion(*s)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// duplicateChanged presents the CONFLICT of a group that changed since it
// was read with what a client tells its user: extensions.joined (how many
// more leads it has now) and extensions.count (how many it has), beside
// code and field. Any other error is returned as it is.
func duplicateChanged(ctx context.Context, err error) error {
	var c *duplicates.Changed
	if !errors.As(err, &c) {
		return err
	}
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	if e, ok := apperr.As(err); ok {
		gerr.Message = e.Message
	}
	gerr.Extensions = map[string]any{"code": string(apperr.Conflict), "field": "version", "joined": c.Joined(), "count": c.Now}
	return gerr
}
