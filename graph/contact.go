package graph

import (
	"context"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fields"
)

// contact returns a lead's phone or email as the viewer may see it: masked
// without the lead.contact grant; unmasked reads by partners are recorded for
// the audit log.
func contact(ctx context.Context, l *ent.Lead, value *string, mask func(string) string) *string {
	if value == nil {
		return nil
	}
	v := auth.FromContext(ctx)
	if v == nil || !v.ContactGrant {
		m := mask(*value)
		return &m
	}
	if v.HasRole("partner") {
		authz.RecordContactRead(ctx, l.ID)
	}
	return value
}

// visibleAttributes hides archived and unknown keys, and masks custom fields
// of type PHONE and EMAIL like the built-in contact fields.
func visibleAttributes(ctx context.Context, sch *fields.Schema, l *ent.Lead) map[string]any {
	out := sch.Visible(l.Attributes)
	for k, val := range out {
		def, _ := sch.Lookup(k)
		out[k] = authz.MaskAttribute(ctx, def.Type, l.ID, val)
	}
	return out
}
