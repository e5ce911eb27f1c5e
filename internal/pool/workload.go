package pool

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// Workload is how full a rep's private pool is and how many claims they
// have made today, the figures a claim is checked against.
type Workload struct {
	// OpenLeads are the ACTIVE leads the rep owns whose stage is unset or
	// OPEN: those that count against Capacity.
	OpenLeads int
	Capacity  int
	// ClaimsToday counts the rep's claims since local midnight in the
	// workspace's time zone, from every pool.
	ClaimsToday     int
	DailyClaimLimit int
	// This calendar month in the workspace's time zone, [MonthStart,
	// MonthEnd): the period of the rep's results this month.
	MonthStart, MonthEnd time.Time
	// Now is the time the counts were read at.
	Now time.Time
}

// Workload reads userID's workload, with the same counts a Claim checks.
// It reads without locks: a claim running at the same time may change it.
// An unknown user is NOT_FOUND at "userID".
func (s *Service) Workload(ctx context.Context, userID uuid.UUID) (*Workload, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	loc, err := s.location(ctx, tid)
	if err != nil {
		return nil, err
	}
	now := s.now()
	start, end := localDay(now, loc)
	rows, err := s.db(ctx).QueryContext(ctx, `
		SELECT u.capacity, u.daily_claim_limit,
			(SELECT count(*) FROM leads l
				LEFT JOIN stages s ON s.tenant_id = l.tenant_id AND s.id = l.stage_id
				WHERE l.tenant_id = u.tenant_id AND l.owner_id = u.id AND l.status = 'ACTIVE'
					AND (s.kind IS NULL OR s.kind = 'OPEN')),
			(SELECT count(*) FROM owner_changes oc
				WHERE oc.tenant_id = u.tenant_id AND oc.to_user_id = u.id AND oc.kind = 'CLAIM'
					AND oc.at >= $3 AND oc.at < $4)
		FROM users u WHERE u.tenant_id = $1 AND u.id = $2`, tid, userID, start, end)
	if err != nil {
		return nil, fmt.Errorf("pool: read workload: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, apperr.New(apperr.NotFound, "userID", "user not found")
	}
	y, m, _ := now.In(loc).Date()
	month := time.Date(y, m, 1, 0, 0, 0, 0, loc)
	w := Workload{MonthStart: month, MonthEnd: month.AddDate(0, 1, 0), Now: now}
	if err := rows.Scan(&w.Capacity, &w.DailyClaimLimit, &w.OpenLeads, &w.ClaimsToday); err != nil {
		return nil, err
	}
	return &w, rows.Close()
}

// localDay is the local calendar day of now in loc, as [start, end).
func localDay(now time.Time, loc *time.Location) (time.Time, time.Time) {
	y, m, d := now.In(loc).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 0, 1)
}

// ClaimBlock is why a claim of one public-pool lead by a rep would be
// refused, known before the claim is tried.
type ClaimBlock struct {
	LeadID uuid.UUID
	// Code is CodeNotAllowed or CodeCooldown.
	Code string
	// Until is when a COOLDOWN ends.
	Until *time.Time
}

// ClaimBlocks says which of ids, unowned ACTIVE leads of a public pool that
// the row scope in ctx shows, rep could not claim because of the lead itself:
// the pool is not open to rep's teams or territories (NOT_ALLOWED), or rep
// lost the lead less than the pool's cooldown ago (COOLDOWN, until when).
// Admins of the lead's pool are never blocked, as in Claim. Limits that
// depend on how many leads are claimed (daily limit, capacity) are the
// Workload's. Leads without a block, owned ones and unknown ids are left
// out. One query for all ids, without locks.
func (s *Service) ClaimBlocks(ctx context.Context, rep uuid.UUID, ids []uuid.UUID) ([]ClaimBlock, error) {
	ids, err := distinct(ids)
	if err != nil {
		return nil, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	c := s.db(ctx)
	// The row scope: only leads the caller may see are answered for.
	seen, err := c.Lead.Query().Where(lead.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("pool: read leads: %w", err)
	}
	if len(seen) == 0 {
		return []ClaimBlock{}, nil
	}
	now := s.now()
	rows, err := c.QueryContext(ctx, `
		WITH me AS (SELECT id, team_id FROM users WHERE tenant_id = $1 AND id = $3),
		pl AS (
			SELECT l.id, l.pool_id, p.cooldown_days,
				EXISTS (SELECT 1 FROM pool_admins pa WHERE pa.pool_id = p.id AND pa.user_id = $3) AS admin,
				(NOT EXISTS (SELECT 1 FROM pool_teams pt WHERE pt.pool_id = p.id)
					AND NOT EXISTS (SELECT 1 FROM pool_territories ptr WHERE ptr.pool_id = p.id))
				OR EXISTS (SELECT 1 FROM pool_teams pt, me WHERE pt.pool_id = p.id AND pt.team_id = me.team_id)
				OR EXISTS (SELECT 1 FROM pool_territories ptr
					JOIN territories pterr ON pterr.tenant_id = $1 AND pterr.id = ptr.territory_id
					JOIN territories mine ON mine.tenant_id = $1
						AND (mine.id = pterr.id OR (pterr.path <> '' AND mine.path LIKE pterr.path || '%'))
					JOIN user_territories ut ON ut.territory_id = mine.id AND ut.user_id = $3
					WHERE ptr.pool_id = p.id) AS allowed
			FROM leads l JOIN pools p ON p.tenant_id = l.tenant_id AND p.id = l.pool_id
			WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[]) AND l.status = 'ACTIVE' AND l.owner_id IS NULL
		)
		SELECT pl.id, CASE WHEN NOT pl.allowed THEN 'NOT_ALLOWED' ELSE 'COOLDOWN' END,
			CASE WHEN pl.allowed THEN lost.at + pl.cooldown_days * interval '24 hours' END
		FROM pl
		LEFT JOIN LATERAL (
			SELECT oc.at FROM owner_changes oc
			WHERE oc.tenant_id = $1 AND oc.lead_id = pl.id AND oc.from_user_id = $3
				AND oc.kind IN ('RELEASE', 'RECYCLE', 'ASSIGN')
			ORDER BY oc.at DESC LIMIT 1
		) lost ON true
		WHERE NOT pl.admin AND (NOT pl.allowed
			OR (pl.cooldown_days > 0 AND lost.at + pl.cooldown_days * interval '24 hours' > $4))`,
		tid, txn.UUIDArray(seen), rep, now)
	if err != nil {
		return nil, fmt.Errorf("pool: read claim blocks: %w", err)
	}
	defer rows.Close()
	byID := map[uuid.UUID]ClaimBlock{}
	for rows.Next() {
		var b ClaimBlock
		var until sql.NullTime
		if err := rows.Scan(&b.LeadID, &b.Code, &until); err != nil {
			return nil, err
		}
		if until.Valid {
			b.Until = &until.Time
		}
		byID[b.LeadID] = b
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ClaimBlock, 0, len(byID))
	for _, id := range ids {
		if b, ok := byID[id]; ok {
			out = append(out, b)
		}
	}
	return out, nil
}
