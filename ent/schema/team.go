package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Team is a group of reps with a manager; managers see their team's leads.
type Team struct{ ent.Schema }

// Mixin of the Team.
func (Team) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Team}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Team.
func (Team) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.UUID("manager_id", gidUUID).Optional().Nillable(),
	}
}

// Edges of the Team.
func (Team) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("manager", User.Type).Field("manager_id").Unique(),
		edge.To("members", User.Type),
		edge.From("pools", Pool.Type).Ref("teams").Through("pool_teams", PoolTeam.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the Team.
func (Team) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Annotations of the Team.
func (Team) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("teams")}
}
