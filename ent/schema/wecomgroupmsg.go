package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/gid"
)

// WeComGroupMsg is one WeCom mass-send template (客户群发, add_msg_template)
// of a broadcast on the wecom channel: one sending member, one text, up to
// WeCom's limit of customers. It is PLANNED with its deliveries before WeCom
// is asked; attempted_at is set (and committed) before each call, so a
// template whose answer was lost is found again in WeCom's list instead of
// being made twice; CREATED holds WeCom's msgid until the member has sent
// it and every customer's result is known (DONE), or it expires. Its member
// may be reminded to send it (reminded_at).
type WeComGroupMsg struct{ ent.Schema }

// Mixin of the WeComGroupMsg.
func (WeComGroupMsg) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.WeComGroupMsg}, TenantMixin{}, TimeMixin{}}
}

// Fields of the WeComGroupMsg.
func (WeComGroupMsg) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("broadcast_id", gidUUID).Immutable(),
		field.UUID("sender_user_id", gidUUID).Immutable(),
		field.String("sender").MaxRuneLen(64).Immutable(),
		field.Text("content").Immutable(),
		field.JSON("external_user_ids", []string{}).Immutable(),
		field.JSON("delivery_ids", []uuid.UUID{}).Immutable(),
		field.Enum("status").Values("PLANNED", "CREATED", "DONE", "EXPIRED", "FAILED", "CANCELLED").Default("PLANNED"),
		field.String("msgid").Optional().Nillable().MaxRuneLen(128),
		field.Time("attempted_at").Optional().Nillable(),
		field.Time("created_in_wecom_at").Optional().Nillable(),
		field.Time("checked_at").Optional().Nillable(),
		field.String("error").Optional().Nillable().MaxRuneLen(500),
		// reminded_at are the times its member was reminded to send it
		// (remind_groupmsg_send; WeCom allows three in 24 hours), each
		// recorded before the call.
		field.JSON("reminded_at", []time.Time{}).Optional(),
	}
}

// Indexes of the WeComGroupMsg.
func (WeComGroupMsg) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "broadcast_id", "status"),
	}
}

// Annotations of the WeComGroupMsg: internal, not part of the GraphQL API.
func (WeComGroupMsg) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entsql.Annotation{Table: "wecom_group_msgs"}, entgql.Skip(entgql.SkipAll)}
}
