package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Pipeline is a workspace-defined sales process: an ordered list of stages.
type Pipeline struct{ ent.Schema }

// Mixin of the Pipeline.
func (Pipeline) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Pipeline}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Pipeline.
func (Pipeline) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.Bool("is_default").Default(false),
		field.Int("position").Default(0),
		field.Bool("archived").Default(false),
	}
}

// Edges of the Pipeline.
func (Pipeline) Edges() []ent.Edge {
	return []ent.Edge{
		// Exposed by a hand-written resolver that orders stages by position.
		edge.To("stages", Stage.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the Pipeline.
func (Pipeline) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "name").Unique(),
		// At most one default pipeline per workspace, enforced by the database.
		index.Fields("tenant_id").Unique().Annotations(entsql.IndexWhere("is_default")),
	}
}

// Annotations of the Pipeline.
func (Pipeline) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("pipelines")}
}

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

// LostReason is one entry of the workspace's list of reasons a lead was lost.
type LostReason struct{ ent.Schema }

// Mixin of the LostReason.
func (LostReason) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.LostReason}, TenantMixin{}, TimeMixin{}}
}

// Fields of the LostReason.
func (LostReason) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.Int("position").Default(0),
		field.Bool("archived").Default(false),
	}
}

// Indexes of the LostReason.
func (LostReason) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Annotations of the LostReason.
func (LostReason) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("lostReasons")}
}

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
