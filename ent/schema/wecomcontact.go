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

// WeComContact is one WeCom relationship (企业微信客户): the customer with
// external_user_id is an external contact of the member linked to user. The
// customer is a lead; lost_at is set when the customer deleted the member
// (流失), removed_at when the member deleted the customer.
type WeComContact struct{ ent.Schema }

// Mixin of the WeComContact.
func (WeComContact) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.WeComContact}, TenantMixin{}, TimeMixin{}}
}

// Fields of the WeComContact.
func (WeComContact) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", gidUUID),
		field.UUID("lead_id", gidUUID).Optional().Nillable(),
		field.String("external_user_id").NotEmpty().MaxRuneLen(64).Immutable(),
		// state is the add's State (the contact-way code it came through).
		field.String("state").Default("").MaxRuneLen(64),
		field.Time("added_at"),
		field.Time("lost_at").Optional().Nillable(),
		field.Time("removed_at").Optional().Nillable(),
	}
}

// Edges of the WeComContact.
func (WeComContact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required(),
		edge.From("lead", Lead.Type).Ref("wecom_contacts").Field("lead_id").Unique(),
	}
}

// Indexes of the WeComContact.
func (WeComContact) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "user_id", "external_user_id").Unique(),
		index.Fields("tenant_id", "external_user_id"),
		index.Fields("tenant_id", "lead_id"),
	}
}

// Annotations of the WeComContact.
func (WeComContact) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entsql.Annotation{Table: "wecom_contacts"}, entgql.Type("WeComContact")}
}
