// Package joins writes the many-to-many edges between workspace entities (a
// pool's teams, territories and admins, a user's or a partner's territories).
// Their rows carry tenant_id like every distributed table (docs/scaling.md),
// so they are written here, with the workspace bound, and never through ent's
// Add…IDs setters, whose rows would have none (the NOT NULL refuses them).
// The composite foreign keys (tenant_id, …) keep both ends in the workspace.
package joins

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Join is one many-to-many edge: its table and the columns of its two ends.
type Join struct{ table, from, to string }

// The joins of the schema (ent/schema/join.go).
var (
	PoolTeams          = Join{"pool_teams", "pool_id", "team_id"}
	PoolTerritories    = Join{"pool_territories", "pool_id", "territory_id"}
	PoolAdmins         = Join{"pool_admins", "pool_id", "user_id"}
	UserTerritories    = Join{"user_territories", "user_id", "territory_id"}
	PartnerTerritories = Join{"partner_territories", "partner_id", "territory_id"}
)

// Set makes ids the whole set of from's ends: rows for ids not there yet are
// added, rows for others removed, in c's transaction (or one of its own).
// The caller has checked that from and ids belong to the workspace; the
// foreign keys refuse them otherwise.
func (j Join) Set(ctx context.Context, c *ent.Client, from uuid.UUID, ids []uuid.UUID) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	ids = slices.Compact(slices.SortedFunc(slices.Values(ids), func(a, b uuid.UUID) int {
		return slices.Compare(a[:], b[:])
	}))
	arr := txn.UUIDArray(ids)
	t, f, to := pq.QuoteIdentifier(j.table), pq.QuoteIdentifier(j.from), pq.QuoteIdentifier(j.to)
	return txn.WithTx(ctx, c, func(c *ent.Client) error {
		if _, err := c.ExecContext(ctx, fmt.Sprintf(
			`DELETE FROM %s WHERE tenant_id = $1 AND %s = $2 AND NOT (%s = ANY($3::uuid[]))`, t, f, to),
			tid, from, arr); err != nil {
			return fmt.Errorf("%s: %w", j.table, err)
		}
		if _, err := c.ExecContext(ctx, fmt.Sprintf(
			`INSERT INTO %s (tenant_id, %s, %s) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING`, t, f, to),
			tid, from, arr); err != nil {
			return fmt.Errorf("%s: %w", j.table, err)
		}
		return nil
	})
}
