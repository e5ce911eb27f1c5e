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

// AssignmentRule routes new leads to reps (分配规则). Enabled rules are tried
// by priority (lowest first); the first whose condition matches a lead picks a
// rep with its strategy among its eligible targets, or sends the lead to its
// fallback pool.
type AssignmentRule struct{ ent.Schema }

// Mixin of the AssignmentRule.
func (AssignmentRule) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.AssignmentRule}, TenantMixin{}, TimeMixin{}}
}

// Fields of the AssignmentRule.
func (AssignmentRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.Int("priority").Default(100).
			Annotations(entgql.OrderField("PRIORITY")),
		// condition is a CEL expression over the lead (see docs/rules.md);
		// empty matches every lead.
		field.String("condition").Default("").MaxLen(4000),
		field.Enum("strategy").
			Values("ROUND_ROBIN", "WEIGHTED", "LEAST_LOADED", "SCORE_TIER", "ORIGINAL_OWNER", "TERRITORY").
			Annotations(entgql.Type("AssignmentStrategy")),
		// daily_cap is how many leads one rep may receive from this rule per
		// day (the workspace's time zone).
		field.Int("daily_cap").Optional().Nillable().Positive(),
		field.UUID("fallback_pool_id", gidUUID).Optional().Nillable(),
		field.Bool("enabled").Default(true),
		// cursor is the round-robin position, advanced under the rule's row
		// lock so rounds stay fair across processes.
		field.Int64("cursor").Default(0).Annotations(entgql.Skip()),
	}
}

// Edges of the AssignmentRule.
func (AssignmentRule) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("fallback_pool", Pool.Type).Field("fallback_pool_id").Unique(),
		edge.To("targets", AssignmentTarget.Type).
			Annotations(entgql.Skip(entgql.SkipWhereInput), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the AssignmentRule.
func (AssignmentRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Annotations of the AssignmentRule.
func (AssignmentRule) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("assignmentRules")}
}
