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

// Delivery is one lead's message of a broadcast: PENDING → SENDING (claimed
// by one worker) → SENT → DELIVERED or FAILED, REPLIED from inbound
// callbacks; or suppressed when planned. (broadcast, lead) is unique.
type Delivery struct{ ent.Schema }

// Mixin of the Delivery.
func (Delivery) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Delivery}, TenantMixin{}}
}

// Fields of the Delivery.
func (Delivery) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("broadcast_id", gidUUID).Immutable(),
		field.UUID("lead_id", gidUUID).Immutable(),
		field.Enum("status").Values("PENDING", "SUPPRESSED_DND", "SUPPRESSED_BLACKLIST", "SUPPRESSED_CAP",
			"UNREACHABLE", "SENDING", "SENT", "DELIVERED", "FAILED", "REPLIED").Default("PENDING").
			Annotations(entgql.Type("DeliveryStatus")),
		field.String("provider_message_id").Optional().Nillable(),
		field.Int("attempts").Default(0),
		// claimed_at is when a worker took the row to send it; a row left
		// SENDING past the lease is resent with the same idempotency key.
		field.Time("claimed_at").Optional().Nillable(),
		field.Time("sent_at").Optional().Nillable(),
		field.Time("delivered_at").Optional().Nillable(),
		field.Time("replied_at").Optional().Nillable(),
		field.String("reply").Optional().Nillable().MaxRuneLen(2000),
		field.String("error").Optional().Nillable().MaxRuneLen(2000),
	}
}

// Edges of the Delivery.
func (Delivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("broadcast", Broadcast.Type).Ref("deliveries").Field("broadcast_id").Unique().Required().Immutable(),
		edge.To("lead", Lead.Type).Field("lead_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Delivery.
func (Delivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "broadcast_id", "lead_id").Unique(),
		index.Fields("tenant_id", "broadcast_id", "status"),
		// frequency caps: messages per lead since a time, across broadcasts.
		// Partial, like the next one, so planning (rows not sent yet) does not
		// write them.
		index.Fields("tenant_id", "lead_id", "sent_at").
			Annotations(entsql.IndexWhere("sent_at IS NOT NULL")),
		index.Fields("tenant_id", "provider_message_id").
			Annotations(entsql.IndexWhere("provider_message_id IS NOT NULL")),
	}
}

// Annotations of the Delivery.
func (Delivery) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
