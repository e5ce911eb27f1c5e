package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// AssignmentTarget is a rep an assignment rule may pick, with a weight for
// WEIGHTED rules.
type AssignmentTarget struct{ ent.Schema }

// Mixin of the AssignmentTarget.
func (AssignmentTarget) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.AssignmentTarget}, TenantMixin{}}
}

// Fields of the AssignmentTarget.
func (AssignmentTarget) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("rule_id", gidUUID).Immutable(),
		field.UUID("user_id", gidUUID).Immutable(),
		field.Int("weight").Default(1).Positive(),
		// current is the smooth weighted round-robin state of the target.
		field.Int64("current").Default(0).Annotations(entgql.Skip()),
	}
}

// Edges of the AssignmentTarget.
func (AssignmentTarget) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("rule", AssignmentRule.Type).Ref("targets").Field("rule_id").Unique().Required().Immutable(),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the AssignmentTarget.
func (AssignmentTarget) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "rule_id", "user_id").Unique()}
}

// Annotations of the AssignmentTarget.
func (AssignmentTarget) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField)}
}
