package duplicates

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// MaxDismiss is the most leads one dismissal holds: the leads named, and
// the whole group they are of, as the viewer sees it. A page shows at most
// MaxLeadsPerGroup of a group; a group of thousands sharing one phone or
// name is a data problem to fix, not a review to wave through at once.
const MaxDismiss = 2000

// Events recorded on each lead of a dismissal and of its undo (the lead's
// timeline shows who decided).
const (
	EventDismissed = "lead.duplicate_dismissed"
	EventRestored  = "lead.duplicate_restored"
)

// Dismiss records that the group of kind the leads ids are of is not
// duplicates (不是重复): the whole group as the viewer sees it now (every
// lead of the key of ids[0] that Groups would list, those beyond the page
// it showed included), so Groups leaves the group out until another lead
// joins it. The kind must be one the viewer may group by (FORBIDDEN at
// "kind"); each lead of ids must exist (NOT_FOUND at "leadIDs[i]"), be in
// the viewer's write scope, as a merge needs (FORBIDDEN), and be of the
// group: not merged and with the first lead's key (BAD_USER_INPUT); every
// other lead of the group must be in the write scope too (FORBIDDEN at
// "leadIDs"), and the group hold at most MaxDismiss leads (LIMIT_EXCEEDED).
// Dismissing the same group again changes nothing. Refused, it writes
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
		key, err := groupKey(ctx, c, tid, kind, ids)
		if err != nil {
			return err
		}
		all, err := s.members(ctx, c, tid, kind, key, ids)
		if err != nil {
			return err
		}
		r, err := c.ExecContext(ctx, `INSERT INTO duplicate_dismissals (id, tenant_id, kind, key_hash, lead_ids, dismissed_by, dismissed_at)
			VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7) ON CONFLICT (tenant_id, kind, key_hash, lead_ids) DO NOTHING`,
			gid.New(gid.DuplicateDismissal), tid, string(kind), key.hash, txn.UUIDArray(sorted(all)), actor, now)
		if err != nil {
			return fmt.Errorf("dismiss duplicates: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil // dismissed already
		}
		return events.Record(ctx, c, all, EventDismissed, "duplicates", eventProps(kind, all, actor), now)
	})
}

// members are the leads of the group of key as the viewer of ctx sees it
// (the rows Groups groups), ids first, all locked in the viewer's write
// scope: a lead of the group outside it is refused (FORBIDDEN at
// "leadIDs"), as is a group of more than MaxDismiss leads.
func (s *Service) members(ctx context.Context, c *ent.Client, tid uuid.UUID, kind Kind, key groupKeyOf, ids []uuid.UUID) ([]uuid.UUID, error) {
	src, args := source(ctx, kind, tid)
	n := len(args)
	rows, err := c.QueryContext(ctx, fmt.Sprintf(`SELECT id FROM (%s) AS x WHERE k1 = $%d AND k2 = $%d LIMIT $%d`, src, n+1, n+2, n+3),
		append(args, key.k1, key.k2, MaxDismiss+1)...)
	if err != nil {
		return nil, fmt.Errorf("read the group's leads: %w", err)
	}
	defer rows.Close()
	all := slices.Clone(ids)
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			all = append(all, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(all) > MaxDismiss {
		return nil, apperr.New(apperr.LimitExceeded, "leadIDs", "the group has more than %d leads: too many to dismiss at once", MaxDismiss)
	}
	if err := lockGroup(ctx, c, ids, all); err != nil {
		return nil, err
	}
	return all, nil
}

// lockGroup locks all, the leads ids and the rest of their group after
// them, in the viewer's write scope: a lead of ids out of it is refused at
// "leadIDs[i]", any other at "leadIDs".
func lockGroup(ctx context.Context, c *ent.Client, ids, all []uuid.UUID) error {
	err := scope.Lock(ctx, c, scope.Write, all, func(i int) string {
		if i < len(ids) {
			return fmt.Sprintf("leadIDs[%d]", i)
		}
		return "leadIDs"
	})
	if e, ok := apperr.As(err); ok && e.Field == "leadIDs" {
		return apperr.Wrap(err, e.Code, "leadIDs",
			"a lead of the group beyond leadIDs is not yours to change ("+e.Message+"): the whole group is dismissed or restored, or none of it")
	}
	return err
}

// Restore takes back the dismissals of kind that hold every lead of ids
// (the undo of Dismiss given the same leads: the dismissal holds them and
// the rest of their group), whatever their keys are now; it reports
// whether there was one. The leads of ids are checked as Dismiss checks
// them, except that they need not share a key any more, and the other
// leads of the dismissals that still exist must be in the viewer's write
// scope too (FORBIDDEN at "leadIDs").
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
		var held pq.StringArray
		if err := txn.QueryRow(ctx, c, `SELECT coalesce(array_agg(DISTINCT l), '{}') FROM duplicate_dismissals d, unnest(d.lead_ids) AS l
			WHERE d.tenant_id = $1 AND d.kind = $2 AND d.lead_ids @> $3::uuid[]`, tid, string(kind), txn.UUIDArray(ids)).Scan(&held); err != nil {
			return fmt.Errorf("restore duplicates: %w", err)
		}
		if len(held) == 0 {
			return nil
		}
		all, err := s.existing(ctx, c, ids, held)
		if err != nil {
			return err
		}
		if err := lockGroup(ctx, c, ids, all); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `DELETE FROM duplicate_dismissals WHERE tenant_id = $1 AND kind = $2 AND lead_ids @> $3::uuid[]`,
			tid, string(kind), txn.UUIDArray(ids)); err != nil {
			return fmt.Errorf("restore duplicates: %w", err)
		}
		found = true
		return events.Record(ctx, c, all, EventRestored, "duplicates", eventProps(kind, all, actor), now)
	})
	return found, err
}

// existing is ids and the leads of held (ids as text) that still exist
// and are not among ids: a lead deleted since its dismissal is not in the
// way of its undo.
func (s *Service) existing(ctx context.Context, c *ent.Client, ids []uuid.UUID, held []string) ([]uuid.UUID, error) {
	var others []uuid.UUID
	for _, h := range held {
		id, err := uuid.Parse(h)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			others = append(others, id)
		}
	}
	if len(others) == 0 {
		return ids, nil
	}
	left, err := c.Lead.Query().Where(lead.IDIn(others...)).IDs(scope.Unscoped(ctx))
	if err != nil {
		return nil, err
	}
	return append(slices.Clone(ids), left...), nil
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

// groupKeyOf is a group's key: its values (k1, k2 as source reads them)
// and their hash, as dismissals store it.
type groupKeyOf struct {
	k1, k2 string
	hash   []byte
}

// groupKey is the key the leads ids share under kind, read as the group
// statement computes it; a lead that is in no group of kind (merged,
// not active for NAME_COMPANY, without the value) or whose key differs from
// the first lead's is refused at its index.
func groupKey(ctx context.Context, c *ent.Client, tid uuid.UUID, kind Kind, ids []uuid.UUID) (groupKeyOf, error) {
	var key groupKeyOf
	k1, k2 := keyExprs(kind, func(col string) string { return col })
	rows, err := c.QueryContext(ctx, `SELECT id, status, `+keyHash(k1, k2)+`, coalesce(`+k1+`, ''), coalesce(`+k2+`, ''), `+
		k1+` IS NOT NULL AND `+k1+` <> '' AND `+k2+` IS NOT NULL
		FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid, txn.UUIDArray(ids))
	if err != nil {
		return key, fmt.Errorf("read the group's keys: %w", err)
	}
	defer rows.Close()
	type row struct {
		status string
		key    groupKeyOf
		keyed  bool
	}
	got := make(map[uuid.UUID]row, len(ids))
	for rows.Next() {
		var (
			id uuid.UUID
			r  row
		)
		if err := rows.Scan(&id, &r.status, &r.key.hash, &r.key.k1, &r.key.k2, &r.keyed); err != nil {
			return key, err
		}
		got[id] = r
	}
	if err := rows.Err(); err != nil {
		return key, err
	}
	what := map[Kind]string{Phone: "phone", Email: "email", NameCompany: "name and company"}[kind]
	for i, id := range ids {
		r, ok := got[id]
		field := fmt.Sprintf("leadIDs[%d]", i)
		switch {
		case !ok:
			return key, apperr.New(apperr.NotFound, field, "lead not found")
		case r.status == "MERGED" || (kind == NameCompany && r.status != "ACTIVE") || !r.keyed || r.key.hash == nil:
			return key, apperr.Input(field, "the lead is in no %s duplicate group (it is %s or has no %s)", strings.ToLower(string(kind)), r.status, what)
		case key.hash == nil:
			key = r.key
		case !bytes.Equal(key.hash, r.key.hash):
			return key, apperr.Input(field, "the lead does not share the %s of leadIDs[0]", what)
		}
	}
	return key, nil
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
