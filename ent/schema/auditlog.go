package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// AuditLog records security-relevant actions: permission changes, and reads
// of unmasked contact data by partners.
type AuditLog struct{ ent.Schema }

// Mixin of the AuditLog.
func (AuditLog) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.AuditLog}, TenantMixin{}}
}

// Fields of the AuditLog.
func (AuditLog) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Immutable(),
		field.UUID("actor_id", gidUUID).Optional().Nillable().Immutable(),
		field.UUID("api_key_id", gidUUID).Optional().Nillable().Immutable(),
		field.String("action").NotEmpty().Immutable(),
		field.JSON("detail", map[string]any{}).Immutable(),
	}
}

// Indexes of the AuditLog.
func (AuditLog) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "at")}
}

// Annotations of the AuditLog.
func (AuditLog) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip()}
}
