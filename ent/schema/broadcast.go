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

// Channel is a workspace's configuration of one channel plugin (webhook,
// email, sms, wecom). Secret keys of the config are stored encrypted, apart
// from the rest.
type Channel struct{ ent.Schema }

// Mixin of the Channel.
func (Channel) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Channel}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Channel.
func (Channel) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().MaxRuneLen(50).Immutable(),
		field.Bool("enabled").Default(true),
		// config is the plugin's configuration without its secret keys.
		field.JSON("config", map[string]any{}).Default(map[string]any{}).
			Annotations(entgql.Skip()),
		// secrets is the AES-GCM sealed JSON of the secret keys.
		field.Bytes("secrets").Optional().Sensitive().
			Annotations(entgql.Skip()),
	}
}

// Indexes of the Channel.
func (Channel) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "key").Unique()}
}

// Annotations of the Channel.
func (Channel) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField("channels")}
}

// Broadcast (群发) is a message to a segment's members over one channel, at
// a scheduled time, planned into one Delivery per lead.
type Broadcast struct{ ent.Schema }

// Mixin of the Broadcast.
func (Broadcast) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Broadcast}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Broadcast.
func (Broadcast) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.UUID("segment_id", gidUUID),
		field.String("channel").NotEmpty().MaxRuneLen(50),
		field.String("subject").Default("").MaxRuneLen(500),
		field.Text("template"),
		// SCHEDULED → PLANNING → SENDING (PAUSED in quiet hours) → DONE;
		// CANCELLED before it ends; FAILED when planning cannot finish.
		field.Enum("status").Values("SCHEDULED", "PLANNING", "SENDING", "PAUSED", "DONE", "CANCELLED", "FAILED").
			Default("SCHEDULED").Annotations(entgql.Type("BroadcastStatus")),
		field.Time("scheduled_at"),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
		// frequency cap: at most cap_max messages per lead over cap_days,
		// across the workspace's broadcasts.
		field.Int("cap_max").Optional().Nillable().Positive().Annotations(entgql.Skip()),
		field.Int("cap_days").Optional().Nillable().Positive().Annotations(entgql.Skip()),
		// quiet hours "HH:MM"–"HH:MM" in quiet_timezone (the workspace's by default).
		field.String("quiet_start").Optional().Nillable().Annotations(entgql.Skip()),
		field.String("quiet_end").Optional().Nillable().Annotations(entgql.Skip()),
		field.String("quiet_timezone").Optional().Nillable().Annotations(entgql.Skip()),
		field.Int("rate_per_second").Default(50).Positive(),
		// cron repeats the broadcast: each run, when it starts, schedules the
		// next as a new broadcast of the same series. Empty: once.
		field.String("cron").Default("").MaxRuneLen(100),
		// series_id is the first run of a recurring broadcast (its own id for
		// the first); cancelling a run cancels the series' scheduled runs.
		field.UUID("series_id", gidUUID).Optional().Nillable().Immutable().
			Annotations(entgql.Type("ID")),
		field.String("error").Optional().Nillable().MaxRuneLen(2000),
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable(),
	}
}

// Edges of the Broadcast.
func (Broadcast) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("segment", Segment.Type).Field("segment_id").Unique().Required(),
		edge.To("created_by", User.Type).Field("created_by_id").Unique().Immutable(),
		edge.To("deliveries", Delivery.Type).
			Annotations(entgql.Skip(), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Broadcast.
func (Broadcast) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "status"),
		index.Fields("tenant_id", "segment_id"),
	}
}

// Annotations of the Broadcast.
func (Broadcast) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection(), entgql.QueryField("broadcasts")}
}

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
