package ent

// This file is hand-written (entc leaves it alone): a page of leads loads
// its owner, stage and tags in the page's own statement.

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/tag"
)

// Edge-load indexes in LeadEdges.loadedTypes (the order of the edges in
// the schema, as the generated sqlAll sets them).
const (
	leadEdgeOwner     = 0
	leadEdgePool      = 1
	leadEdgeStage     = 2
	leadEdgeTerritory = 3
	leadEdgePartner   = 4
	leadEdgeTags      = 5
)

// inlineTagsColumn is the column prefix the inlined tags arrive in: JSON
// built by PostgreSQL.
const inlineTagsColumn = "__inline_tags"

// InlineEdgeLoads has the query load the owner, pool, stage, territory,
// partner and tags that its GraphQL selection asks for (entgql's
// CollectFields) as correlated subqueries of its own statement, each row's
// edge as JSON, instead of one more statement per edge after it. An edge is
// inlined only when its query is plain (plainEdgeQuery): explicit columns,
// no edges of its own, and interceptors that only add predicates (the
// tenant's); it keeps its tenant filter and privacy policy, which run as
// they would for the separate statement. Other edges load as before.
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

// edgeQuery is what every generated query has for running as a subquery.
type edgeQuery interface {
	prepareQuery(context.Context) error
	sqlQuery(context.Context) *sql.Selector
}

// plainEdgeQuery reports whether the edge query q (a *XQuery) can run as a
// subquery without losing anything: it selects explicit columns (its JSON
// then holds only fields the entity decodes), loads no edges of its own
// (with…, withNamed…, loadTotal), has no modifiers or traversal path, and
// its interceptors only add predicates. The generated query structs are
// read by field name, so a field ent adds later that this does not know
// about is not considered; the statement-count tests would show its loads.
func plainEdgeQuery(q any, qc *QueryContext, inters []Interceptor) bool {
	if qc == nil || len(qc.Fields) == 0 {
		return false
	}
	for _, i := range inters {
		if _, ok := i.(Traverser); !ok {
			return false
		}
	}
	v := reflect.ValueOf(q)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	v = v.Elem()
	t := v.Type()
	for i := range t.NumField() {
		f, name := v.Field(i), t.Field(i).Name
		if !strings.HasPrefix(name, "with") && name != "loadTotal" && name != "modifiers" && name != "sql" && name != "path" {
			continue
		}
		switch f.Kind() {
		case reflect.Map, reflect.Slice:
			if f.Len() > 0 {
				return false
			}
		default:
			if !f.IsZero() {
				return false
			}
		}
	}
	return true
}

// inlineToOne adds the subquery of the to-one edge query w, joined on the
// lead's column fk, as column; decode assigns a lead's edge from its JSON
// (nil when the lead has none).
func (_q *LeadQuery) inlineToOne(ctx context.Context, w edgeQuery, fk, column string, decode func(*Lead, []byte) error) (func(*Lead) error, error) {
	if err := w.prepareQuery(ctx); err != nil {
		return nil, err
	}
	_q.modifiers = append(_q.modifiers, func(s *sql.Selector) {
		sel := w.sqlQuery(ctx)
		sel.Where(sql.ColumnsEQ(sel.C("id"), s.C(fk)))
		s.AppendSelectExprAs(rowJSON(sel), column)
	})
	return func(n *Lead) error {
		raw, err := inlineRaw(n, column)
		if err != nil {
			return err
		}
		return decode(n, raw)
	}, nil
}

// inlineEdges moves the plain edge loads into the statement and returns
// what assigns them to each loaded lead.
func (_q *LeadQuery) inlineEdges(ctx context.Context) ([]func(*Lead) error, error) {
	var out []func(*Lead) error
	add := func(w edgeQuery, fk, column string, decode func(*Lead, []byte) error) error {
		a, err := _q.inlineToOne(ctx, w, fk, column, decode)
		if err == nil {
			out = append(out, a)
		}
		return err
	}
	if w := _q.withOwner; w != nil && plainEdgeQuery(w, w.ctx, w.inters) {
		if err := add(w, lead.OwnerColumn, "__inline_owner", func(n *Lead, raw []byte) error {
			e, err := decodeEdge[User](raw, n, "owner")
			if e != nil {
				e.config = _q.config
			}
			n.Edges.Owner, n.Edges.loadedTypes[leadEdgeOwner] = e, true
			return err
		}); err != nil {
			return nil, err
		}
		_q.withOwner = nil
	}
	if w := _q.withPool; w != nil && plainEdgeQuery(w, w.ctx, w.inters) {
		if err := add(w, lead.PoolColumn, "__inline_pool", func(n *Lead, raw []byte) error {
			e, err := decodeEdge[Pool](raw, n, "pool")
			if e != nil {
				e.config = _q.config
			}
			n.Edges.Pool, n.Edges.loadedTypes[leadEdgePool] = e, true
			return err
		}); err != nil {
			return nil, err
		}
		_q.withPool = nil
	}
	if w := _q.withStage; w != nil && plainEdgeQuery(w, w.ctx, w.inters) {
		if err := add(w, lead.StageColumn, "__inline_stage", func(n *Lead, raw []byte) error {
			e, err := decodeEdge[Stage](raw, n, "stage")
			if e != nil {
				e.config = _q.config
			}
			n.Edges.Stage, n.Edges.loadedTypes[leadEdgeStage] = e, true
			return err
		}); err != nil {
			return nil, err
		}
		_q.withStage = nil
	}
	if w := _q.withTerritory; w != nil && plainEdgeQuery(w, w.ctx, w.inters) {
		if err := add(w, lead.TerritoryColumn, "__inline_territory", func(n *Lead, raw []byte) error {
			e, err := decodeEdge[Territory](raw, n, "territory")
			if e != nil {
				e.config = _q.config
			}
			n.Edges.Territory, n.Edges.loadedTypes[leadEdgeTerritory] = e, true
			return err
		}); err != nil {
			return nil, err
		}
		_q.withTerritory = nil
	}
	if w := _q.withPartner; w != nil && plainEdgeQuery(w, w.ctx, w.inters) {
		if err := add(w, lead.PartnerColumn, "__inline_partner", func(n *Lead, raw []byte) error {
			e, err := decodeEdge[Partner](raw, n, "partner")
			if e != nil {
				e.config = _q.config
			}
			n.Edges.Partner, n.Edges.loadedTypes[leadEdgePartner] = e, true
			return err
		}); err != nil {
			return nil, err
		}
		_q.withPartner = nil
	}
	// entgql loads a lead's tags by the selection's alias (named edges).
	for name, w := range _q.withNamedTags {
		if !plainEdgeQuery(w, w.ctx, w.inters) {
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
	if w := _q.withTags; w != nil && plainEdgeQuery(w, w.ctx, w.inters) {
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

// decodeEdge decodes a to-one edge's JSON row; nil when the lead has none.
func decodeEdge[T any](raw []byte, n *Lead, edge string) (*T, error) {
	if raw == nil {
		return nil, nil
	}
	var e T
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("ent: decode the inlined %s of lead %s: %w", edge, n.ID, err)
	}
	return &e, nil
}
