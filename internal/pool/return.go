package pool

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// returnSQL sends the owned ACTIVE leads among $2 back to their pool (the
// default pool for a lead without one) and records a RELEASE by SYSTEM for
// each, in one statement, returning (lead, former owner). Rows are taken in
// id order, like every bulk lead write. The update repeats `l.id = ANY($2)`
// so the planner finds the rows by primary key instead of hashing every
// lead of the workspace to join the CTE.
var returnSQL = `
WITH owned AS (
	SELECT id, owner_id FROM leads
	WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND owner_id IS NOT NULL AND status = 'ACTIVE'
	ORDER BY id FOR UPDATE
), moved AS (
	UPDATE leads l SET owner_id = NULL, claimed_at = NULL, protected_until = NULL,
		pool_id = coalesce(l.pool_id, ` + defaultPoolSQL + `), updated_at = $3
	FROM owned WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[]) AND l.id = owned.id
	RETURNING l.id, l.pool_id, owned.owner_id
), recorded AS (
	INSERT INTO owner_changes (id, tenant_id, lead_id, from_user_id, to_user_id, pool_id, kind, by, actor_id, reason, at)
	SELECT ` + gid.NewSQL("$3::timestamptz", "$5::bytea") + `,
		$1, moved.id, moved.owner_id, NULL, moved.pool_id, 'RELEASE', 'SYSTEM', NULL, $4, $3
	FROM moved
)
SELECT id, owner_id FROM moved`

// ReturnToPool is system work (an automation, such as a journey's reassign
// step): it sends the owned active leads among ids back to their public
// pool, as Release does for a rep's own, and records a RELEASE by SYSTEM
// with the reason. It runs in the transaction ctx carries (else its own)
// and returns the leads it moved with the owners they had. Unowned,
// merged or archived leads are left as they are.
func (s *Service) ReturnToPool(ctx context.Context, ids []uuid.UUID, reason string) (map[uuid.UUID]uuid.UUID, error) {
	ids, err := distinct(ids)
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
	rows, err := s.db(ctx).QueryContext(ctx, returnSQL, tid, txn.UUIDArray(ids), s.now(), reason, ownerChangeType)
	if err != nil {
		return nil, fmt.Errorf("pool: return leads: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]uuid.UUID{}
	for rows.Next() {
		var id, owner uuid.UUID
		if err := rows.Scan(&id, &owner); err != nil {
			return nil, err
		}
		out[id] = owner
	}
	return out, rows.Err()
}
