package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Deal is a closed sale (成交) of a lead. The first deal of a lead counts as
// DEAL in the funnel, later ones as REPURCHASE.
type Deal struct{ ent.Schema }

// Mixin of the Deal.
func (Deal) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Deal}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Deal.
func (Deal) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID),
		// owner is the rep credited with the deal: the lead's owner when it closed.
		field.UUID("owner_id", gidUUID).Optional().Nillable(),
		field.Float("amount").SchemaType(map[string]string{"postgres": "numeric(18,2)"}).
			Annotations(entgql.OrderField("AMOUNT")),
		field.String("currency").Default("CNY").MaxRuneLen(3),
		field.Time("closed_at").Annotations(entgql.OrderField("CLOSED_AT")),
		// repurchase marks every deal of a lead after its first (复购).
		field.Bool("repurchase").Default(false),
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable().
			Annotations(entgql.Skip()),
	}
}

// Edges of the Deal.
func (Deal) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("deals").Field("lead_id").Unique().Required(),
		edge.To("owner", User.Type).Field("owner_id").Unique(),
	}
}

// Indexes of the Deal.
func (Deal) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "lead_id", "closed_at"),
		index.Fields("tenant_id", "owner_id", "closed_at"),
		index.Fields("tenant_id", "closed_at"),
	}
}
