package duplicates

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// MaxDismiss is the most leads one dismissal names.
const MaxDismiss = 500

// Events recorded on each lead of a dismissal and of its undo (the lead's
// timeline shows who decided).
const (
	EventDismissed = "lead.duplicate_dismissed"
	EventRestored  = "lead.duplicate_restored"
)

// Dismiss records that the leads ids, a group of kind, are not duplicates
// (不是重复): Groups leaves the group out while every lead of it the viewer
// reads is among ids. The kind must be one the viewer may group by
// (FORBIDDEN at "kind"); each lead must exist (NOT_FOUND at "leadIDs[i]"),
// be in the viewer's write scope, as a merge needs (FORBIDDEN), and be of
// the group: not merged and with the first lead's key (BAD_USER_INPUT).
// Dismissing the same leads again changes nothing. Refused, it writes
// nothing.
func (s *Service) Dismiss(ctx context.Context, kind Kind, ids []uuid.UUID, actor *uuid.UUID, now time.Time) error {
	if err := checkKind(ctx, kind); err != nil {
		return err
	}
	if err := checkIDs(ids); err != nil {
		return err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	return txn.WithTx(ctx, s.DB(ctx), func(c *ent.Client) error {
		if err := scope.LockLeads(ctx, c, scope.Write, "leadIDs", ids); err != nil {
			return err
		}
		hash, err := groupKey(ctx, c, tid, kind, ids)
		if err != nil {
			return err
		}
		r, err := c.ExecContext(ctx, `INSERT INTO duplicate_dismissals (id, tenant_id, kind, key_hash, lead_ids, dismissed_by, dismissed_at)
			VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7) ON CONFLICT (tenant_id, kind, key_hash, lead_ids) DO NOTHING`,
			gid.New(gid.DuplicateDismissal), tid, string(kind), hash, txn.UUIDArray(sorted(ids)), actor, now)
		if err != nil {
			return fmt.Errorf("dismiss duplicates: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil // dismissed already
		}
		return events.Record(ctx, c, ids, EventDismissed, "duplicates", eventProps(kind, ids, actor), now)
	})
}

// Restore takes back the dismissal of exactly the leads ids under kind (the
// undo of Dismiss), whatever their key is now; it reports whether there was
// one. The leads are checked as Dismiss checks them, except that they need
// not share a key any more.
func (s *Service) Restore(ctx context.Context, kind Kind, ids []uuid.UUID, actor *uuid.UUID, now time.Time) (bool, error) {
	if err := checkKind(ctx, kind); err != nil {
		return false, err
	}
	if err := checkIDs(ids); err != nil {
		return false, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return false, err
	}
	var found bool
	err = txn.WithTx(ctx, s.DB(ctx), func(c *ent.Client) error {
		if err := scope.LockLeads(ctx, c, scope.Write, "leadIDs", ids); err != nil {
			return err
		}
		r, err := c.ExecContext(ctx, `DELETE FROM duplicate_dismissals WHERE tenant_id = $1 AND kind = $2 AND lead_ids = $3::uuid[]`,
			tid, string(kind), txn.UUIDArray(sorted(ids)))
		if err != nil {
			return fmt.Errorf("restore duplicates: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil
		}
		found = true
		return events.Record(ctx, c, ids, EventRestored, "duplicates", eventProps(kind, ids, actor), now)
	})
	return found, err
}

// checkIDs refuses fewer than two leads, more than MaxDismiss, and a lead
// named twice.
func checkIDs(ids []uuid.UUID) error {
	if len(ids) < 2 {
		return apperr.Input("leadIDs", "give at least two leads of the group")
	}
	if len(ids) > MaxDismiss {
		return apperr.New(apperr.LimitExceeded, "leadIDs", "at most %d leads per dismissal", MaxDismiss)
	}
	seen := make(map[uuid.UUID]bool, len(ids))
	for i, id := range ids {
		if seen[id] {
			return apperr.Input(fmt.Sprintf("leadIDs[%d]", i), "lead listed twice")
		}
		seen[id] = true
	}
	return nil
}

// groupKey is the hash of the key the leads ids share under kind, read as
// the group statement computes it; a lead that is in no group of kind (merged,
// not active for NAME_COMPANY, without the value) or whose key differs from
// the first lead's is refused at its index.
func groupKey(ctx context.Context, c *ent.Client, tid uuid.UUID, kind Kind, ids []uuid.UUID) ([]byte, error) {
	k1, k2 := keyExprs(kind, func(col string) string { return col })
	rows, err := c.QueryContext(ctx, `SELECT id, status, `+keyHash(k1, k2)+`, `+k1+` IS NOT NULL AND `+k1+` <> '' AND `+k2+` IS NOT NULL
		FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("read the group's keys: %w", err)
	}
	defer rows.Close()
	type row struct {
		status string
		hash   []byte
		keyed  bool
	}
	got := make(map[uuid.UUID]row, len(ids))
	for rows.Next() {
		var (
			id uuid.UUID
			r  row
		)
		if err := rows.Scan(&id, &r.status, &r.hash, &r.keyed); err != nil {
			return nil, err
		}
		got[id] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	what := map[Kind]string{Phone: "phone", Email: "email", NameCompany: "name and company"}[kind]
	var first []byte
	for i, id := range ids {
		r, ok := got[id]
		field := fmt.Sprintf("leadIDs[%d]", i)
		switch {
		case !ok:
			return nil, apperr.New(apperr.NotFound, field, "lead not found")
		case r.status == "MERGED" || (kind == NameCompany && r.status != "ACTIVE") || !r.keyed || r.hash == nil:
			return nil, apperr.Input(field, "the lead is in no %s duplicate group (it is %s or has no %s)", strings.ToLower(string(kind)), r.status, what)
		case first == nil:
			first = r.hash
		case !bytes.Equal(first, r.hash):
			return nil, apperr.Input(field, "the lead does not share the %s of leadIDs[0]", what)
		}
	}
	return first, nil
}

func sorted(ids []uuid.UUID) []uuid.UUID {
	return slices.SortedFunc(slices.Values(ids), func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
}

func eventProps(kind Kind, ids []uuid.UUID, actor *uuid.UUID) map[string]any {
	leads := make([]string, len(ids))
	for i, id := range ids {
		leads[i] = id.String()
	}
	p := map[string]any{"kind": string(kind), "leads": leads}
	if actor != nil {
		p["by"] = actor.String()
	}
	return p
}
