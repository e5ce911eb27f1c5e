package graph

import (
	"context"
	"fmt"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fields"
)

// leadsByAttribute pages leads sorted by a custom field. Keyset cursors would
// need the typed sort value of every node; these cursors carry the offset
// instead, so pages go forward only and may shift under concurrent writes.
func (r *Resolver) leadsByAttribute(ctx context.Context, q *ent.LeadQuery, o *model.AttributeOrderInput, after *entgql.Cursor[uuid.UUID], first *int, before *entgql.Cursor[uuid.UUID], last *int) (*ent.LeadConnection, error) {
	if before != nil || last != nil {
		return nil, apperr.Input("orderByAttribute", "sorting by a custom field pages forward only (first/after)")
	}
	sch, err := r.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	def, ok := sch.Lookup(o.Key)
	if !ok || def.Archived {
		return nil, apperr.Input("orderByAttribute.key", "unknown field %q", o.Key)
	}
	if err := authz.CheckSearchable(ctx, "orderByAttribute.key", def.Type); err != nil {
		return nil, err
	}
	order, err := fields.OrderExpr(def, o.Direction == entgql.OrderDirectionDesc)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.BadInput, "orderByAttribute.key", err.Error())
	}
	offset := 0
	if after != nil {
		if offset, err = cursorOffset(after.Value); err != nil {
			return nil, apperr.Input("after", "cursor does not belong to a custom-field ordering")
		}
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, err
	}
	selectLeadColumns(ctx, q) // after the count, which would count the columns
	n := *first
	// Load the edges the page selects (owner, tags, stage, ...) per page,
	// as entgql's Paginate does, not per lead.
	if q, err = q.CollectFields(nodeFieldContext(ctx)); err != nil {
		return nil, err
	}
	nodes, err := q.Order(lead.OrderOption(order), lead.ByID()).Offset(offset).Limit(n + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	conn := &ent.LeadConnection{TotalCount: total}
	conn.PageInfo.HasNextPage = len(nodes) > n
	conn.PageInfo.HasPreviousPage = offset > 0
	if len(nodes) > n {
		nodes = nodes[:n]
	}
	conn.Edges = make([]*ent.LeadEdge, len(nodes))
	for i, l := range nodes {
		conn.Edges[i] = &ent.LeadEdge{Node: l, Cursor: ent.Cursor{ID: l.ID, Value: offset + i + 1}}
	}
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn, nil
}

// nodeFieldContext returns ctx with the connection's edges.node selection
// as its field, for CollectFields; ctx itself when the page selects no nodes.
func nodeFieldContext(ctx context.Context) context.Context {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return ctx
	}
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, nil) {
			if node.Name == "node" {
				return graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "LeadEdge", Field: node})
			}
		}
	}
	return ctx
}

// cursorOffset reads the offset back from a cursor (msgpack decodes small
// integers into whichever integer type fits).
func cursorOffset(v any) (int, error) {
	switch x := v.(type) {
	case int8:
		return int(x), nil
	case int16:
		return int(x), nil
	case int32:
		return int(x), nil
	case int64:
		return int(x), nil
	case int:
		return x, nil
	case uint8:
		return int(x), nil
	case uint16:
		return int(x), nil
	case uint32:
		return int(x), nil
	case uint64:
		return int(x), nil
	}
	return 0, fmt.Errorf("not an offset: %T", v)
}
