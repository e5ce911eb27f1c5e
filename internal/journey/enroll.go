package journey

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/journey"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// enrollmentType is the type bytes of enrolment ids made in SQL.
var enrollmentType = typeBytes(gid.Enrollment)

func typeBytes(t gid.Type) []byte {
	id := gid.New(t)
	return id[6:8]
}

// enrolSQL enrols the ACTIVE leads $3 in the journeys $2 (ACTIVE or PAUSED)
// at their current versions, step 0 due now ($4), in one statement. A lead
// already active in a journey is skipped by the partial unique index (so
// concurrent enrolments of one lead cannot both land), and one that left a
// journey without reentry by the NOT EXISTS. It returns the enrolments
// made.
const enrolSQL = `
WITH j AS (
	SELECT id, version_id, reentry FROM journeys
	WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status IN ('ACTIVE', 'PAUSED') AND version_id IS NOT NULL
), l AS (
	SELECT id FROM leads WHERE tenant_id = $1 AND id = ANY($3::uuid[]) AND status = 'ACTIVE'
)
INSERT INTO enrollments (id, tenant_id, journey_id, version_id, lead_id, status, step_index, step_started_at, next_run_at, entered_at)
SELECT ` + "%s" + `, $1, j.id, j.version_id, l.id, 'ACTIVE', 0, $4, $4, $4
FROM j CROSS JOIN l
WHERE j.reentry OR NOT EXISTS (
	SELECT 1 FROM enrollments p WHERE p.tenant_id = $1 AND p.journey_id = j.id AND p.lead_id = l.id)
ON CONFLICT (tenant_id, journey_id, lead_id) WHERE status = 'ACTIVE' DO NOTHING
RETURNING lead_id`

var enrolQuery = fmt.Sprintf(enrolSQL, gid.NewSQL("$4::timestamptz", "$5::bytea"))

// enrol runs enrolSQL in c and returns how many enrolments it made.
func (s *Service) enrol(ctx context.Context, c *ent.Client, tid uuid.UUID, journeys, leads []uuid.UUID) (int, error) {
	made, err := s.enrolled(ctx, c, tid, journeys, leads)
	return len(made), err
}

// enrolled runs enrolSQL in c and returns the leads of the enrolments it
// made.
func (s *Service) enrolled(ctx context.Context, c *ent.Client, tid uuid.UUID, journeys, leads []uuid.UUID) ([]uuid.UUID, error) {
	if len(journeys) == 0 || len(leads) == 0 {
		return nil, nil
	}
	rows, err := c.QueryContext(ctx, enrolQuery, tid, txn.UUIDArray(journeys), txn.UUIDArray(leads), s.Now(), enrollmentType)
	if err != nil {
		return nil, fmt.Errorf("journey: enrol: %w", err)
	}
	defer rows.Close()
	var made []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		made = append(made, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journey: enrol: %w", err)
	}
	if len(made) > 0 && s.Queue != nil {
		if err := s.Queue.EnqueueJourneyRun(ent.NewContext(ctx, c), tid); err != nil {
			return nil, err
		}
	}
	return made, nil
}

// Enrolled is what EnrollLeads did.
type Enrolled struct {
	Enrolled int
	// Skipped were already active in the journey, left it without reentry,
	// or are not active leads.
	Skipped int
}

// EnrollLeads enrols leads in an ACTIVE or PAUSED journey (a paused one
// runs them when it resumes), whatever its trigger. Every lead must be in
// the caller's write scope (NOT_FOUND or FORBIDDEN at leadIDs[i], nothing
// enrolled otherwise); at most MaxLeads per call.
func (s *Service) EnrollLeads(ctx context.Context, journeyID uuid.UUID, leadIDs []uuid.UUID) (*Enrolled, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case len(leadIDs) == 0:
		return nil, apperr.Input("leadIDs", "at least one lead is required")
	case len(leadIDs) > MaxLeads:
		return nil, apperr.Input("leadIDs", "at most %d leads per call", MaxLeads)
	}
	distinct := uniq(leadIDs)
	out := &Enrolled{}
	err = txn.WithTx(ctx, s.DB(ctx), func(c *ent.Client) error {
		j, err := c.Journey.Query().Where(journey.ID(journeyID)).ForShare().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "journeyID", "journey not found")
		}
		if err != nil {
			return err
		}
		if j.Status != journey.StatusACTIVE && j.Status != journey.StatusPAUSED {
			return apperr.New(apperr.Conflict, "journeyID", "the journey is %s: only an active or paused journey enrols leads", j.Status)
		}
		if err := scope.CheckLeads(ctx, c, scope.Write, "leadIDs", leadIDs); err != nil {
			return err
		}
		n, err := s.enrol(ctx, c, tid, []uuid.UUID{j.ID}, distinct)
		out.Enrolled, out.Skipped = n, len(distinct)-n
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// uniq returns ids without repeats, in first-seen order.
func uniq(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// CheckEnrolling is nil when the journey id enrols leads now (ACTIVE or
// PAUSED); else a NOT_FOUND or CONFLICT at field.
func (s *Service) CheckEnrolling(ctx context.Context, field string, id uuid.UUID) error {
	j, err := s.DB(ctx).Journey.Query().Where(journey.ID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, field, "journey not found")
	}
	if err != nil {
		return err
	}
	if j.Status != journey.StatusACTIVE && j.Status != journey.StatusPAUSED {
		return apperr.New(apperr.Conflict, field, "the journey is %s: only an active or paused journey enrols leads", j.Status)
	}
	return nil
}

// whyNotSQL says, for each lead of $3 that enrolSQL did not enrol in the
// journey $2, why: the lead is not active, it is already in the journey,
// or it left a journey that takes no one twice.
const whyNotSQL = `
SELECT l.id, CASE
	WHEN l.status <> 'ACTIVE' THEN 'lead ' || lower(l.status::text)
	WHEN EXISTS (SELECT 1 FROM enrollments e WHERE e.tenant_id = $1 AND e.journey_id = $2 AND e.lead_id = l.id AND e.status = 'ACTIVE') THEN 'active'
	ELSE 'left' END
FROM leads l WHERE l.tenant_id = $1 AND l.id = ANY($3::uuid[])`

// Refusal is why EnrollBatch did not enrol a lead: Reason, one of the
// Reason constants, for a client's own words, and Message in English.
type Refusal struct {
	Reason  string
	Message string
}

// The reasons of a Refusal.
const (
	// ReasonEnrolled: the lead is in the journey now.
	ReasonEnrolled = "ENROLLED"
	// ReasonEnrolledBefore: the lead has been in the journey, which takes
	// no one twice.
	ReasonEnrolledBefore = "ENROLLED_BEFORE"
	// ReasonLeadInactive: the lead is merged or archived.
	ReasonLeadInactive = apperr.ReasonLeadInactive
	// ReasonJourneyStopped: the journey is neither active nor paused, or
	// it was deleted.
	ReasonJourneyStopped = "JOURNEY_STOPPED"
)

// EnrollBatch enrols the leads ids, which the caller has locked and may
// change (a bulk update's batch), in the journey id, in the transaction of
// c, and returns why each lead it did not enrol was refused (a CONFLICT).
// A journey that stopped enrolling refuses them all.
func (s *Service) EnrollBatch(ctx context.Context, c *ent.Client, id uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Refusal, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	refused := map[uuid.UUID]Refusal{}
	j, err := c.Journey.Query().Where(journey.ID(id)).ForShare().Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	if j == nil || (j.Status != journey.StatusACTIVE && j.Status != journey.StatusPAUSED) {
		why := "the journey was deleted"
		if j != nil {
			why = fmt.Sprintf("the journey is %s: only an active or paused journey enrols leads", j.Status)
		}
		for _, l := range ids {
			refused[l] = Refusal{Reason: ReasonJourneyStopped, Message: why}
		}
		return refused, nil
	}
	made, err := s.enrolled(ctx, c, tid, []uuid.UUID{j.ID}, ids)
	if err != nil {
		return nil, err
	}
	rows, err := c.QueryContext(ctx, whyNotSQL+` AND NOT l.id = ANY($4::uuid[])`, tid, j.ID, txn.UUIDArray(ids), txn.UUIDArray(made))
	if err != nil {
		return nil, fmt.Errorf("journey: enrol batch: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l uuid.UUID
		var why string
		if err := rows.Scan(&l, &why); err != nil {
			return nil, err
		}
		switch why {
		case "active":
			refused[l] = Refusal{Reason: ReasonEnrolled, Message: "the lead is already in the journey"}
		case "left":
			refused[l] = Refusal{Reason: ReasonEnrolledBefore, Message: "the lead has been in the journey, which does not take a lead twice"}
		default:
			refused[l] = Refusal{Reason: ReasonLeadInactive, Message: "the lead is not active (" + why[len("lead "):] + ")"}
		}
	}
	return refused, rows.Err()
}
