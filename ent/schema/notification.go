package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Notification tells a user something happened to their work, e.g. that a
// duplicate of a lead they own arrived. Delivered over the API (and pushed on
// Redis for live clients) by an Asynq task.
type Notification struct{ ent.Schema }

// Mixin of the Notification.
func (Notification) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Notification}, TenantMixin{}}
}

// Fields of the Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", gidUUID).Immutable(),
		field.String("kind").MaxRuneLen(100).Immutable(),
		field.UUID("lead_id", gidUUID).Optional().Nillable().Immutable(),
		// task_id is the task a task.* notification is about (its link opens
		// the task in the task centre); none for one that counts several
		// tasks (a journey's step giving a rep many at once).
		field.UUID("task_id", gidUUID).Optional().Nillable().Immutable(),
		field.String("message").MaxRuneLen(1000).Immutable(),
		field.Time("created_at").Immutable().Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("delivered_at").Optional().Nillable(),
		field.Time("read_at").Optional().Nillable(),
	}
}

// Edges of the Notification.
func (Notification) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
		edge.To("lead", Lead.Type).Field("lead_id").Unique().Immutable(),
		edge.To("task", Task.Type).Field("task_id").Unique().Immutable(),
	}
}

// Indexes of the Notification.
func (Notification) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "user_id", "created_at"),
	}
}
