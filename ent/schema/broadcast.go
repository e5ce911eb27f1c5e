package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/gid"
)

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
		// segment_id is whom a broadcast goes to; a journey's sendMessage step
		// sends to the leads at the step instead (journey_id, no segment).
		field.UUID("segment_id", gidUUID).Optional().Nillable(),
		field.UUID("journey_id", gidUUID).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.String("channel").NotEmpty().MaxRuneLen(50),
		field.String("subject").Default("").MaxRuneLen(500),
		field.Text("template"),
		// attachments go with every WeCom mass-send template of the broadcast
		// (add_msg_template: images, links, mini-programs; at most 9); only a
		// broadcast on the wecom channel has them.
		field.JSON("attachments", []schematype.WelcomeAttachment{}).Optional().Annotations(entgql.Skip()),
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
		edge.To("segment", Segment.Type).Field("segment_id").Unique(),
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
		index.Fields("tenant_id", "journey_id"),
	}
}

// Annotations of the Broadcast.
func (Broadcast) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection(), entgql.QueryField("broadcasts")}
}
