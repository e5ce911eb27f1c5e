package suppress

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// BlacklistedContacts returns which of phones and emails a BLACKLIST entry
// of workspace tid in force at now covers, keyed "p:"+phone and "e:"+email.
func BlacklistedContacts(ctx context.Context, c *ent.Client, tid uuid.UUID, now time.Time, phones, emails pq.StringArray) (map[string]bool, error) {
	rows, err := c.QueryContext(ctx, `SELECT coalesce(phone, ''), coalesce(email, '') FROM suppressions
		WHERE tenant_id = $1 AND kind = 'BLACKLIST' AND (until IS NULL OR until > $2)
		AND (phone = ANY($3::text[]) OR email = ANY($4::text[]))`, tid, now, phones, emails)
	if err != nil {
		return nil, fmt.Errorf("check blacklist: %w", err)
	}
	defer rows.Close()
	black := map[string]bool{}
	for rows.Next() {
		var p, e string
		if err := rows.Scan(&p, &e); err != nil {
			return nil, err
		}
		black["p:"+p], black["e:"+e] = true, true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return black, nil
}

// BlacklistedLeads returns which of the leads ids a BLACKLIST entry of
// workspace tid in force at now names by id.
func BlacklistedLeads(ctx context.Context, c *ent.Client, tid uuid.UUID, now time.Time, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	rows, err := c.QueryContext(ctx, `SELECT lead_id FROM suppressions
		WHERE tenant_id = $1 AND kind = 'BLACKLIST' AND (until IS NULL OR until > $2) AND lead_id = ANY($3::uuid[])`,
		tid, now, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("check blacklisted leads: %w", err)
	}
	defer rows.Close()
	black := map[uuid.UUID]bool{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		black[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return black, nil
}

// InForceSQL is a query of the suppressions of the workspace (the uuid
// expression tenant) in force at the timestamptz expression at: their kind
// and the lead id, phone and email they name. Set-based statements (planning
// a broadcast) join it to their leads.
func InForceSQL(tenant, at string) string {
	return `SELECT kind, lead_id, phone, email FROM suppressions
			WHERE tenant_id = ` + tenant + ` AND (until IS NULL OR until > ` + at + `)`
}
