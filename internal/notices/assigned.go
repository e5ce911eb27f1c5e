// Package notices writes the notifications that tell reps about leads given
// to them: one row per rep per write, in the writer's transaction, whose
// delivery the writer queues through the outbox in the same transaction;
// and it reads and marks read a user's own notifications (inbox.go).
package notices

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// KindAssigned is the notification of leads assigned to a rep, by the
// assignment rules (a new lead, a journey's reassignment) or by someone.
const KindAssigned = "lead.assigned"

// Deliverer queues the delivery of new notification rows (jobs.Queue) in
// the transaction ctx carries.
type Deliverer interface {
	DeliverNotifications(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) error
}

var notificationType = func() []byte { id := gid.New(gid.Notification); return []byte{id[6], id[7]} }()

// assignedSQL writes one notification per rep of d: the lead's name when
// the rep got one lead (and the lead's id, so that it opens it), else the
// number. $5 says by whom, appended to the message.
var assignedSQL = `
WITH d AS (
	SELECT * FROM unnest($3::uuid[], $4::uuid[]) AS d(lead_id, user_id)
), g AS (
	SELECT user_id, count(*) AS n, min(lead_id::text)::uuid AS one FROM d GROUP BY user_id
)
INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, message, created_at)
SELECT ` + gid.NewSQL("$2::timestamptz", "$6::bytea") + `, $1, g.user_id, '` + KindAssigned + `',
	CASE WHEN g.n = 1 THEN g.one END,
	CASE WHEN g.n = 1 THEN '线索「' || coalesce(nullif(l.name, ''), '未命名线索') || '」已分配给你'
		ELSE g.n || ' 条线索已分配给你' END || $5 || '。',
	$2::timestamptz
FROM g LEFT JOIN leads l ON l.tenant_id = $1 AND l.id = g.one
RETURNING id`

// Assigned writes, on c (the writer's transaction), the notifications of
// leads[i] given to reps[i]: one per rep, skipping uuid.Nil reps and the
// rep skip (an actor who assigned to themselves). by is what follows the
// message ("（分配规则）", "（王经理分配）"). It queues their delivery
// through d, when set, and returns their ids.
func Assigned(ctx context.Context, c *ent.Client, d Deliverer, tid uuid.UUID, now time.Time, leads, reps []uuid.UUID, by string, skip uuid.UUID) ([]uuid.UUID, error) {
	var ls, rs []uuid.UUID
	for i, r := range reps {
		if r != uuid.Nil && r != skip {
			ls, rs = append(ls, leads[i]), append(rs, r)
		}
	}
	if len(ls) == 0 {
		return nil, nil
	}
	ids, err := txn.QueryUUIDs(ctx, c, assignedSQL, tid, now, txn.UUIDArray(ls), txn.UUIDArray(rs), by, notificationType)
	if err != nil {
		return nil, fmt.Errorf("notices: assigned: %w", err)
	}
	if d == nil {
		return ids, nil
	}
	return ids, d.DeliverNotifications(ctx, tid, ids)
}
