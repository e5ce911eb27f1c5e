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

// Enrollment is one lead's run through a journey version: the step it is at
// and when that step is due. A lead has at most one ACTIVE enrolment per
// journey (a partial unique index); whether it may enrol again after it left
// is the journey's reentry.
type Enrollment struct{ ent.Schema }

// Mixin of the Enrollment.
func (Enrollment) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Enrollment}, TenantMixin{}}
}

// Fields of the Enrollment.
func (Enrollment) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("journey_id", gidUUID).Immutable().Annotations(entgql.Skip()),
		field.UUID("version_id", gidUUID).Immutable().Annotations(entgql.Skip()),
		field.UUID("lead_id", gidUUID).Immutable().Annotations(entgql.Skip()),
		// ACTIVE runs steps; COMPLETED ran them all; EXITED left by the exit
		// rule or a condition; FAILED stopped at a step that could not run.
		field.Enum("status").Values("ACTIVE", "COMPLETED", "EXITED", "FAILED").Default("ACTIVE").
			Annotations(entgql.Type("EnrollmentStatus")),
		// step_index is the step the lead is at (the next to run).
		field.Int("step_index").Default(0),
		// step_started_at is when the lead reached that step (a wait counts
		// from it); next_run_at is when the engine looks at it next (ACTIVE
		// only).
		field.Time("step_started_at").Annotations(entgql.Skip()),
		field.Time("next_run_at").Optional().Nillable(),
		field.Time("entered_at").Immutable(),
		field.Time("left_at").Optional().Nillable(),
		field.String("error").Optional().Nillable().MaxRuneLen(2000),
	}
}

// Edges of the Enrollment.
func (Enrollment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("journey", Journey.Type).Ref("enrollments").Field("journey_id").Unique().Required().Immutable().
			Annotations(entgql.Skip()),
		edge.To("version", JourneyVersion.Type).Field("version_id").Unique().Required().Immutable().
			Annotations(entgql.Skip()),
		edge.To("lead", Lead.Type).Field("lead_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Enrollment.
func (Enrollment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "journey_id", "lead_id").Unique().
			Annotations(entsql.IndexWhere("status = 'ACTIVE'")),
		// the scheduler's due scan
		index.Fields("tenant_id", "next_run_at").
			Annotations(entsql.IndexWhere("status = 'ACTIVE'")),
		index.Fields("tenant_id", "journey_id", "status"),
		index.Fields("tenant_id", "lead_id"),
	}
}

// Annotations of the Enrollment.
func (Enrollment) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection()}
}
