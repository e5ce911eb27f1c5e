package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Partner is an outside company (渠道商) with scoped access to the leads of its
// territories or its own channel.
type Partner struct{ ent.Schema }

// Mixin of the Partner.
func (Partner) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Partner}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Partner.
func (Partner) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
	}
}

// Edges of the Partner.
func (Partner) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("territories", Territory.Type).Through("partner_territories", PartnerTerritory.Type),
		edge.To("users", User.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the Partner.
func (Partner) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Annotations of the Partner.
func (Partner) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("partners")}
}
