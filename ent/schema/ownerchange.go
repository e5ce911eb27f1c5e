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
		// the changes a rule made: deleting the rule sets their rule_id to
		// NULL, and without this index that is a scan of the history
		index.Fields("tenant_id", "rule_id").Annotations(entsql.IndexWhere("rule_id IS NOT NULL")),
	}
}

// Annotations of the OwnerChange.
func (OwnerChange) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection()}
}
