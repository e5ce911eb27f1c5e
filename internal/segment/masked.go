package segment

import (
	"context"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fields"
)

// Field-level security of rules: a viewer who sees a field masked
// (authz.SeesMasked: contact-sensitive custom fields without the
// lead.contact grant) can neither build, preview nor read the members of a
// segment that conditions on it, directly or through a saved segment it
// references at any depth; each would tell which leads hold a guessed value.

// masksSome reports whether the viewer of ctx sees some field of sch masked,
// so that viewers who see everything pay for no reference walk.
func masksSome(ctx context.Context, sch *fields.Schema) bool {
	if sch == nil {
		return false
	}
	return slices.ContainsFunc(sch.Definitions(), func(d fields.Definition) bool { return authz.SeesMasked(ctx, d.Type) })
}

// maskedCondition reports whether r conditions, anywhere, on a custom field
// the viewer of ctx sees masked (archived fields included: a stored rule
// may still name one).
func maskedCondition(ctx context.Context, sch *fields.Schema, r *Rule) bool {
	return anyNode(r, func(n *Rule) bool {
		if n.Attribute == nil {
			return false
		}
		def, ok := sch.Lookup(n.Attribute.Key)
		return ok && authz.SeesMasked(ctx, def.Type)
	})
}

// checkMaskedRefs refuses, as FORBIDDEN at the path of the reference, saved
// segments (refs: id → the path naming it) whose rules, or the rules of the
// segments they reference, condition on a field the viewer sees masked. One
// query per level of references.
func checkMaskedRefs(ctx context.Context, c *ent.Client, sch *fields.Schema, refs map[uuid.UUID]string) error {
	if len(refs) == 0 || !masksSome(ctx, sch) {
		return nil
	}
	origin := maps.Clone(refs)
	seen := map[uuid.UUID]bool{}
	for len(origin) > 0 {
		segs, err := c.Segment.Query().
			Where(segment.IDIn(slices.Collect(maps.Keys(origin))...)).
			Select(segment.FieldRule, segment.FieldDependsOn).All(ctx)
		if err != nil {
			return err
		}
		next := map[uuid.UUID]string{}
		for _, sg := range segs {
			seen[sg.ID] = true
			if maskedCondition(ctx, sch, &sg.Rule) {
				return maskedError(origin[sg.ID])
			}
			for _, d := range sg.DependsOn {
				if !seen[d] {
					next[d] = origin[sg.ID]
				}
			}
		}
		origin = next
	}
	return nil
}

func maskedError(field string) error {
	return apperr.Wrap(authz.ErrMaskedField, apperr.Forbidden, field, authz.ErrMaskedField.Error())
}

// CheckReadable refuses, as FORBIDDEN at field, reading the members or the
// count of seg for a viewer who sees masked a field its rule conditions on,
// directly or through its references.
func (s *Service) CheckReadable(ctx context.Context, seg *ent.Segment, field string) error {
	return s.checkReadable(ctx, s.db(ctx), seg, field)
}

// checkReadable is CheckReadable on the client c (the caller's transaction).
func (s *Service) checkReadable(ctx context.Context, c *ent.Client, seg *ent.Segment, field string) error {
	sch, err := s.Fields.Schema(ctx)
	if err != nil || !masksSome(ctx, sch) {
		return err
	}
	if maskedCondition(ctx, sch, &seg.Rule) {
		return maskedError(field)
	}
	refs := make(map[uuid.UUID]string, len(seg.DependsOn))
	for _, d := range seg.DependsOn {
		refs[d] = field
	}
	return checkMaskedRefs(ctx, c, sch, refs)
}
