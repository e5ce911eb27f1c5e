package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Task is one thing a user has to do (待办): a call a journey's createTask
// step asked of a lead's owner (kind TASK), or a follow-up promise made
// with a follow-up's nextFollowUpAt (kind FOLLOW_UP), which the next
// follow-up on the lead keeps. Only its assignee sees it, and users with
// task manage (internal/scope).
type Task struct{ ent.Schema }

// Mixin of the Task.
func (Task) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Task}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Task.
func (Task) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("TASK", "FOLLOW_UP").Default("TASK").Immutable().
			Annotations(entgql.Type("TaskKind")),
		field.String("title").MaxRuneLen(200),
		field.String("description").Default("").MaxRuneLen(2000),
		// OPEN until completed (DONE) or made moot (CANCELLED: its lead left,
		// was merged, or a newer promise replaced it).
		field.Enum("status").Values("OPEN", "DONE", "CANCELLED").Default("OPEN").
			Annotations(entgql.Type("TaskStatus")),
		field.Time("due_at").Annotations(entgql.OrderField("DUE_AT")),
		field.UUID("assignee_id", gidUUID).Annotations(entgql.Skip()),
		field.UUID("lead_id", gidUUID).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.UUID("journey_id", gidUUID).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		// enrollment_id and step_index name the journey step that created
		// the task: one task per (enrolment, step), whatever the retries.
		field.UUID("enrollment_id", gidUUID).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Int("step_index").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		// follow_up_id is the follow-up whose promise a FOLLOW_UP task is.
		field.UUID("follow_up_id", gidUUID).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		// created_by_id is who made it: the caller of createTask, the author
		// of a follow-up promise; null for a journey's task (journey says
		// which) and for tasks made before it was recorded.
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Time("completed_at").Optional().Nillable(),
		field.UUID("completed_by_id", gidUUID).Optional().Nillable().Annotations(entgql.Skip()),
		// note is what the assignee wrote on completing it.
		field.String("note").Optional().Nillable().MaxRuneLen(5000),
		// overdue_notified_at is when the assignee was told it is overdue
		// (once per task).
		field.Time("overdue_notified_at").Optional().Nillable().Annotations(entgql.Skip()),
	}
}

// Edges of the Task.
func (Task) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("assignee", User.Type).Field("assignee_id").Unique().Required(),
		edge.To("lead", Lead.Type).Field("lead_id").Unique().Immutable(),
		edge.To("journey", Journey.Type).Field("journey_id").Unique().Immutable(),
		edge.To("created_by", User.Type).Field("created_by_id").Unique().Immutable(),
		// completed_by is who completed or cancelled it (null for a promise
		// kept by a later follow-up, and for a cancel by an API key).
		edge.To("completed_by", User.Type).Field("completed_by_id").Unique(),
	}
}

// Indexes of the Task.
func (Task) Indexes() []ent.Index {
	return []ent.Index{
		// myTasks: the assignee's tasks of a status, oldest due first
		index.Fields("tenant_id", "assignee_id", "status", "due_at"),
		index.Fields("tenant_id", "lead_id", "status"),
		// the overdue pass
		index.Fields("tenant_id", "status", "due_at"),
		index.Fields("tenant_id", "enrollment_id", "step_index").Unique(),
	}
}

// Annotations of the Task: a Node with a connection (myTasks); no generic
// list field, filters or mutation inputs.
func (Task) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
