package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// PolicyRule is one of a workspace's own Casbin policy rows, overlaid on the
// built-in rows of policies/builtin.csv: an allow that grants more, or a deny
// that takes a built-in permission away.
type PolicyRule struct{ ent.Schema }

// Mixin of the PolicyRule.
func (PolicyRule) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.PolicyRule}, TenantMixin{}, TimeMixin{}}
}

// Fields of the PolicyRule.
func (PolicyRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("role").NotEmpty().MaxRuneLen(32),
		field.String("resource").NotEmpty().MaxRuneLen(64),
		field.String("action").NotEmpty().MaxRuneLen(32),
		field.Enum("effect").Values("allow", "deny"),
	}
}

// Indexes of the PolicyRule.
func (PolicyRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "role", "resource", "action").Unique()}
}

// Annotations of the PolicyRule.
func (PolicyRule) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip()}
}

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
