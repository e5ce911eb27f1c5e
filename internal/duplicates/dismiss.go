package duplicates

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// MaxDismissIDs is the most leads a dismissal or its undo may name. The
// group itself may be larger: it is read, locked and recorded by the key,
// in set-based statements, whatever its size (a page names at most
// MaxLeadsPerGroup of it).
const MaxDismissIDs = 2000

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
// joins it. With seen (the Version Groups served), the group must still be
// the leads seen names, else CONFLICT at "version" (a *Changed says how
// many leads it had and has): what is dismissed is what the reviewer saw.
// The kind must be one the viewer may group by (FORBIDDEN at "kind"); each
// lead of ids must exist (NOT_FOUND at "leadIDs[i]"), be in the viewer's
// write scope, as a merge needs (FORBIDDEN), and be of the group: not
// merged and with the first lead's key (BAD_USER_INPUT); every other lead
// of the group must be in the write scope too (FORBIDDEN at "leadIDs").
// Dismissing the same group again changes nothing. Refused, it writes
// nothing.
func (s *Service) Dismiss(ctx context.Context, kind Kind, ids []uuid.UUID, seen *Version, actor *uuid.UUID, now time.Time) error {
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
		v := versionOf(all)
		if seen != nil && !seen.Same(v) {
			return changedError(*seen, v)
		}
		if err := lockGroup(ctx, c, tid, all); err != nil {
			return err
		}
		r, err := c.ExecContext(ctx, `INSERT INTO duplicate_dismissals (id, tenant_id, kind, key_hash, lead_ids, leads_hash, dismissed_by, dismissed_at)
			VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7, $8) ON CONFLICT (tenant_id, kind, key_hash, leads_hash) DO NOTHING`,
			gid.New(gid.DuplicateDismissal), tid, string(kind), key.hash, txn.UUIDArray(sorted(all)), v.Hash, actor, now)
		if err != nil {
			return fmt.Errorf("dismiss duplicates: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil // dismissed already
		}
		return s.Events.Record(ctx, c, all, EventDismissed, "duplicates", eventProps(kind, all, actor), now)
	})
}

// members are the leads of the group of key as the viewer of ctx sees it
// (the rows Groups groups, all of them), ids first.
func (s *Service) members(ctx context.Context, c *ent.Client, tid uuid.UUID, kind Kind, key groupKeyOf, ids []uuid.UUID) ([]uuid.UUID, error) {
	src, args := source(ctx, kind, tid)
	n := len(args)
	rows, err := c.QueryContext(ctx, fmt.Sprintf(`SELECT id FROM (%s) AS x WHERE k1 = $%d AND k2 = $%d`, src, n+1, n+2),
		append(args, key.k1, key.k2)...)
	if err != nil {
		return nil, fmt.Errorf("read the group's leads: %w", err)
	}
	defer rows.Close()
	named := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		named[id] = true
	}
	all := slices.Clone(ids)
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if !named[id] {
			all = append(all, id)
		}
	}
	return all, rows.Err()
}

// lockGroup locks the leads of all (the leads named, locked and checked
// already, and the rest of their group) in id order, in one statement
// whatever their number, and refuses the group (FORBIDDEN at "leadIDs")
// when one of them is gone or outside the viewer's write scope: the whole
// group is dismissed or restored, or none of it.
func lockGroup(ctx context.Context, c *ent.Client, tid uuid.UUID, all []uuid.UUID) error {
	arr := txn.UUIDArray(all)
	var locked int
	if err := txn.QueryRow(ctx, c, `SELECT count(*) FROM (SELECT id FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE) AS l`,
		tid, arr).Scan(&locked); err != nil {
		return fmt.Errorf("lock the group: %w", err)
	}
	writable := locked
	if v := auth.FromContext(ctx); v != nil {
		s := sql.Dialect(dialect.Postgres).Select(sql.Count("*")).From(sql.Table(lead.Table))
		s.Where(sql.And(sql.EQ(s.C(lead.FieldTenantID), tid), sql.P(func(b *sql.Builder) {
			b.Ident(s.C(lead.FieldID)).WriteString(" = ANY(").Arg(arr).WriteString("::uuid[])")
		})))
		scope.WritePredicate(v)(s)
		q, args := s.Query()
		if err := txn.QueryRow(ctx, c, q, args...).Scan(&writable); err != nil {
			return fmt.Errorf("check the group's write scope: %w", err)
		}
	}
	if locked < len(all) || writable < locked {
		return apperr.Wrap(scope.ErrReadOnly, apperr.Forbidden, "leadIDs", fmt.Sprintf(
			"%d lead(s) of the group beyond leadIDs are not yours to change (%s): the whole group is dismissed or restored, or none of it",
			len(all)-writable, scope.ErrReadOnly.Error()))
	}
	return nil
}

// Restore takes back the dismissals of kind that hold every lead of ids
// (the undo of Dismiss given the same leads: the dismissal holds them and
// the rest of their group), whatever their keys are now; it reports
// whether there was one. The leads of ids are checked as Dismiss checks
// them, except that they need not share a key any more, and the other
// leads of the dismissals that still exist must be in the viewer's write
// scope too (FORBIDDEN at "leadIDs").
//
// seen, when set, is the version of the group the caller dismissed (and
// offers to undo): every dismissal to take back must be of exactly those
// leads, else CONFLICT at "version" and nothing is restored. That refuses
// a stale page's undo of a dismissal someone made again after a lead
// joined the group (a dismissal of more leads, which holds ids too), while
// the undo right after one's own dismissal goes through.
func (s *Service) Restore(ctx context.Context, kind Kind, ids []uuid.UUID, seen *Version, actor *uuid.UUID, now time.Time) (bool, error) {
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
		if seen != nil {
			if err := dismissedAs(ctx, c, tid, kind, ids, *seen); err != nil {
				return err
			}
		}
		all, err := s.existing(ctx, c, tid, ids, held)
		if err != nil {
			return err
		}
		if err := lockGroup(ctx, c, tid, all); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `DELETE FROM duplicate_dismissals WHERE tenant_id = $1 AND kind = $2 AND lead_ids @> $3::uuid[]`,
			tid, string(kind), txn.UUIDArray(ids)); err != nil {
			return fmt.Errorf("restore duplicates: %w", err)
		}
		found = true
		return s.Events.Record(ctx, c, all, EventRestored, "duplicates", eventProps(kind, all, actor), now)
	})
	return found, err
}

// dismissedAs checks that every dismissal of kind holding ids is of the
// leads seen names: CONFLICT at "version" with the largest other one's
// size when not.
func dismissedAs(ctx context.Context, c *ent.Client, tid uuid.UUID, kind Kind, ids []uuid.UUID, seen Version) error {
	var n int
	if err := txn.QueryRow(ctx, c, `SELECT coalesce(max(cardinality(lead_ids)), 0) FROM duplicate_dismissals
		WHERE tenant_id = $1 AND kind = $2 AND lead_ids @> $3::uuid[] AND leads_hash <> $4`,
		tid, string(kind), txn.UUIDArray(ids), seen.Hash).Scan(&n); err != nil {
		return fmt.Errorf("restore duplicates: %w", err)
	}
	if n == 0 {
		return nil
	}
	c2 := &Changed{Seen: seen.Count, Now: n}
	return apperr.Wrap(c2, apperr.Conflict, "version", fmt.Sprintf(
		"the group was dismissed again as %d leads since it was read (%d then): nothing was restored; read it again", n, seen.Count))
}

// existing is ids and the leads of held (ids as text) that still exist
// and are not among ids, read in one statement: a lead deleted since its
// dismissal is not in the way of its undo.
func (s *Service) existing(ctx context.Context, c *ent.Client, tid uuid.UUID, ids []uuid.UUID, held pq.StringArray) ([]uuid.UUID, error) {
	rows, err := c.QueryContext(ctx, `SELECT id FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND NOT id = ANY($3::uuid[])`,
		tid, held, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("read the dismissal's leads: %w", err)
	}
	defer rows.Close()
	all := slices.Clone(ids)
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		all = append(all, id)
	}
	return all, rows.Err()
}

// checkIDs refuses fewer than two leads, more than MaxDismissIDs, and a
// lead named twice.
func checkIDs(ids []uuid.UUID) error {
	if len(ids) < 2 {
		return apperr.Input("leadIDs", "give at least two leads of the group")
	}
	if len(ids) > MaxDismissIDs {
		return apperr.New(apperr.LimitExceeded, "leadIDs", "name at most %d leads of the group (it is dismissed whole by their key)", MaxDismissIDs)
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

// eventProps are the properties of each lead's event of a dismissal or its
// undo: the kind, how many leads were dismissed together and who did it.
// Not the other leads' ids: every lead of a group of n would carry n ids
// (n² in all), and the dismissal row holds them once.
func eventProps(kind Kind, ids []uuid.UUID, actor *uuid.UUID) map[string]any {
	p := map[string]any{"kind": string(kind), "count": len(ids)}
	if actor != nil {
		p["by"] = actor.String()
	}
	return p
}
