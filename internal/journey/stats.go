package journey

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/enrollment"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/predicate"
	"github.com/scrmhq/scrm/ent/steprun"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/scope"
)

// Stats counts a journey's enrolments by status.
type Stats struct {
	Enrolled, Active, Completed, Exited, Failed int
}

// StepStats counts what happened at one step of the current version.
type StepStats struct {
	Index int
	Kind  string
	// Reached: enrolments that ran the step or are at it now.
	Reached int
	// Completed, Exited, Failed: step runs by outcome (a skipped step is
	// reached and none of these).
	Completed, Exited, Failed int
}

// inScope is the caller's row scope over the lead of an enrolment or step
// run (none for system contexts).
func inScope(ctx context.Context) func(*sql.Selector) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil
	}
	return scope.Predicate(v)
}

// Enrollments is the query of a journey's enrolments among the leads the
// caller can see, optionally of one status, newest first by default.
func (s *Service) Enrollments(ctx context.Context, journeyID uuid.UUID, status *enrollment.Status) *ent.EnrollmentQuery {
	q := s.DB(ctx).Enrollment.Query().Where(enrollment.JourneyID(journeyID))
	if p := inScope(ctx); p != nil {
		q.Where(enrollment.HasLeadWith(predicate.Lead(p)))
	}
	if status != nil {
		q.Where(enrollment.StatusEQ(*status))
	}
	return q
}

// Stats counts the journey's enrolments (all versions) among the leads the
// caller can see.
func (s *Service) Stats(ctx context.Context, journeyID uuid.UUID) (*Stats, error) {
	var rows []struct {
		Status enrollment.Status `json:"status"`
		Count  int               `json:"count"`
	}
	err := s.Enrollments(ctx, journeyID, nil).GroupBy(enrollment.FieldStatus).Aggregate(ent.Count()).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	st := &Stats{}
	for _, r := range rows {
		st.Enrolled += r.Count
		switch r.Status {
		case enrollment.StatusACTIVE:
			st.Active = r.Count
		case enrollment.StatusCOMPLETED:
			st.Completed = r.Count
		case enrollment.StatusEXITED:
			st.Exited = r.Count
		case enrollment.StatusFAILED:
			st.Failed = r.Count
		}
	}
	return st, nil
}

// Steps counts, for each step of the journey's current version, the step
// runs by outcome and the enrolments waiting at it, by step index over all
// versions, among the leads the caller can see.
func (s *Service) Steps(ctx context.Context, j *ent.Journey) ([]StepStats, error) {
	c := s.DB(ctx)
	if j.VersionID == nil {
		return nil, nil
	}
	ver, err := c.JourneyVersion.Get(ctx, *j.VersionID)
	if err != nil {
		return nil, err
	}
	out := make([]StepStats, len(ver.Steps))
	for i, st := range ver.Steps {
		out[i] = StepStats{Index: i, Kind: st.Kind()}
	}
	runs := c.StepRun.Query().Where(steprun.JourneyID(j.ID))
	if p := inScope(ctx); p != nil {
		// Step runs name their lead without a foreign key (the enrolment's
		// implies it), so not through an edge.
		runs.Where(func(s *sql.Selector) {
			t := sql.Table(lead.Table)
			visible := sql.Select(t.C(lead.FieldID)).From(t)
			p(visible)
			s.Where(sql.In(s.C(steprun.FieldLeadID), visible))
		})
	}
	var byOutcome []struct {
		StepIndex int             `json:"step_index"`
		Outcome   steprun.Outcome `json:"outcome"`
		Count     int             `json:"count"`
	}
	if err := runs.GroupBy(steprun.FieldStepIndex, steprun.FieldOutcome).Aggregate(ent.Count()).Scan(ctx, &byOutcome); err != nil {
		return nil, err
	}
	for _, r := range byOutcome {
		if r.StepIndex < 0 || r.StepIndex >= len(out) {
			continue
		}
		o := &out[r.StepIndex]
		o.Reached += r.Count
		switch r.Outcome {
		case steprun.OutcomeCOMPLETED:
			o.Completed += r.Count
		case steprun.OutcomeEXITED:
			o.Exited += r.Count
		case steprun.OutcomeFAILED:
			o.Failed += r.Count
		}
	}
	var waiting []struct {
		StepIndex int `json:"step_index"`
		Count     int `json:"count"`
	}
	err = s.Enrollments(ctx, j.ID, ptr(enrollment.StatusACTIVE)).GroupBy(enrollment.FieldStepIndex).
		Aggregate(ent.Count()).Scan(ctx, &waiting)
	if err != nil {
		return nil, err
	}
	for _, r := range waiting {
		if r.StepIndex >= 0 && r.StepIndex < len(out) {
			out[r.StepIndex].Reached += r.Count
		}
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// Version returns the journey's current version.
func (s *Service) Version(ctx context.Context, j *ent.Journey) (*ent.JourneyVersion, error) {
	if j.VersionID == nil {
		return nil, fmt.Errorf("journey %s has no version", j.ID)
	}
	return s.DB(ctx).JourneyVersion.Get(ctx, *j.VersionID)
}
