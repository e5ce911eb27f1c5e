package pool

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// DefaultBatchSize is how many leads one recycle or reminder transaction
// handles when RecycleOptions.BatchSize is not set.
const DefaultBatchSize = 5000

// RecycleOptions tune a recycle pass.
type RecycleOptions struct {
	// DryRun computes what the pass would recycle and remind, and writes nothing.
	DryRun bool
	// BatchSize is how many leads one transaction handles; 0 means DefaultBatchSize.
	BatchSize int
}

// RecycleResult is what a recycle pass did (or, dry, would do).
type RecycleResult struct {
	// Recycled are the leads sent back to their pool.
	Recycled []uuid.UUID
	// Reminded are the leads whose owners were reminded.
	Reminded []uuid.UUID
	// Notifications are the new notification rows to deliver (none when dry).
	Notifications []uuid.UUID
}

// Every owned lead the pass looks at: ACTIVE, not locked by a manager, not
// in a WON stage, with its pool (the default pool for a lead without one)
// and the times its pool's two rules fall due. The ownership clock starts
// at claimedAt (createdAt for an owned lead that was never claimed or
// assigned through this package). follow_up_due is the clock or the last
// follow-up, whichever is later, plus recycle_no_follow_up_days; deal_due
// is the clock plus recycle_no_deal_days when no deal closed since the
// clock. deal_due is only computed when it falls before the horizon %[1]s
// (the deal lookup is the expensive part), and is NULL otherwise; a NULL
// rule never falls due. %[2]s adds joins on these.
const ownedLeadsSQL = `
	FROM leads l
	JOIN pools p ON p.tenant_id = l.tenant_id AND p.id = coalesce(l.pool_id, ` + defaultPoolSQL + `)
	LEFT JOIN stages s ON s.tenant_id = l.tenant_id AND s.id = l.stage_id
	CROSS JOIN LATERAL (SELECT coalesce(l.claimed_at, l.created_at) AS start) c
	CROSS JOIN LATERAL (SELECT
		greatest(l.last_follow_up_at, c.start) + p.recycle_no_follow_up_days * interval '24 hours' AS follow_up_due,
		CASE WHEN c.start + p.recycle_no_deal_days * interval '24 hours' <= %[1]s THEN
			CASE WHEN NOT EXISTS (SELECT 1 FROM deals dl
				WHERE dl.tenant_id = l.tenant_id AND dl.lead_id = l.id AND dl.closed_at >= c.start)
			THEN c.start + p.recycle_no_deal_days * interval '24 hours' END
		END AS deal_due) d%[2]s
	WHERE l.tenant_id = $1 AND l.owner_id IS NOT NULL AND l.status = 'ACTIVE' AND NOT l.locked
		AND s.kind IS DISTINCT FROM 'WON'`

// inBatchSQL limits a selection to the batch of leads $3 and locks them,
// skipping leads another transaction holds; the conditions before it are
// checked again on the locked rows.
const inBatchSQL = `
		AND l.id = ANY($3::uuid[])
	FOR UPDATE OF l SKIP LOCKED`

// lockBatchSQL locks the leads $2 of a recycle or reminder batch that no
// other transaction holds.
const lockBatchSQL = `SELECT 1 FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[]) FOR UPDATE SKIP LOCKED`

// dueSQL selects the leads to recycle at $2, followed by batch: out of
// protection and past either rule. The recycle reason names the rule that
// applies, the follow-up rule first.
func dueSQL(batch string) string {
	return `
	SELECT l.id, l.owner_id, p.id AS pool_id, l.name, p.name AS pool_name,
		CASE WHEN d.follow_up_due <= $2 THEN p.recycle_no_follow_up_days END AS follow_up_days,
		p.recycle_no_deal_days AS deal_days` +
		fmt.Sprintf(ownedLeadsSQL, "$2::timestamptz", "") + `
		AND (l.protected_until IS NULL OR l.protected_until <= $2)
		AND (d.follow_up_due <= $2 OR d.deal_due <= $2)` + batch
}

// findDueSQL lists the leads to recycle at $2, in id order.
var findDueSQL = `SELECT id FROM (` + dueSQL("") + `) x ORDER BY id`

// recycleSQL recycles those of the leads $3 that are due, skipping leads
// another transaction holds: back to their pool with a RECYCLE OwnerChange
// and a notification to the former owner. It returns the lead and
// notification ids.
var recycleSQL = `
WITH due AS (` + dueSQL(inBatchSQL) + `
), moved AS (
	UPDATE leads SET owner_id = NULL, claimed_at = NULL, protected_until = NULL, pool_id = due.pool_id, updated_at = $2
	FROM due WHERE leads.tenant_id = $1 AND leads.id = due.id
	RETURNING due.*
), changes AS (
	INSERT INTO owner_changes (id, tenant_id, lead_id, from_user_id, to_user_id, pool_id, kind, by, actor_id, reason, at)
	SELECT ` + gid.NewSQL("$2::timestamptz", "$4::bytea") + `, $1, m.id, m.owner_id, NULL, m.pool_id, 'RECYCLE', 'SYSTEM', NULL,
		CASE WHEN m.follow_up_days IS NOT NULL THEN 'system: no follow-up for ' || m.follow_up_days || ' days'
			ELSE 'system: no deal ' || m.deal_days || ' days after claim' END,
		$2
	FROM moved m
), notes AS (
	INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, message, created_at)
	SELECT ` + gid.NewSQL("$2::timestamptz", "$5::bytea") + `, $1, m.owner_id, '` + KindRecycled + `', m.id,
		'线索「' || coalesce(nullif(m.name, ''), '未命名线索') || '」已回收到公海「' || m.pool_name || '」：' ||
		CASE WHEN m.follow_up_days IS NOT NULL THEN m.follow_up_days || ' 天未跟进'
			ELSE '领取后 ' || m.deal_days || ' 天未成交' END || '。',
		$2
	FROM moved m
	RETURNING lead_id, id
)
SELECT lead_id, id FROM notes`

// remindCTEs is the WITH list whose last member, due, holds the leads
// whose owner is due a reminder at $2: the earlier rule's due time (or the
// end of protection when later) is within the pool's remind_before_days but
// not yet reached, and no reminder for the lead went to its owner since its
// ownership clock (or last follow-up) started. batch follows the candidates'
// conditions. The reminders already sent are looked up once per statement,
// for the candidates' owners since the oldest candidate's clock (one index
// range per owner), not once per lead: an owner's recent notifications can
// be many (every lead recycled from them).
func remindCTEs(batch string) string {
	return `
WITH cand AS MATERIALIZED (
	SELECT l.id, l.owner_id, l.name, p.name AS pool_name, e.due_at,
		greatest(l.last_follow_up_at, c.start) AS since,
		CASE WHEN d.follow_up_due IS NOT NULL AND (d.deal_due IS NULL OR d.follow_up_due <= d.deal_due)
			THEN p.recycle_no_follow_up_days || ' 天未跟进'
			ELSE '领取后 ' || p.recycle_no_deal_days || ' 天未成交' END AS why` +
		fmt.Sprintf(ownedLeadsSQL, "$2::timestamptz + p.remind_before_days * interval '24 hours'", `
	CROSS JOIN LATERAL (SELECT CASE WHEN least(d.follow_up_due, d.deal_due) IS NOT NULL
		THEN greatest(least(d.follow_up_due, d.deal_due), l.protected_until) END AS due_at) e`) + `
		AND p.remind_before_days IS NOT NULL
		AND e.due_at > $2 AND e.due_at <= $2::timestamptz + p.remind_before_days * interval '24 hours'` + batch + `
), sent AS (
	SELECT n.user_id, n.lead_id, max(n.created_at) AS at FROM notifications n
	WHERE n.tenant_id = $1 AND n.user_id IN (SELECT DISTINCT owner_id FROM cand)
		AND n.created_at >= (SELECT min(since) FROM cand) AND n.kind = '` + KindRecycleReminder + `'
	GROUP BY n.user_id, n.lead_id
), due AS (
	SELECT cand.* FROM cand LEFT JOIN sent ON sent.user_id = cand.owner_id AND sent.lead_id = cand.id
	WHERE sent.at IS NULL OR sent.at < cand.since
)`
}

// findRemindSQL lists the leads whose owners are due a reminder at $2, in id order.
var findRemindSQL = remindCTEs("") + `
SELECT id FROM due ORDER BY id`

// reminderSQL reminds the owners of those of the leads $3 that are due a
// reminder, skipping leads another transaction holds. The message gives the
// local date ($4 is the time zone) the lead is due. It returns the lead and
// notification ids.
var reminderSQL = remindCTEs(inBatchSQL) + `
INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, message, created_at)
SELECT ` + gid.NewSQL("$2::timestamptz", "$5::bytea") + `, $1, due.owner_id, '` + KindRecycleReminder + `', due.id,
	'线索「' || coalesce(nullif(due.name, ''), '未命名线索') || '」将于 ' || to_char(due.due_at AT TIME ZONE $4::text, 'YYYY-MM-DD') ||
		' 回收到公海「' || due.pool_name || '」（' || due.why || '），请及时跟进。',
	$2
FROM due
RETURNING lead_id, id`

// Recycle runs the recycle pass of the workspace in ctx (system work: no
// row scope applies). First, every owned lead that falls due is sent back to
// its pool (the default pool for a lead without one): an ACTIVE lead, not
// locked, not in a WON stage, out of its protection, when (a) its pool's
// recycle_no_follow_up_days N is set and N days have passed since the later
// of its claim and its last follow-up, or (b) recycle_no_deal_days M is set,
// M days have passed since its claim and no deal closed since the claim. It
// loses owner, claimedAt and protectedUntil, gets a RECYCLE OwnerChange by
// SYSTEM, and its former owner a "pool.recycled" notification (and the
// pool's cooldown for it). Then, for pools with remind_before_days R, the
// owner of each lead due within R days gets one "pool.recycle_reminder"
// notification with the local date, once per ownership clock. The delivery
// of a batch's notifications is queued (Notify) in the batch's transaction.
//
// Each step first reads the set of leads it applies to (one scan, in id
// order; this is all DryRun does, writing nothing), then writes it in
// batches of BatchSize leads, one transaction each, which locks the batch's
// leads with SKIP LOCKED and then checks and writes them in one statement:
// a lead another transaction holds, or that stopped being due, is left for
// the next pass. Write batches of concurrent passes of one
// workspace take turns on an advisory lock, so nothing is sent twice. When a
// batch fails, the batches before it stay committed and the result, never
// nil, covers them.
func (s *Service) Recycle(ctx context.Context, opt RecycleOptions) (*RecycleResult, error) {
	res := &RecycleResult{Recycled: []uuid.UUID{}, Reminded: []uuid.UUID{}, Notifications: []uuid.UUID{}}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return res, err
	}
	loc, err := s.location(ctx, tid)
	if err != nil {
		return res, err
	}
	now := s.now()
	size := opt.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	steps := []struct {
		find, write string
		args        []any
		into        *[]uuid.UUID
	}{
		{findDueSQL, recycleSQL, []any{ownerChangeType, notificationType}, &res.Recycled},
		{findRemindSQL, reminderSQL, []any{loc.String(), notificationType}, &res.Reminded},
	}
	for _, st := range steps {
		found, err := s.ids(ctx, st.find, tid, now)
		if err != nil {
			return res, err
		}
		if opt.DryRun {
			*st.into = found
			continue
		}
		for batch := range slices.Chunk(found, size) {
			var leads, notes []uuid.UUID
			err := s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
				if err := txn.LockWorkspace(ctx, c, lockRecycle); err != nil {
					return err
				}
				// Lock first, in a statement of its own: the write below then
				// reads deals and follow-ups as of after the lock, and writers
				// of those lock the lead first, so none can slip in unseen.
				if _, err := c.ExecContext(ctx, lockBatchSQL, tid, txn.UUIDArray(batch)); err != nil {
					return err
				}
				var err error
				leads, notes, err = pairs(ctx, c, st.write, append([]any{tid, now, txn.UUIDArray(batch)}, st.args...)...)
				if err != nil || len(notes) == 0 || s.Notify == nil {
					return err
				}
				return s.Notify.DeliverNotifications(ctx, tid, notes)
			})
			if err != nil {
				return res, fmt.Errorf("pool: recycle: %w", err)
			}
			*st.into = append(*st.into, leads...)
			res.Notifications = append(res.Notifications, notes...)
		}
	}
	return res, nil
}

// ids runs a query listing lead ids.
func (s *Service) ids(ctx context.Context, query string, args ...any) ([]uuid.UUID, error) {
	rows, err := s.Client.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("pool: find leads to recycle or remind: %w", err)
	}
	defer rows.Close()
	out := []uuid.UUID{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// pairs runs a write batch returning (lead id, notification id) rows.
func pairs(ctx context.Context, c *ent.Client, query string, args ...any) (leads, notes []uuid.UUID, err error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l, n uuid.UUID
		if err := rows.Scan(&l, &n); err != nil {
			return nil, nil, err
		}
		leads = append(leads, l)
		notes = append(notes, n)
	}
	return leads, notes, rows.Err()
}
