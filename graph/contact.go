package graph

import (
	"context"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/clean"
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
		out[k] = maskAttribute(ctx, sch, l, k, val)
	}
	return out
}

// visibleAttribute is one value of visibleAttributes, without building the
// whole map (the typed schema reads fields one by one); ok is false when
// the lead has no visible value for key.
func visibleAttribute(ctx context.Context, sch *fields.Schema, l *ent.Lead, key string) (any, bool) {
	def, ok := sch.Lookup(key)
	if !ok || def.Archived {
		return nil, false
	}
	val, ok := l.Attributes[key]
	if !ok {
		return nil, false
	}
	return maskAttribute(ctx, sch, l, key, val), true
}

// maskAttribute masks a PHONE or EMAIL value for viewers without the
// lead.contact grant and records unmasked reads by partners.
func maskAttribute(ctx context.Context, sch *fields.Schema, l *ent.Lead, key string, val any) any {
	s, ok := val.(string)
	def, _ := sch.Lookup(key)
	if !ok || (def.Type != fields.TypePhone && def.Type != fields.TypeEmail) {
		return val
	}
	v := auth.FromContext(ctx)
	switch {
	case v == nil || !v.ContactGrant:
		if def.Type == fields.TypePhone {
			return clean.MaskPhone(s)
		}
		return clean.MaskEmail(s)
	case v.HasRole("partner"):
		authz.RecordContactRead(ctx, l.ID)
	}
	return val
}
