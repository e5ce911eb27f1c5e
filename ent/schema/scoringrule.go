package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// ScoringRule gives points to leads matching a condition (打分规则); the
// points fade linearly to zero over decay_days after the lead started
// matching.
type ScoringRule struct{ ent.Schema }

// Mixin of the ScoringRule.
func (ScoringRule) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.ScoringRule}, TenantMixin{}, TimeMixin{}}
}

// Fields of the ScoringRule.
func (ScoringRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.String("condition").NotEmpty().MaxLen(4000),
		field.Int("points").Range(-1000, 1000),
		field.Int("decay_days").Optional().Nillable().Positive(),
		field.Bool("enabled").Default(true),
	}
}

// Indexes of the ScoringRule.
func (ScoringRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Annotations of the ScoringRule.
func (ScoringRule) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("scoringRules")}
}
