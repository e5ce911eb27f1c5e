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

// Pool is a public pool (公海): leads owned by nobody, claimable by the reps
// of its teams and territories, with the rules that recycle stalled leads back.
type Pool struct{ ent.Schema }

// Mixin of the Pool.
func (Pool) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Pool}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Pool.
func (Pool) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.Bool("is_default").Default(false),
		field.Int("recycle_no_follow_up_days").Optional().Nillable().Positive(),
		field.Int("recycle_no_deal_days").Optional().Nillable().Positive(),
		field.Int("remind_before_days").Optional().Nillable().NonNegative(),
		field.Int("cooldown_days").Default(0).NonNegative(),
		field.Int("protection_days").Default(0).NonNegative(),
		// daily_claim_limit caps a rep's claims from this pool per day (the
		// workspace's time zone), on top of the rep's own limit.
		field.Int("daily_claim_limit").Optional().Nillable().NonNegative(),
	}
}

// Edges of the Pool.
func (Pool) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("territories", Territory.Type).Through("pool_territories", PoolTerritory.Type),
		edge.To("teams", Team.Type).Through("pool_teams", PoolTeam.Type),
		// admins manage the pool: they bypass its claim limits, cooldown and
		// protection.
		edge.To("admins", User.Type).Through("pool_admins", PoolAdmin.Type),
		edge.From("leads", Lead.Type).Ref("pool").Annotations(entgql.Skip()),
	}
}

// Indexes of the Pool.
func (Pool) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "name").Unique(),
		index.Fields("tenant_id").Unique().Annotations(entsql.IndexWhere("is_default")),
	}
}

// Annotations of the Pool.
func (Pool) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("pools")}
}
