package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// StepRun records that an enrolment ran a step, written in the transaction
// of the step's effect: (enrollment, step_index) is unique, so a step runs
// at most once whatever the number of workers and retries.
type StepRun struct{ ent.Schema }

// Mixin of the StepRun.
func (StepRun) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.StepRun}, TenantMixin{}}
}

// Fields of the StepRun.
func (StepRun) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("enrollment_id", gidUUID).Immutable(),
		field.UUID("journey_id", gidUUID).Immutable(),
		// lead_id is the enrolment's lead (the run is written from the
		// claimed enrolment row). It has no foreign key of its own: the key
		// to enrollments already implies it (a lead with enrolments cannot be
		// deleted), and checking a second key per step run cost as much as
		// the enrolment's (about 2.7 s of a 100,000-lead journey pass).
		field.UUID("lead_id", gidUUID).Immutable(),
		field.Int("step_index").Immutable(),
		field.String("kind").Immutable(),
		// COMPLETED: the step's effect happened (a condition matched, or did
		// not and SKIP_NEXT sent the lead on); SKIPPED: a condition skipped
		// it; EXITED: the lead left here (exit rule, condition); FAILED: it
		// could not run.
		field.Enum("outcome").Values("COMPLETED", "SKIPPED", "EXITED", "FAILED").Immutable(),
		field.Time("ran_at").Immutable(),
		field.String("error").Optional().Nillable().MaxRuneLen(2000).Immutable(),
	}
}

// Edges of the StepRun.
func (StepRun) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("enrollment", Enrollment.Type).Ref("step_runs").Field("enrollment_id").Unique().Required().Immutable(),
	}
}

// Indexes of the StepRun.
func (StepRun) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "enrollment_id", "step_index").Unique(),
		index.Fields("tenant_id", "journey_id", "step_index", "outcome"),
	}
}

// Annotations of the StepRun.
func (StepRun) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
