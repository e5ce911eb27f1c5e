package ent

// This file is hand-written (entc leaves it alone): a page of leads loads
// its owner, stage and tags in the page's own statement.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/ent/user"
)

// Edge-load indexes in LeadEdges.loadedTypes (the order of the edges in
// the schema, as the generated sqlAll sets them).
const (
	leadEdgeOwner = 0
	leadEdgeStage = 2
	leadEdgeTags  = 5
)

// Columns the inlined edges arrive in: JSON built by PostgreSQL.
const (
	inlineOwnerColumn = "__inline_owner"
	inlineStageColumn = "__inline_stage"
	inlineTagsColumn  = "__inline_tags"
)

// InlineEdgeLoads has the query load the owner, stage and tags that its
// GraphQL selection asks for (entgql's CollectFields) as correlated
// subqueries of its own statement, each row's edge as JSON, instead of one
// more statement per edge after it. An edge is inlined only when its query
// is plain: explicit columns, no edges of its own, no named or counted
// edges, and interceptors that only add predicates (the tenant's): it
// keeps its tenant filter and privacy policy, which run as they would
// for the separate statement. Other edges load as before.
func (_q *LeadQuery) InlineEdgeLoads() *LeadQuery {
	_q.inters = append(_q.inters, InterceptFunc(func(next Querier) Querier {
		return QuerierFunc(func(ctx context.Context, q Query) (Value, error) {
			lq, ok := q.(*LeadQuery)
			if !ok || ent.QueryFromContext(ctx) == nil || ent.QueryFromContext(ctx).Op != ent.OpQueryAll {
				return next.Query(ctx, q)
			}
			inlined, err := lq.inlineEdges(ctx)
			if err != nil {
				return nil, err
			}
			v, err := next.Query(ctx, q)
			if err != nil || len(inlined) == 0 {
				return v, err
			}
			nodes, _ := v.([]*Lead)
			for _, n := range nodes {
				for _, e := range inlined {
					if err := e(n); err != nil {
						return nil, err
					}
				}
			}
			return v, nil
		})
	}))
	return _q
}

// inlineEdges moves the plain edge loads into the statement and returns
// what assigns them to each loaded lead.
func (_q *LeadQuery) inlineEdges(ctx context.Context) ([]func(*Lead) error, error) {
	var out []func(*Lead) error
	if w := _q.withOwner; w != nil && len(w.ctx.Fields) > 0 && w.withTeam == nil && w.withPartner == nil &&
		w.withTerritories == nil && w.withLeads == nil && w.withAdminPools == nil && w.withUserTerritories == nil &&
		w.withPoolAdmins == nil && len(w.modifiers) == 0 && len(w.loadTotal) == 0 && onlyTraversers(w.inters) {
		if err := w.prepareQuery(ctx); err != nil {
			return nil, err
		}
		_q.withOwner = nil
		_q.modifiers = append(_q.modifiers, func(s *sql.Selector) {
			sel := w.sqlQuery(ctx)
			sel.Where(sql.ColumnsEQ(sel.C(user.FieldID), s.C(lead.OwnerColumn)))
			s.AppendSelectExprAs(rowJSON(sel), inlineOwnerColumn)
		})
		out = append(out, func(n *Lead) error {
			u, err := inlineOne[User](n, inlineOwnerColumn)
			if u != nil {
				u.config = _q.config
			}
			n.Edges.Owner, n.Edges.loadedTypes[leadEdgeOwner] = u, true
			return err
		})
	}
	if w := _q.withStage; w != nil && len(w.ctx.Fields) > 0 && w.withPipeline == nil &&
		len(w.modifiers) == 0 && len(w.loadTotal) == 0 && onlyTraversers(w.inters) {
		if err := w.prepareQuery(ctx); err != nil {
			return nil, err
		}
		_q.withStage = nil
		_q.modifiers = append(_q.modifiers, func(s *sql.Selector) {
			sel := w.sqlQuery(ctx)
			sel.Where(sql.ColumnsEQ(sel.C(stage.FieldID), s.C(lead.StageColumn)))
			s.AppendSelectExprAs(rowJSON(sel), inlineStageColumn)
		})
		out = append(out, func(n *Lead) error {
			st, err := inlineOne[Stage](n, inlineStageColumn)
			if st != nil {
				st.config = _q.config
			}
			n.Edges.Stage, n.Edges.loadedTypes[leadEdgeStage] = st, true
			return err
		})
	}
	plainTags := func(w *TagQuery) bool {
		return len(w.ctx.Fields) > 0 && w.withGroup == nil && w.withLeads == nil && w.withLeadTags == nil &&
			len(w.modifiers) == 0 && len(w.loadTotal) == 0 && onlyTraversers(w.inters)
	}
	// entgql loads a lead's tags by the selection's alias (named edges).
	for name, w := range _q.withNamedTags {
		if !plainTags(w) {
			continue
		}
		assign, err := _q.inlineTags(ctx, w, inlineTagsColumn+"_"+strconv.Itoa(len(out)))
		if err != nil {
			return nil, err
		}
		delete(_q.withNamedTags, name)
		out = append(out, func(n *Lead) error {
			tags, err := assign(n)
			n.appendNamedTags(name, tags...)
			return err
		})
	}
	if w := _q.withTags; w != nil && plainTags(w) {
		assign, err := _q.inlineTags(ctx, w, inlineTagsColumn)
		if err != nil {
			return nil, err
		}
		_q.withTags = nil
		out = append(out, func(n *Lead) error {
			tags, err := assign(n)
			n.Edges.Tags, n.Edges.loadedTypes[leadEdgeTags] = tags, true
			return err
		})
	}
	return out, nil
}

// inlineTags adds the subquery of tags query w as column and returns what
// decodes a lead's tags from it.
func (_q *LeadQuery) inlineTags(ctx context.Context, w *TagQuery, column string) (func(*Lead) ([]*Tag, error), error) {
	if err := w.prepareQuery(ctx); err != nil {
		return nil, err
	}
	_q.modifiers = append(_q.modifiers, func(s *sql.Selector) {
		sel := w.sqlQuery(ctx)
		join := sql.Table(lead.TagsTable)
		sel.Join(join).On(sel.C(tag.FieldID), join.C(lead.TagsPrimaryKey[1]))
		sel.Where(sql.ColumnsEQ(join.C(lead.TagsPrimaryKey[0]), s.C(lead.FieldID)))
		s.AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) {
			b.S(`SELECT coalesce(json_agg(row_to_json("e")), '[]') FROM (`).Join(sel).S(`) AS "e"`)
		}), column)
	})
	return func(n *Lead) ([]*Tag, error) {
		raw, err := inlineRaw(n, column)
		if err != nil {
			return nil, err
		}
		tags := []*Tag{}
		if err := json.Unmarshal(raw, &tags); err != nil {
			return nil, fmt.Errorf("ent: decode the inlined tags of lead %s: %w", n.ID, err)
		}
		for _, t := range tags {
			t.config = _q.config
		}
		return tags, nil
	}, nil
}

// rowJSON is a to-one edge's subquery: its row as a JSON object, or null.
func rowJSON(sel *sql.Selector) sql.Querier {
	return sql.ExprFunc(func(b *sql.Builder) {
		b.S(`SELECT row_to_json("e") FROM (`).Join(sel).S(`) AS "e"`)
	})
}

// onlyTraversers reports whether the interceptors only add predicates, so
// that running the query as a subquery loses nothing.
func onlyTraversers(inters []Interceptor) bool {
	for _, i := range inters {
		if _, ok := i.(Traverser); !ok {
			return false
		}
	}
	return true
}

// inlineRaw returns the JSON text PostgreSQL built in column of n.
func inlineRaw(n *Lead, column string) ([]byte, error) {
	v, err := n.Value(column)
	if err != nil {
		return nil, err
	}
	if u, ok := v.(*sql.UnknownType); ok {
		v = *u
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	default:
		return nil, fmt.Errorf("ent: inlined edge %s of lead %s is a %T", column, n.ID, v)
	}
}

// inlineOne decodes a to-one edge's JSON row; nil when the lead has none.
func inlineOne[T any](n *Lead, column string) (*T, error) {
	raw, err := inlineRaw(n, column)
	if err != nil || raw == nil {
		return nil, err
	}
	var e T
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("ent: decode the inlined %s of lead %s: %w", column, n.ID, err)
	}
	return &e, nil
}
