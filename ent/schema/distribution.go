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

// OwnerChange records one move of a lead's ownership (领取/释放/分配/回收):
// from a rep or pool to a rep or pool, by whom or by which rule, and why.
// Owners and these rows change in the same transaction.
type OwnerChange struct{ ent.Schema }

// Mixin of the OwnerChange.
func (OwnerChange) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.OwnerChange}, TenantMixin{}}
}

// Fields of the OwnerChange.
func (OwnerChange) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID).Immutable(),
		field.UUID("from_user_id", gidUUID).Optional().Nillable().Immutable(),
		field.UUID("to_user_id", gidUUID).Optional().Nillable().Immutable(),
		// pool is the lead's pool: where it came from on a claim, where it
		// went on a release or recycle.
		field.UUID("pool_id", gidUUID).Optional().Nillable().Immutable(),
		field.Enum("kind").Values("CLAIM", "RELEASE", "ASSIGN", "AUTO_ASSIGN", "RECYCLE").Immutable().
			Annotations(entgql.Type("OwnerChangeKind")),
		// by says who made the move: a user (actor), an assignment rule, or
		// the system (recycling, fallback pools).
		field.Enum("by").Values("USER", "RULE", "SYSTEM").Immutable().
			Annotations(entgql.Type("OwnerChangeBy")),
		field.UUID("actor_id", gidUUID).Optional().Nillable().Immutable(),
		field.UUID("rule_id", gidUUID).Optional().Nillable().Immutable(),
		field.String("reason").Default("").MaxRuneLen(1000).Immutable(),
		field.Time("at").Immutable(),
	}
}

// Edges of the OwnerChange.
func (OwnerChange) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("owner_changes").Field("lead_id").Unique().Required().Immutable(),
		edge.To("from_user", User.Type).Field("from_user_id").Unique().Immutable(),
		edge.To("to_user", User.Type).Field("to_user_id").Unique().Immutable(),
		edge.To("pool", Pool.Type).Field("pool_id").Unique().Immutable(),
		edge.To("actor", User.Type).Field("actor_id").Unique().Immutable(),
		edge.To("rule", AssignmentRule.Type).Field("rule_id").Unique().Immutable(),
	}
}

// Indexes of the OwnerChange.
func (OwnerChange) Indexes() []ent.Index {
	return []ent.Index{
		// a lead's history, and cooldowns (the last time a rep lost it)
		index.Fields("tenant_id", "lead_id", "at"),
		// a rep's claims and assignments today (daily limits and caps)
		index.Fields("tenant_id", "to_user_id", "at"),
	}
}

// Annotations of the OwnerChange.
func (OwnerChange) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection()}
}

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

// ScoreHit remembers since when a lead matches a scoring rule, which is
// where its points start to decay. A lead that stops matching loses the hit.
type ScoreHit struct{ ent.Schema }

// Mixin of the ScoreHit.
func (ScoreHit) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.ScoreHit}, TenantMixin{}}
}

// Fields of the ScoreHit.
func (ScoreHit) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID).Immutable(),
		field.UUID("rule_id", gidUUID).Immutable(),
		field.Time("matched_at"),
	}
}

// Indexes of the ScoreHit.
func (ScoreHit) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "lead_id", "rule_id").Unique(),
		index.Fields("tenant_id", "rule_id"),
	}
}

// Annotations of the ScoreHit.
func (ScoreHit) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
