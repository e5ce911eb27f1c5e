// Package funnel measures what became of the leads of a period (效果跟踪):
// the funnel LISTED → DELIVERED → INTERACTED → INTENT → DEAL → REPURCHASE,
// whole or grouped by source, channel, owner, team or territory, and the
// reps' leaderboard. Each report is one set-based statement over the leads
// the caller may see, with the workspace bound explicitly in every table
// reference (ent's tenancy interceptors do not reach raw SQL).
//
// # Cohort
//
// The funnel of [from, to) follows the leads created in that period
// (from ≤ created_at < to) that are not MERGED: a merged lead is a duplicate
// of a person who lives on in the lead it was merged into, along with its
// follow-ups and deals, so counting both would count the person twice.
// ARCHIVED leads stay: they were listed. With a viewer in the context the
// cohort is further limited by the viewer's lead row scope (internal/scope),
// exactly as every lead list is, on the leads as they are now ("own" means
// the leads the viewer owns today); no viewer, or the "all" scope, sees the
// whole workspace.
//
// # Steps
//
// A step is reached "by to": only facts dated before to count, so a past
// period's numbers do not change as its leads move on (they do change when
// late facts are recorded with past dates, e.g. a back-dated deal).
//
//   - LISTED: every lead of the cohort.
//   - DELIVERED: a broadcast message reached the lead (a delivery in status
//     DELIVERED or REPLIED with delivered_at < to); or a rep got the lead (an
//     owner change to a user, at < to) and contacted it (any follow-up,
//     created_at < to; the outcome does not matter).
//   - INTERACTED: the lead answered a broadcast (replied_at < to), or a
//     follow-up reached the person: outcome CONNECTED or INTERESTED
//     (created_at < to), as the FollowUp schema documents. NOT_INTERESTED,
//     CALLBACK and the unreached outcomes do not count.
//   - INTENT: the lead entered a stage mapped to INTENT.
//   - DEAL: a deal closed (closed_at < to).
//   - REPURCHASE: at least two deals closed before to. The deals' repurchase
//     flag is not used: it records the order deals were entered in, while a
//     back-dated deal can close before an earlier-entered one.
//
// Stages map onto the funnel through their funnel_step, and the mapping
// counts for every step it names, not only INTENT: a lead that entered a
// stage mapped to step X reached X (the default pipeline maps "contacted"
// to INTERACTED and "won" to DEAL). A lead entered a stage when a stage
// change moved it there (at < to), or when it was created in it: its stage
// at creation is the from stage of its earliest stage change, or its
// current stage when it never moved. A stage mapped to LISTED adds nothing.
//
// The funnel is monotone: a lead counts at a step when it reached that step
// or any later one (a deal implies the lead was reached and interested even
// when the broadcast receipt or the call was never recorded). Counts thus
// never grow from one step to the next and every rate is at most 1. The rate
// of a step is its count over the previous step's count; it is absent for
// LISTED and where the previous count is 0.
//
// # Groups
//
// NONE gives one group with the key "" (always, even when the cohort is
// empty). The others key the leads by SOURCE (the lead's source, NoValue
// when empty), CHANNEL (the channel of the broadcast whose message reached
// the lead first before to, by delivered_at; NoValue when none did), OWNER
// (the current owner's user id, Unowned when none), TEAM (the current
// owner's team id, NoValue for unowned leads and owners without a team) or
// TERRITORY (the lead's territory id, NoValue when none). Ids are raw UUID
// strings for the API layer to name. Groups come largest first (by LISTED),
// then by key; a grouped funnel has no group for an empty cohort.
package funnel

import (
	"cmp"
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// Step is one step of the funnel.
type Step string

// The steps of the funnel, in order.
const (
	Listed     Step = "LISTED"
	Delivered  Step = "DELIVERED"
	Interacted Step = "INTERACTED"
	Intent     Step = "INTENT"
	Deal       Step = "DEAL"
	Repurchase Step = "REPURCHASE"
)

// Steps lists the steps in funnel order.
var Steps = []Step{Listed, Delivered, Interacted, Intent, Deal, Repurchase}

// GroupBy is what splits the funnel into groups.
type GroupBy string

// The groupings of the funnel.
const (
	ByNone      GroupBy = "NONE"
	BySource    GroupBy = "SOURCE"
	ByChannel   GroupBy = "CHANNEL"
	ByOwner     GroupBy = "OWNER"
	ByTeam      GroupBy = "TEAM"
	ByTerritory GroupBy = "TERRITORY"
)

// Group keys that are not values of the grouped attribute.
const (
	// NoValue keys the leads without a source, channel, team or territory.
	NoValue = "(none)"
	// Unowned keys the leads without an owner when grouping by OWNER.
	Unowned = "(unowned)"
)

// MaxPeriod is the longest period a report covers.
const MaxPeriod = 3 // years

// DefaultTimeout bounds one report's statement when Service.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// StepCount is one step of a group's funnel. Rate is Count over the previous
// step's count; nil for LISTED and when the previous count is 0.
type StepCount struct {
	Step  Step
	Count int
	Rate  *float64
}

// Group is the funnel of the leads sharing one key.
type Group struct {
	Key   string
	Steps []StepCount
}

// Service computes the funnel and the leaderboard.
type Service struct {
	// Client runs each report in its own read-only transaction.
	Client *ent.Client
	// Reader, when set (a streaming replica), runs the reports instead of
	// Client, which it falls back to when the replica cannot be reached.
	Reader *ent.Client
	// Timeout bounds a report's statement (LIMIT_EXCEEDED past it);
	// DefaultTimeout when zero.
	Timeout time.Duration
}

// grouping is how the final select keys a cohort lead c: the key
// expression and the joins it needs.
type grouping struct{ key, join string }

var groupings = map[GroupBy]grouping{
	ByNone:      {key: `''`},
	BySource:    {key: `COALESCE(NULLIF(c.source, ''), '` + NoValue + `')`},
	ByChannel:   {key: `COALESCE(fc.channel, '` + NoValue + `')`, join: `LEFT JOIN first_channel fc ON fc.lead_id = c.id`},
	ByOwner:     {key: `COALESCE(c.owner_id::text, '` + Unowned + `')`},
	ByTeam:      {key: `COALESCE(u.team_id::text, '` + NoValue + `')`, join: `LEFT JOIN users u ON u.tenant_id = $1 AND u.id = c.owner_id`},
	ByTerritory: {key: `COALESCE(c.territory_id::text, '` + NoValue + `')`},
}

// stepOfStage ranks stage s by its funnel step (0 LISTED … 5 REPURCHASE);
// unmapped stages rank 0, which adds nothing.
const stepOfStage = `CASE s.funnel_step WHEN 'DELIVERED' THEN 1 WHEN 'INTERACTED' THEN 2 WHEN 'INTENT' THEN 3
	WHEN 'DEAL' THEN 4 WHEN 'REPURCHASE' THEN 5 ELSE 0 END`

// funnelSQL has $1 the workspace, $2 from, $3 to; the cohort (%[1]s) may
// add parameters after them; %[2]s is the group key and %[3]s its joins.
// reached is the furthest step each cohort lead reached, from one evidence
// row per fact; leads without any stay LISTED. first_channel is only
// computed when the key uses it.
const funnelSQL = `WITH cohort AS (%[1]s),
first_change AS (
	SELECT DISTINCT ON (sc.lead_id) sc.lead_id, sc.from_id
	FROM stage_changes sc JOIN cohort c ON c.id = sc.lead_id
	WHERE sc.tenant_id = $1
	ORDER BY sc.lead_id, sc.at, sc.id
),
evidence (lead_id, step) AS (
	SELECT d.lead_id, 1 FROM deliveries d JOIN cohort c ON c.id = d.lead_id
	WHERE d.tenant_id = $1 AND d.status IN ('DELIVERED', 'REPLIED') AND d.delivered_at < $3
	UNION ALL
	SELECT o.lead_id, 1 FROM owner_changes o JOIN cohort c ON c.id = o.lead_id
	WHERE o.tenant_id = $1 AND o.to_user_id IS NOT NULL AND o.at < $3
		AND EXISTS (SELECT 1 FROM follow_ups f WHERE f.tenant_id = $1 AND f.lead_id = o.lead_id AND f.created_at < $3)
	UNION ALL
	SELECT d.lead_id, 2 FROM deliveries d JOIN cohort c ON c.id = d.lead_id
	WHERE d.tenant_id = $1 AND d.replied_at < $3
	UNION ALL
	SELECT f.lead_id, 2 FROM follow_ups f JOIN cohort c ON c.id = f.lead_id
	WHERE f.tenant_id = $1 AND f.outcome IN ('CONNECTED', 'INTERESTED') AND f.created_at < $3
	UNION ALL
	SELECT sc.lead_id, ` + stepOfStage + `
	FROM stage_changes sc JOIN cohort c ON c.id = sc.lead_id JOIN stages s ON s.tenant_id = $1 AND s.id = sc.to_id
	WHERE sc.tenant_id = $1 AND sc.at < $3 AND s.funnel_step IS NOT NULL
	UNION ALL
	SELECT c.id, ` + stepOfStage + `
	FROM cohort c LEFT JOIN first_change fc ON fc.lead_id = c.id
		JOIN stages s ON s.tenant_id = $1 AND s.id = CASE WHEN fc.lead_id IS NULL THEN c.stage_id ELSE fc.from_id END
	WHERE s.funnel_step IS NOT NULL
	UNION ALL
	SELECT d.lead_id, CASE WHEN count(*) >= 2 THEN 5 ELSE 4 END
	FROM deals d JOIN cohort c ON c.id = d.lead_id
	WHERE d.tenant_id = $1 AND d.closed_at < $3
	GROUP BY d.lead_id
),
reached AS (SELECT lead_id, max(step) AS step FROM evidence GROUP BY lead_id),
first_channel AS (
	SELECT DISTINCT ON (d.lead_id) d.lead_id, b.channel
	FROM deliveries d JOIN cohort c ON c.id = d.lead_id JOIN broadcasts b ON b.tenant_id = $1 AND b.id = d.broadcast_id
	WHERE d.tenant_id = $1 AND d.status IN ('DELIVERED', 'REPLIED') AND d.delivered_at < $3
	ORDER BY d.lead_id, d.delivered_at, d.id
)
SELECT %[2]s AS key, count(*),
	count(*) FILTER (WHERE r.step >= 1), count(*) FILTER (WHERE r.step >= 2), count(*) FILTER (WHERE r.step >= 3),
	count(*) FILTER (WHERE r.step >= 4), count(*) FILTER (WHERE r.step >= 5)
FROM cohort c LEFT JOIN reached r ON r.lead_id = c.id %[3]s
GROUP BY 1`

// Funnel counts, for each group of by (NONE when empty), the leads created
// in [from, to) that reached each step by to, under the caller's row scope.
func (s *Service) Funnel(ctx context.Context, from, to time.Time, by GroupBy) ([]Group, error) {
	if by == "" {
		by = ByNone
	}
	g, ok := groupings[by]
	if !ok {
		return nil, apperr.Input("groupBy", "groupBy must be one of NONE, SOURCE, CHANNEL, OWNER, TEAM, TERRITORY")
	}
	if err := checkPeriod(from, to); err != nil {
		return nil, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	q, args := funnelQuery(ctx, tid, from, to, g)
	var out []Group
	err = s.read(ctx, func(tx *ent.Client) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("funnel: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var counts [6]int
			if err := rows.Scan(&key, &counts[0], &counts[1], &counts[2], &counts[3], &counts[4], &counts[5]); err != nil {
				return fmt.Errorf("funnel: %w", err)
			}
			out = append(out, Group{Key: key, Steps: stepCounts(counts)})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if by == ByNone && len(out) == 0 {
		out = []Group{{Key: "", Steps: stepCounts([6]int{})}}
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(cmp.Compare(b.Steps[0].Count, a.Steps[0].Count), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// funnelQuery is the statement of a funnel and its arguments.
func funnelQuery(ctx context.Context, tid uuid.UUID, from, to time.Time, g grouping) (string, []any) {
	cohort := leads(ctx, 3, func(b *sql.Builder) {
		b.WriteString("l.tenant_id = $1 AND l.status <> 'MERGED' AND l.created_at >= $2 AND l.created_at < $3")
	}, "id", "source", "owner_id", "territory_id", "stage_id")
	cq, cargs := cohort.Query()
	return fmt.Sprintf(funnelSQL, cq, g.key, g.join), append([]any{tid, from, to}, cargs...)
}

// stepCounts names counts by step and adds the rates.
func stepCounts(counts [6]int) []StepCount {
	out := make([]StepCount, len(Steps))
	for i, st := range Steps {
		out[i] = StepCount{Step: st, Count: counts[i]}
		if i > 0 && counts[i-1] > 0 {
			r := float64(counts[i]) / float64(counts[i-1])
			out[i].Rate = &r
		}
	}
	return out
}

// checkPeriod validates a report's [from, to).
func checkPeriod(from, to time.Time) error {
	switch {
	case from.IsZero():
		return apperr.Input("from", "from is required")
	case to.IsZero():
		return apperr.Input("to", "to is required")
	case !to.After(from):
		return apperr.Input("to", "to must be after from")
	case to.After(from.AddDate(MaxPeriod, 0, 0)):
		return apperr.Input("to", "the period may span at most %d years", MaxPeriod)
	}
	return nil
}

// leads selects cols of the leads l matching where, limited by the caller's
// row scope. where uses the fixed parameters $1…$fixed; the scope's own
// parameters are numbered after them.
func leads(ctx context.Context, fixed int, where func(*sql.Builder), cols ...string) *sql.Selector {
	sel := sql.Dialect(dialect.Postgres).Select().From(sql.Table("leads").As("l"))
	for i, c := range cols {
		cols[i] = sel.C(c)
	}
	sel.Select(cols...).Where(sql.P(where))
	if v := auth.FromContext(ctx); v != nil && !slices.Contains(v.LeadScopes, policy.ScopeAll) {
		scope.Predicate(v)(sel)
	}
	sel.SetTotal(fixed)
	return sel
}

// read runs fn in a read-only transaction under the statement timeout.
func (s *Service) read(ctx context.Context, fn func(tx *ent.Client) error) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var tx *ent.Tx
	var err error
	if s.Reader != nil {
		tx, err = s.Reader.BeginTx(ctx, &stdsql.TxOptions{ReadOnly: true})
	}
	if s.Reader == nil || (err != nil && ctx.Err() == nil) {
		tx, err = s.Client.BeginTx(ctx, &stdsql.TxOptions{ReadOnly: true})
	}
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to keep
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", max(timeout.Milliseconds(), 1))); err != nil {
		return err
	}
	err = fn(tx.Client())
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "57014" { // query_canceled: statement_timeout
		return apperr.Wrap(err, apperr.LimitExceeded, "", fmt.Sprintf("the report did not finish within %s; choose a shorter period", timeout))
	}
	return err
}
