package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// StageChange records one move of a lead between stages: history for the
// timeline and the facts the funnel counts.
type StageChange struct{ ent.Schema }

// Mixin of the StageChange.
func (StageChange) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.StageChange}, TenantMixin{}}
}

// Fields of the StageChange.
func (StageChange) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID).Immutable(),
		field.UUID("from_id", gidUUID).Optional().Nillable().Immutable(),
		field.UUID("to_id", gidUUID).Immutable(),
		field.UUID("actor_id", gidUUID).Optional().Nillable().Immutable(),
		field.UUID("lost_reason_id", gidUUID).Optional().Nillable().Immutable(),
		field.String("reason").Default("").MaxRuneLen(1000).Immutable(),
		field.Time("at").Immutable(),
	}
}

// Edges of the StageChange.
func (StageChange) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("stage_changes").Field("lead_id").Unique().Required().Immutable(),
		edge.To("from", Stage.Type).Field("from_id").Unique().Immutable(),
		edge.To("to", Stage.Type).Field("to_id").Unique().Required().Immutable(),
		// actor is exposed as StageChange.by in GraphQL ("by" clashes with ent's ordering helpers).
		edge.To("actor", User.Type).Field("actor_id").Unique().Immutable().Annotations(entgql.Skip()),
		edge.To("lost_reason", LostReason.Type).Field("lost_reason_id").Unique().Immutable(),
	}
}

// Indexes of the StageChange.
func (StageChange) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "lead_id", "at"),
		index.Fields("tenant_id", "to_id", "at"),
		index.Fields("tenant_id", "from_id"),
	}
}
