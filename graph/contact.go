package graph

import (
	"context"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/authz"
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
