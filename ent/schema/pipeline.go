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
