package funnel

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// Leaderboard limits.
const (
	DefaultLimit = 10
	MaxLimit     = 1000
)

// RepStats is one rep's line of the leaderboard of a period [from, to).
//
// Leads counts the distinct leads the rep received (an owner change to the
// rep, i.e. a claim or an assignment, from ≤ at < to), Deals the deals
// credited to the rep (deals.owner_id) that closed in the period and Amount
// their sum. Converted counts the received leads that also have a deal
// credited to the rep closed in the period, and Conversion is Converted over
// Leads (nil when the rep received no lead), so it stays within [0, 1]: a
// deal on a lead received in an earlier period raises Deals and Amount but
// not this period's conversion.
type RepStats struct {
	UserID     uuid.UUID
	Leads      int
	Converted  int
	Deals      int
	Amount     float64
	Conversion *float64
}

// leaderboardSQL has $1 the workspace, $2 from, $3 to, $4 the limit; the
// visible leads (%s) may add parameters after them.
const leaderboardSQL = `WITH visible AS (%s),
received AS (
	SELECT DISTINCT o.to_user_id AS user_id, o.lead_id
	FROM owner_changes o JOIN visible v ON v.id = o.lead_id
	WHERE o.tenant_id = $1 AND o.to_user_id IS NOT NULL AND o.at >= $2 AND o.at < $3
),
won AS (
	SELECT d.owner_id AS user_id, d.lead_id, d.amount
	FROM deals d JOIN visible v ON v.id = d.lead_id
	WHERE d.tenant_id = $1 AND d.owner_id IS NOT NULL AND d.closed_at >= $2 AND d.closed_at < $3
),
by_received AS (
	SELECT x.user_id, count(*) AS leads, count(w.lead_id) AS converted
	FROM received x LEFT JOIN (SELECT DISTINCT user_id, lead_id FROM won) w ON w.user_id = x.user_id AND w.lead_id = x.lead_id
	GROUP BY x.user_id
),
by_won AS (SELECT user_id, count(*) AS deals, sum(amount) AS amount FROM won GROUP BY user_id)
SELECT COALESCE(r.user_id, w.user_id) AS user_id, COALESCE(r.leads, 0), COALESCE(r.converted, 0),
	COALESCE(w.deals, 0), COALESCE(w.amount, 0)::float8 AS amount
FROM by_received r FULL JOIN by_won w ON w.user_id = r.user_id
ORDER BY COALESCE(w.amount, 0) DESC, COALESCE(w.deals, 0) DESC, COALESCE(r.leads, 0) DESC, 1
LIMIT $4`

// Leaderboard ranks the reps with leads received or deals closed in
// [from, to) by amount, then deals, then leads received, counting only the
// leads the caller can see (merged leads never count: their deals moved to
// the lead they were merged into). Amounts are summed as recorded, whatever
// their currency. limit 0 means DefaultLimit.
func (s *Service) Leaderboard(ctx context.Context, from, to time.Time, limit int) ([]RepStats, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 || limit > MaxLimit {
		return nil, apperr.Input("limit", "limit must be between 1 and %d", MaxLimit)
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	// Only the leads the period touched: the scope is checked on those, not
	// on the whole workspace.
	visible := leads(ctx, 4, func(b *sql.Builder) {
		b.WriteString(`l.tenant_id = $1 AND l.status <> 'MERGED' AND l.id IN (
			SELECT o.lead_id FROM owner_changes o WHERE o.tenant_id = $1 AND o.to_user_id IS NOT NULL AND o.at >= $2 AND o.at < $3
			UNION SELECT d.lead_id FROM deals d WHERE d.tenant_id = $1 AND d.owner_id IS NOT NULL AND d.closed_at >= $2 AND d.closed_at < $3)`)
	}, "id")
	vq, vargs := visible.Query()
	q := fmt.Sprintf(leaderboardSQL, vq)
	args := append([]any{tid, from, to, limit}, vargs...)
	var out []RepStats
	err = s.read(ctx, func(tx *ent.Client) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("leaderboard: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r RepStats
			if err := rows.Scan(&r.UserID, &r.Leads, &r.Converted, &r.Deals, &r.Amount); err != nil {
				return fmt.Errorf("leaderboard: %w", err)
			}
			if r.Leads > 0 {
				c := float64(r.Converted) / float64(r.Leads)
				r.Conversion = &c
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
