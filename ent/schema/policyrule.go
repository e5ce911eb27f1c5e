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
