package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Territory is a node of the workspace's territory tree (region → province →
// city, or by industry). Users, partners and leads are attached to territories.
type Territory struct{ ent.Schema }

// Mixin of the Territory.
func (Territory) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Territory}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Territory.
func (Territory) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.UUID("parent_id", gidUUID).Optional().Nillable(),
		// path is the materialised chain of ancestor ids ("/a/b/c/", itself
		// last), so "this territory and everything below it" is one prefix match.
		field.String("path").Default("").Annotations(entgql.Skip()),
	}
}

// Edges of the Territory.
func (Territory) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Territory.Type).From("parent").Field("parent_id").Unique(),
		edge.From("users", User.Type).Ref("territories").Through("user_territories", UserTerritory.Type).Annotations(entgql.Skip()),
		edge.From("partners", Partner.Type).Ref("territories").Through("partner_territories", PartnerTerritory.Type).Annotations(entgql.Skip()),
		edge.From("pools", Pool.Type).Ref("territories").Through("pool_territories", PoolTerritory.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the Territory.
func (Territory) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "parent_id", "name").Unique(),
		index.Fields("tenant_id", "path"),
	}
}

// Annotations of the Territory.
func (Territory) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("territories")}
}
