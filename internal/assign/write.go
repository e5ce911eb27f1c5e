package assign

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/txn"
)

// write applies the batch's decisions: one statement gives leads their reps
// and records the owner changes, one moves leads to fallback pools and
// records those, one advances cursors and one stores weighted state. Each
// lead update keeps `owner_id IS NULL` in its WHERE and the history rows are
// inserted from the rows it actually changed, so owners and history cannot
// disagree.
func (b *batch) write(ctx context.Context) error {
	if err := b.writeAssigned(ctx); err != nil {
		return err
	}
	if err := b.writeFallbacks(ctx); err != nil {
		return err
	}
	return b.writeRules(ctx)
}

// changes are the columns of decisions, bound as arrays.
type changes struct {
	leads, to, ids, rules []uuid.UUID
	reasons               pq.StringArray
}

func collect(ds []decision, reason func(*rule) string) changes {
	c := changes{
		leads: make([]uuid.UUID, len(ds)), to: make([]uuid.UUID, len(ds)), ids: make([]uuid.UUID, len(ds)),
		rules: make([]uuid.UUID, len(ds)), reasons: make(pq.StringArray, len(ds)),
	}
	for i, d := range ds {
		c.leads[i], c.to[i], c.ids[i] = d.lead.id, d.to, gid.New(gid.OwnerChange)
		c.rules[i], c.reasons[i] = d.rule.id, reason(d.rule)
	}
	return c
}

func (b *batch) writeAssigned(ctx context.Context) error {
	if len(b.assigned) == 0 {
		return nil
	}
	c := collect(b.assigned, func(r *rule) string { return "rule " + r.name + ": " + string(r.strategy) })
	// protected_until: the ownership protection of the lead's (home) pool,
	// which the lead keeps while owned. `l.id = ANY` lets the planner find
	// the rows by primary key even when its statistics of a fresh pool are
	// stale, instead of hashing every unowned lead of the workspace.
	res, err := b.c.ExecContext(ctx, `WITH d AS (
			SELECT * FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[]) AS d(lead_id, owner_id, change_id, rule_id, reason)
		), moved AS (
			UPDATE leads l SET owner_id = d.owner_id, claimed_at = $2::timestamptz, updated_at = $2::timestamptz,
				protected_until = (SELECT CASE WHEN p.protection_days > 0 THEN $2::timestamptz + make_interval(days => p.protection_days::int) END
					FROM pools p WHERE p.tenant_id = l.tenant_id AND p.id = l.pool_id)
			FROM d
			WHERE l.tenant_id = $1 AND l.id = ANY($3::uuid[]) AND l.id = d.lead_id AND l.owner_id IS NULL AND l.status = 'ACTIVE'
			RETURNING l.id, l.pool_id, d.owner_id, d.change_id, d.rule_id, d.reason
		)
		INSERT INTO owner_changes (id, tenant_id, lead_id, to_user_id, pool_id, kind, "by", rule_id, reason, at)
		SELECT change_id, $1, id, owner_id, pool_id, 'AUTO_ASSIGN', 'RULE', rule_id, reason, $2::timestamptz FROM moved`,
		b.tid, b.now, txn.UUIDArray(c.leads), txn.UUIDArray(c.to), txn.UUIDArray(c.ids), txn.UUIDArray(c.rules), c.reasons)
	if err != nil {
		return fmt.Errorf("assign: assign leads: %w", err)
	}
	if err := wrote(res.RowsAffected, len(b.assigned)); err != nil {
		return err
	}
	// Each rep is told of its new leads, once per batch.
	_, err = notices.Assigned(ctx, b.c, b.e.Notify, b.tid, b.now, c.leads, c.to, "（分配规则）", uuid.Nil)
	return err
}

func (b *batch) writeFallbacks(ctx context.Context) error {
	if len(b.fallbacks) == 0 {
		return nil
	}
	c := collect(b.fallbacks, func(r *rule) string { return "rule " + r.name + ": no eligible rep" })
	res, err := b.c.ExecContext(ctx, `WITH d AS (
			SELECT * FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[]) AS d(lead_id, pool_id, change_id, rule_id, reason)
		), moved AS (
			UPDATE leads l SET pool_id = d.pool_id, updated_at = $2::timestamptz
			FROM d
			WHERE l.tenant_id = $1 AND l.id = ANY($3::uuid[]) AND l.id = d.lead_id AND l.owner_id IS NULL AND l.status = 'ACTIVE'
			RETURNING l.id, d.pool_id, d.change_id, d.rule_id, d.reason
		)
		INSERT INTO owner_changes (id, tenant_id, lead_id, pool_id, kind, "by", rule_id, reason, at)
		SELECT change_id, $1, id, pool_id, 'AUTO_ASSIGN', 'RULE', rule_id, reason, $2::timestamptz FROM moved`,
		b.tid, b.now, txn.UUIDArray(c.leads), txn.UUIDArray(c.to), txn.UUIDArray(c.ids), txn.UUIDArray(c.rules), c.reasons)
	if err != nil {
		return fmt.Errorf("assign: move leads to fallback pools: %w", err)
	}
	return wrote(res.RowsAffected, len(b.fallbacks))
}

// writeRules stores the round-robin cursors and weighted-round-robin state
// the batch advanced.
func (b *batch) writeRules(ctx context.Context) error {
	var ruleIDs []uuid.UUID
	var cursors pq.Int64Array
	var tRules, tUsers []uuid.UUID
	var currents pq.Int64Array
	for _, r := range b.rules {
		if r.moved {
			ruleIDs = append(ruleIDs, r.id)
			cursors = append(cursors, r.cursor)
		}
		if r.stepped {
			for _, t := range r.targets {
				tRules, tUsers, currents = append(tRules, r.id), append(tUsers, t.user), append(currents, t.current)
			}
		}
	}
	if len(ruleIDs) > 0 {
		if _, err := b.c.ExecContext(ctx, `UPDATE assignment_rules r SET "cursor" = d.pos
			FROM unnest($2::uuid[], $3::int8[]) AS d(id, pos)
			WHERE r.tenant_id = $1 AND r.id = d.id`, b.tid, txn.UUIDArray(ruleIDs), cursors); err != nil {
			return fmt.Errorf("assign: advance cursors: %w", err)
		}
	}
	if len(tRules) > 0 {
		if _, err := b.c.ExecContext(ctx, `UPDATE assignment_targets t SET "current" = d.cur
			FROM unnest($2::uuid[], $3::uuid[], $4::int8[]) AS d(rule_id, user_id, cur)
			WHERE t.tenant_id = $1 AND t.rule_id = d.rule_id AND t.user_id = d.user_id`,
			b.tid, txn.UUIDArray(tRules), txn.UUIDArray(tUsers), currents); err != nil {
			return fmt.Errorf("assign: store weighted state: %w", err)
		}
	}
	return nil
}

// wrote checks that a write changed every lead it was given. The leads are
// locked, so a shortfall means another writer ignored the locks; the batch
// rolls back and is retried.
func wrote(affected func() (int64, error), want int) error {
	n, err := affected()
	if err != nil {
		return err
	}
	if n != int64(want) {
		return fmt.Errorf("%w: wrote %d of %d", errRaced, n, want)
	}
	return nil
}
