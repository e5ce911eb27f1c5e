package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// OutboxTask is an Asynq task a change asked for, written in the change's
// own transaction (the transactional outbox): it exists exactly when the
// change committed, whatever happens to the process or to Redis after the
// commit. A relay in every api and worker process hands unsent rows to
// Asynq under a task id derived from the row and marks them sent; sent rows
// are purged after a week by a periodic job. See jobs/outbox.go.
type OutboxTask struct{ ent.Schema }

// Mixin of the OutboxTask.
func (OutboxTask) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.OutboxTask}, TenantMixin{}}
}

// Fields of the OutboxTask. The Asynq options a task can carry through the
// outbox are the columns below; process_at is absolute, so a task asked to
// run "in 5s" does not wait longer because the relay was late.
func (OutboxTask) Fields() []ent.Field {
	return []ent.Field{
		field.String("task_type").NotEmpty().Immutable(),
		field.Bytes("payload").Optional().Immutable(),
		field.String("queue").Default("default").Immutable(),
		// task_id is the caller's Asynq task id (at most one queued task per
		// segment, broadcast...); without one the relay uses the row's id.
		field.String("task_id").Optional().Nillable().Immutable(),
		field.Int("max_retry").Optional().Nillable().Immutable(),
		field.Int("timeout_seconds").Optional().Nillable().Immutable(),
		field.Int("retention_seconds").Optional().Nillable().Immutable(),
		field.Time("process_at").Optional().Nillable().Immutable(),
		field.Time("created_at").Immutable(),
		// sent_at is set once Asynq has the task (or already had it).
		field.Time("sent_at").Optional().Nillable(),
		// attempts counts the hand-offs Redis refused for a reason other
		// than being unavailable; the relay gives up after a few.
		field.Int("attempts").Default(0),
		field.String("last_error").Default(""),
	}
}

// Indexes of the OutboxTask. The relay's index is global, not led by
// tenant_id: the relay is a sweep over every workspace, like the periodic
// jobs, and the index only holds the unsent rows.
func (OutboxTask) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at").StorageKey("outbox_tasks_unsent").
			Annotations(entsql.IndexWhere("sent_at IS NULL")),
	}
}

// Annotations of the OutboxTask: internal, not part of the GraphQL API.
func (OutboxTask) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
