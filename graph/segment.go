package graph

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/segment"
)

// segmentRule converts the GraphQL rule input; the segment package checks it.
// Lists given empty stay empty (not nil), so "and: []" is reported as an
// empty group rather than a node without keys.
func segmentRule(in *model.SegmentRuleInput) *segment.Rule {
	if in == nil {
		return nil
	}
	list := func(l []*model.SegmentRuleInput) []segment.Rule {
		if l == nil {
			return nil
		}
		out := make([]segment.Rule, 0, len(l))
		for _, r := range l {
			if c := segmentRule(r); c != nil {
				out = append(out, *c)
			}
		}
		return out
	}
	r := &segment.Rule{
		And: list(in.And), Or: list(in.Or), Not: segmentRule(in.Not),
		Intersect: list(in.Intersect), Union: list(in.Union), Difference: list(in.Difference),
		Segment: in.Segment,
	}
	if a := in.Attribute; a != nil {
		r.Attribute = &schematype.AttributeCondition{Key: a.Key, Op: string(a.Op), Value: a.Value}
	}
	if t := in.Tag; t != nil {
		r.Tag = &schematype.TagCondition{Any: t.Any, All: t.All, None: t.None}
	}
	if s := in.Stage; s != nil {
		r.Stage = &schematype.StageCondition{In: s.In}
	}
	if o := in.Owner; o != nil {
		r.Owner = &schematype.OwnerCondition{In: o.In, Public: o.Public}
	}
	if e := in.Event; e != nil {
		ev := &schematype.EventCondition{Name: e.Name, MinCount: e.MinCount, MaxCount: e.MaxCount,
			WithinDays: e.WithinDays, Since: e.Since, Until: e.Until}
		for _, w := range e.Where {
			if w != nil {
				ev.Where = append(ev.Where, schematype.PropertyCondition{Key: w.Key, Op: string(w.Op), Value: w.Value})
			}
		}
		r.Event = ev
	}
	return r
}

// segmentRuleJSON is a saved rule as the client wrote it: the input's shape
// with opaque IDs.
func segmentRuleJSON(r *segment.Rule) map[string]any {
	ids := func(l []uuid.UUID) []string {
		out := make([]string, len(l))
		for i, id := range l {
			out[i] = gid.Encode(id)
		}
		return out
	}
	list := func(l []segment.Rule) []any {
		out := make([]any, len(l))
		for i := range l {
			out[i] = segmentRuleJSON(&l[i])
		}
		return out
	}
	m := map[string]any{}
	switch {
	case r.And != nil:
		m["and"] = list(r.And)
	case r.Or != nil:
		m["or"] = list(r.Or)
	case r.Intersect != nil:
		m["intersect"] = list(r.Intersect)
	case r.Union != nil:
		m["union"] = list(r.Union)
	case r.Difference != nil:
		m["difference"] = list(r.Difference)
	case r.Not != nil:
		m["not"] = segmentRuleJSON(r.Not)
	case r.Attribute != nil:
		m["attribute"] = map[string]any{"key": r.Attribute.Key, "op": r.Attribute.Op, "value": r.Attribute.Value}
	case r.Tag != nil:
		t := map[string]any{}
		for k, l := range map[string][]uuid.UUID{"any": r.Tag.Any, "all": r.Tag.All, "none": r.Tag.None} {
			if l != nil {
				t[k] = ids(l)
			}
		}
		m["tag"] = t
	case r.Stage != nil:
		m["stage"] = map[string]any{"in": ids(r.Stage.In)}
	case r.Owner != nil:
		o := map[string]any{}
		if r.Owner.In != nil {
			o["in"] = ids(r.Owner.In)
		}
		if r.Owner.Public != nil {
			o["public"] = *r.Owner.Public
		}
		m["owner"] = o
	case r.Event != nil:
		m["event"] = r.Event
	case r.Segment != nil:
		m["segment"] = gid.Encode(*r.Segment)
	}
	return m
}

// inSegment narrows obj to the members of the segment id (LeadWhereInput.
// inSegment): FORBIDDEN without segment read or when the segment's rule
// conditions on a field the caller sees masked, NOT_FOUND for a segment the
// workspace does not have. The members are bound as one array of seqs; the
// query applies the caller's row scope as for any list.
func (r *Resolver) inSegment(ctx context.Context, obj *ent.LeadWhereInput, id uuid.UUID) error {
	path := inputPath(ctx, "where.inSegment")
	v, err := viewer(ctx)
	if err != nil {
		return err
	}
	ok, err := r.Authz.Allowed(ctx, v, policy.ResSegment, policy.ActRead)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.Forbidden, path, "filtering by a segment needs segment read")
	}
	seg, err := r.db(ctx).Segment.Get(ctx, id)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, path, "no such segment")
	}
	if err != nil {
		return err
	}
	seqs, err := r.Segmenter.MemberSeqs(ctx, seg, path)
	if err != nil {
		return err
	}
	obj.AddPredicates(func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(lead.FieldSeq)).WriteString(" = ANY(").Arg(pq.Array(seqs)).WriteString(")")
		}))
	})
	return nil
}
