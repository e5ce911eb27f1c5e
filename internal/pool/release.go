package pool

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// defaultPoolSQL is the default pool of workspace $1.
const defaultPoolSQL = `(SELECT d.id FROM pools d WHERE d.tenant_id = $1 AND d.is_default)`

// releaseSQL returns the actor's ($3) ACTIVE leads among $2 to their pool
// (the default pool for a lead without one) and records a RELEASE for each,
// in one statement. It waits for leads another transaction holds (a scoring
// pass, an ingest merge): a release holds no other lock, and takes its rows
// in id order, so the wait cannot deadlock, and a rep's release is never
// silently dropped.
var releaseSQL = `
WITH mine AS (
	SELECT id FROM leads
	WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND owner_id = $3 AND status = 'ACTIVE'
	ORDER BY id FOR UPDATE
), moved AS (
	UPDATE leads l SET owner_id = NULL, claimed_at = NULL, protected_until = NULL,
		pool_id = coalesce(l.pool_id, ` + defaultPoolSQL + `), updated_at = $4
	FROM mine WHERE l.tenant_id = $1 AND l.id = mine.id
	RETURNING l.id, l.pool_id
)
INSERT INTO owner_changes (id, tenant_id, lead_id, from_user_id, to_user_id, pool_id, kind, by, actor_id, reason, at)
SELECT ` + gid.NewSQL("$4::timestamptz", "$6::bytea") + `,
	$1, moved.id, $3, NULL, moved.pool_id, 'RELEASE', 'USER', $3, $5, $4
FROM moved
RETURNING lead_id`

// Release returns the actor's own leads among ids to the public pool: no
// owner, claimedAt and protectedUntil cleared, the pool kept (the default
// pool for a lead without one), and a RELEASE OwnerChange with the reason
// (trimmed, at most 1000 characters). Leads the actor does not own, merged
// or archived leads are left as they are and not counted; a lead another
// transaction is changing is released once that one ends. It returns the released
// leads in the order of ids. The actor is in the pool's cooldown for them.
func (s *Service) Release(ctx context.Context, actorID uuid.UUID, ids []uuid.UUID, reason string) (released []uuid.UUID, err error) {
	ids, err = distinct(ids)
	if err != nil {
		return nil, err
	}
	reason, err = textinput.Clean("reason", reason, maxReason, false)
	if err != nil {
		return nil, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var got map[uuid.UUID]bool
	err = s.inTx(ctx, func(ctx context.Context, c *ent.Client) error {
		rows, err := c.QueryContext(ctx, releaseSQL, tid, txn.UUIDArray(ids), actorID, now, reason, ownerChangeType)
		if err != nil {
			return fmt.Errorf("pool: release leads: %w", err)
		}
		defer rows.Close()
		got = map[uuid.UUID]bool{}
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				return err
			}
			got[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return orderLike(ids, got), nil
}
