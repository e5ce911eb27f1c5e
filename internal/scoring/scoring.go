// Package scoring gives leads points from the workspace's scoring rules and
// sorts them into tiers (打分/分级).
//
// A scoring rule is a condition (package rules, scoring purpose) and a
// number of points from -1000 to 1000, optionally fading over decay_days.
// When a lead starts matching an enabled rule a ScoreHit records when
// (matched_at); the hit stays, with its time, while the lead keeps matching
// and goes when it stops or the rule is disabled or deleted. A lead's score
// is the sum over its hits of
//
//	points × decay, rounded to the nearest integer (halves away from zero)
//	decay = 1 without decay_days, else max(0, 1 − age/decay_days), age = now − matched_at
//
// so points fade linearly and are gone decay_days after the lead started
// matching, however long it keeps matching. Scores may be negative. The tier
// is A when score ≥ the workspace's A threshold, else B when ≥ B, else C when
// ≥ C, else D (defaults 80, 50, 20).
//
// Scores change when leads are scored (Score, after their data or events
// change) and in the nightly Rescore, which is also what applies decay and
// what a change of the rules needs: a disabled, deleted or edited rule
// changes a lead's score when that lead is next scored.
package scoring

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/scoringrule"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/rules"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// BatchSize is how many leads are scored per transaction.
const BatchSize = 1000

// TierOf is the tier of score under thresholds t.
func TierOf(score int, t schematype.TierThresholds) lead.Tier {
	switch {
	case score >= t.A:
		return lead.TierA
	case score >= t.B:
		return lead.TierB
	case score >= t.C:
		return lead.TierC
	}
	return lead.TierD
}

// Service scores the leads of the context's workspace. Scoring is system
// work: no viewer's row scope limits which leads it reads or writes.
type Service struct {
	Client *ent.Client
	// Now is the clock: when hits start and how far they have decayed.
	Now func() time.Time
}

// db is the client of the transaction ctx carries (ent.TxFromContext or
// ent.FromContext), else s.Client: scoring inside a caller's transaction
// sees its writes and commits or rolls back with it.
func (s *Service) db(ctx context.Context) *ent.Client {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.Client
}

// Validate checks the condition of a scoring rule being created or changed;
// errors are apperr.Input at field with line:column.
func (s *Service) Validate(ctx context.Context, field, condition string) error {
	return rules.Validate(ctx, s.db(ctx), rules.Scoring, field, condition)
}

// rule is an enabled rule with its compiled condition.
type rule struct {
	id  uuid.UUID
	prg *rules.Program
}

// plan is what every batch of one Score or Rescore shares.
type plan struct {
	tid   uuid.UUID
	now   time.Time
	rules []rule
	needs rules.Needs
	tiers schematype.TierThresholds
}

func (s *Service) plan(ctx context.Context, c *ent.Client) (*plan, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	settings, err := workspace.SettingsOf(ctx, c, tid)
	if err != nil {
		return nil, err
	}
	p := &plan{tid: tid, now: s.Now(), tiers: workspace.TiersOf(settings)}
	rs, err := c.ScoringRule.Query().Where(scoringrule.Enabled(true)).
		Order(ent.Asc(scoringrule.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("scoring: load rules: %w", err)
	}
	if len(rs) == 0 {
		return p, nil
	}
	env, err := rules.NewEnv(ctx, c, rules.Scoring)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		prg, err := env.Compile("condition", r.Condition)
		if err != nil {
			// A field the rule reads was archived or changed type since the
			// rule was saved: it matches nothing until it is fixed.
			slog.WarnContext(ctx, "scoring rule does not compile; it matches no lead",
				"tenant", tid, "rule", r.ID, "err", err)
			continue
		}
		p.rules = append(p.rules, rule{id: r.ID, prg: prg})
		p.needs = p.needs.Merge(prg.Needs())
	}
	return p, nil
}

// Score re-evaluates the enabled rules for the ACTIVE leads among ids and
// stores their hits, scores and tiers, BatchSize leads per transaction.
// Other ids are ignored.
func (s *Service) Score(ctx context.Context, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	c := s.db(ctx)
	p, err := s.plan(ctx, c)
	if err != nil {
		return err
	}
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	ids = slices.Compact(ids)
	for start := 0; start < len(ids); start += BatchSize {
		if err := s.scoreBatch(ctx, c, p, ids[start:min(start+BatchSize, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

// Rescore scores every ACTIVE lead of the workspace, walking them by seq in
// batches, and returns how many it scored. It is the nightly pass that
// applies decay; it is safe to rerun or to stop at any point.
func (s *Service) Rescore(ctx context.Context) (int, error) {
	c := s.db(ctx)
	p, err := s.plan(ctx, c)
	if err != nil {
		return 0, err
	}
	total := 0
	after := int64(-1 << 63)
	for {
		page, err := c.Lead.Query().
			Where(lead.StatusEQ(lead.StatusACTIVE), lead.SeqGT(after)).
			Order(lead.BySeq()).Limit(BatchSize).
			Select(lead.FieldID, lead.FieldSeq).All(scope.Unscoped(ctx))
		if err != nil {
			return total, fmt.Errorf("scoring: list leads: %w", err)
		}
		if len(page) == 0 {
			return total, nil
		}
		ids := make([]uuid.UUID, len(page))
		for i, l := range page {
			ids[i] = l.ID
		}
		if err := s.scoreBatch(ctx, c, p, ids); err != nil {
			return total, err
		}
		total += len(page)
		after = page[len(page)-1].Seq
		if len(page) < BatchSize {
			return total, nil
		}
	}
}

// scoreBatch scores at most BatchSize leads in one transaction. The leads'
// rows are locked first (in id order, so concurrent batches cannot
// deadlock each other) and their facts read after, so two processes scoring
// a lead at once cannot interleave an evaluation with the other's writes.
func (s *Service) scoreBatch(ctx context.Context, c *ent.Client, p *plan, ids []uuid.UUID) error {
	return txn.WithTx(ctx, c, func(c *ent.Client) error {
		active, err := lockActive(ctx, c, p.tid, ids)
		if err != nil || len(active) == 0 {
			return err
		}
		var hitLeads, hitRules []uuid.UUID
		if len(p.rules) > 0 {
			facts, err := rules.LoadFacts(ctx, c, p.now, active, p.needs)
			if err != nil {
				return err
			}
			for _, id := range active {
				f := facts[id]
				if f == nil {
					continue
				}
				for _, r := range p.rules {
					if r.prg.Match(f) {
						hitLeads = append(hitLeads, id)
						hitRules = append(hitRules, r.id)
					}
				}
			}
		}
		return writeBatch(ctx, c, p, active, hitLeads, hitRules)
	})
}

// lockActive serialises scorings of the same leads with transaction-scoped
// advisory locks (taken in key order, so scorers cannot deadlock) rather
// than row locks: claims, assignment and recycling take leads with SKIP
// LOCKED, and a row lock held for a whole scoring pass would make them pass
// over the lead. Only the final score update touches the rows.
func lockActive(ctx context.Context, c *ent.Client, tid uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+scoreLockClass+`, k)
		FROM (SELECT DISTINCT hashtext(id::text) AS k FROM unnest($1::uuid[]) AS id) keys ORDER BY k`,
		txn.UUIDArray(ids)); err != nil {
		return nil, fmt.Errorf("scoring: lock leads: %w", err)
	}
	rows, err := c.QueryContext(ctx, `SELECT id FROM leads
		WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'ACTIVE'
		ORDER BY id`, tid, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("scoring: lock leads: %w", err)
	}
	defer rows.Close()
	active := make([]uuid.UUID, 0, len(ids))
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		active = append(active, id)
	}
	return active, rows.Err()
}

// scoreLockClass is the first key of the advisory locks of scoring.
const scoreLockClass = "7301"

const (
	// insertHits starts the hits of pairs that match now; existing hits keep
	// their matched_at.
	insertHits = `INSERT INTO score_hits (id, tenant_id, lead_id, rule_id, matched_at)
		SELECT h.id, $1, h.lead_id, h.rule_id, $5
		FROM unnest($2::uuid[], $3::uuid[], $4::uuid[]) AS h(id, lead_id, rule_id)
		ON CONFLICT (tenant_id, lead_id, rule_id) DO NOTHING`

	// deleteHits drops the batch's hits that do not match now, including
	// those of disabled and deleted rules.
	deleteHits = `DELETE FROM score_hits h
		WHERE h.tenant_id = $1 AND h.lead_id = ANY($2::uuid[])
		AND NOT EXISTS (
			SELECT 1 FROM unnest($3::uuid[], $4::uuid[]) AS m(lead_id, rule_id)
			WHERE m.lead_id = h.lead_id AND m.rule_id = h.rule_id)`

	// updateScores sets score and tier from the hits, 0 for leads without
	// any, writing only rows that change. Decay is computed in numeric so
	// rounding is exact and halves round away from zero.
	updateScores = `UPDATE leads l SET score = s.score, tier = s.tier
		FROM (
			SELECT x.id, x.score,
				CASE WHEN x.score >= $4 THEN 'A' WHEN x.score >= $5 THEN 'B' WHEN x.score >= $6 THEN 'C' ELSE 'D' END AS tier
			FROM (
				SELECT b.id, COALESCE(sum(round(r.points * CASE
					WHEN r.decay_days IS NULL THEN 1
					ELSE LEAST(1, GREATEST(0, 1 - extract(epoch FROM ($3::timestamptz - h.matched_at)) / (r.decay_days * 86400)))
				END)), 0)::bigint AS score
				FROM unnest($2::uuid[]) AS b(id)
				LEFT JOIN score_hits h ON h.tenant_id = $1 AND h.lead_id = b.id
				LEFT JOIN scoring_rules r ON r.tenant_id = $1 AND r.id = h.rule_id AND r.enabled
				GROUP BY b.id
			) x
		) s
		WHERE l.tenant_id = $1 AND l.id = s.id AND l.status = 'ACTIVE'
			AND (l.score, l.tier) IS DISTINCT FROM (s.score, s.tier)`
)

func writeBatch(ctx context.Context, c *ent.Client, p *plan, active, hitLeads, hitRules []uuid.UUID) error {
	if len(hitLeads) > 0 {
		hitIDs := make([]uuid.UUID, len(hitLeads))
		for i := range hitIDs {
			hitIDs[i] = gid.New(gid.ScoreHit)
		}
		if _, err := c.ExecContext(ctx, insertHits, p.tid, txn.UUIDArray(hitIDs),
			txn.UUIDArray(hitLeads), txn.UUIDArray(hitRules), p.now); err != nil {
			return fmt.Errorf("scoring: insert hits: %w", err)
		}
	}
	if _, err := c.ExecContext(ctx, deleteHits, p.tid, txn.UUIDArray(active),
		txn.UUIDArray(hitLeads), txn.UUIDArray(hitRules)); err != nil {
		return fmt.Errorf("scoring: delete hits: %w", err)
	}
	if _, err := c.ExecContext(ctx, updateScores, p.tid, txn.UUIDArray(active), p.now,
		p.tiers.A, p.tiers.B, p.tiers.C); err != nil {
		return fmt.Errorf("scoring: update scores: %w", err)
	}
	return nil
}
