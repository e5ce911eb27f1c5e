package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
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
		// enrollment_id, journey_id and lead_id are the claimed enrolment's,
		// written by the scheduler from the row it holds locked in the same
		// transaction, so they name an enrolment that exists; they have no
		// foreign keys: each key cost a check per step run about as long as
		// a third of the insert (at 100,000 leads 2.7 s for the key to
		// leads, 2.9 s for the one to enrollments, of a 9.5 s insert), five
		// runs a lead, and enrolments are never deleted (journeys are
		// archived), so no cascade is needed. The unique (enrolment, step)
		// index is what makes a step run at most once.
		field.UUID("enrollment_id", gidUUID).Immutable(),
		field.UUID("journey_id", gidUUID).Immutable(),
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
