package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fields"
)

// contact returns a lead's built-in phone or email, a value of type t, as
// the viewer may see it: masked without the lead.contact grant; unmasked
// reads by partners are recorded for the audit log.
func contact(ctx context.Context, l *ent.Lead, value *string, t fields.Type) *string {
	if value == nil {
		return nil
	}
	s, _ := authz.MaskAttribute(ctx, t, l.ID, *value).(string)
	return &s
}

// visibleAttributes hides archived and unknown keys, and masks custom fields
// of contact-sensitive types like the built-in contact fields.
func visibleAttributes(ctx context.Context, sch *fields.Schema, l *ent.Lead) map[string]any {
	out := sch.Visible(l.Attributes)
	for k, val := range out {
		def, _ := sch.Lookup(k)
		out[k] = authz.MaskAttribute(ctx, def.Type, l.ID, val)
	}
	return out
}

// inputPath is the path of the input value gqlgen is reading in ctx, as
// extensions.field names it ("where.or[3].phone"), however deep it sits in
// and/or/not and hasLeadWith; fallback when ctx carries no input path.
func inputPath(ctx context.Context, fallback string) string {
	var parts []string
	pc := graphql.GetPathContext(ctx)
	var field *graphql.FieldContext
	if pc != nil {
		field = pc.ParentField
	}
	for ; pc != nil && pc.ParentField == field; pc = pc.Parent {
		switch {
		case pc.Index != nil:
			parts = append(parts, fmt.Sprintf("[%d]", *pc.Index))
		case pc.Field != nil:
			parts = append(parts, "."+*pc.Field)
		}
	}
	if len(parts) == 0 {
		return fallback
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return strings.TrimPrefix(b.String(), ".")
}
