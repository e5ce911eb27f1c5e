package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Stage is one step of a pipeline. Its kind says whether a lead there is still
// open, won or lost; funnelStep maps it onto the reporting funnel.
type Stage struct{ ent.Schema }

// Mixin of the Stage.
func (Stage) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Stage}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Stage.
func (Stage) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("pipeline_id", gidUUID).Immutable(),
		field.String("key").NotEmpty().MaxRuneLen(63).Immutable(),
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.Int("position").Default(0),
		field.Enum("kind").Values("OPEN", "WON", "LOST").Default("OPEN").
			Annotations(entgql.Type("StageKind")),
		field.Int("probability").Default(0).Min(0).Max(100),
		field.Int("rot_days").Optional().Nillable().Positive(),
		field.Enum("funnel_step").Values("LISTED", "DELIVERED", "INTERACTED", "INTENT", "DEAL", "REPURCHASE").
			Optional().Nillable().Annotations(entgql.Type("FunnelStep")),
		field.String("color").Default("").MaxRuneLen(32),
		field.Bool("archived").Default(false),
	}
}

// Edges of the Stage.
func (Stage) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("pipeline", Pipeline.Type).Ref("stages").Field("pipeline_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Stage.
func (Stage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "pipeline_id", "key").Unique()}
}
