package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// User is a person who signs in to a workspace: admin, manager, rep, analyst or
// a partner's staff. Roles name Casbin roles of the workspace.
type User struct{ ent.Schema }

// Mixin of the User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.User}, TenantMixin{}, TimeMixin{}}
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("email").NotEmpty().MaxRuneLen(254),
		field.String("password_hash").Sensitive().Annotations(entgql.Skip()),
		field.Strings("roles").Default([]string{}),
		// capacity is the private-pool size: how many open leads the rep may own.
		field.Int("capacity").Default(500).NonNegative(),
		field.Int("daily_claim_limit").Default(50).NonNegative(),
		field.Bool("active").Default(true),
		field.UUID("team_id", gidUUID).Optional().Nillable(),
		field.UUID("partner_id", gidUUID).Optional().Nillable(),
		field.Time("last_login_at").Optional().Nillable(),
		// wecom_user_id is the member's userid in the workspace's WeCom corp:
		// customers who add that member become this user's leads.
		field.String("wecom_user_id").Optional().Nillable().MaxRuneLen(64).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("team", Team.Type).Ref("members").Field("team_id").Unique(),
		edge.From("partner", Partner.Type).Ref("users").Field("partner_id").Unique(),
		edge.To("territories", Territory.Type).Through("user_territories", UserTerritory.Type),
		edge.From("leads", Lead.Type).Ref("owner").Annotations(entgql.Skip()),
		edge.From("admin_pools", Pool.Type).Ref("admins").Through("pool_admins", PoolAdmin.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "email").Unique(),
		index.Fields("tenant_id", "team_id"),
		index.Fields("tenant_id", "wecom_user_id").Unique(),
	}
}

// Annotations of the User.
func (User) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection(), entgql.QueryField("users")}
}
