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
	if len(journeys) == 0 || len(leads) == 0 {
		return 0, nil
	}
	rows, err := c.QueryContext(ctx, enrolQuery, tid, txn.UUIDArray(journeys), txn.UUIDArray(leads), s.Now(), enrollmentType)
	if err != nil {
		return 0, fmt.Errorf("journey: enrol: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("journey: enrol: %w", err)
	}
	if n > 0 && s.Queue != nil {
		if err := s.Queue.EnqueueJourneyRun(ent.NewContext(ctx, c), tid); err != nil {
			return 0, err
		}
	}
	return n, nil
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
