// Package duplicates finds suspected duplicate leads for review: leads the
// viewer can read that share a phone, an email, or a name and company.
//
// An active lead's phone and email are unique in its workspace (the partial
// unique indexes of ent/schema/lead.go), so leads sharing one are an ACTIVE
// lead and ARCHIVED ones, or ARCHIVED ones only; MERGED leads are left out,
// they are merged already. Names and companies are compared lower-cased and
// trimmed (as stored they are cleaned already: internal/clean.Name drops
// invisible characters and collapses spaces), so "ACME Ltd" and " acme ltd "
// are one company, among ACTIVE leads with both set.
//
// A reviewer may dismiss a group as not duplicates (不是重复, Dismiss): the
// group is left out, in the statement itself, while every lead of it the
// viewer reads is among the dismissed ones of the same kind and key; a lead
// that joins it later brings it back with all its leads.
//
// A page is one grouped statement over the viewer's leads (tenant and row
// filter as every lead query has them): PHONE and EMAIL start from the
// archived leads (index lead_archived_phone/email, small) and look up the
// active lead of each value through the unique index; NAME_COMPANY reads
// the active leads' lower-cased company and name (the index's
// expressions), the columns, created_at and id from lead_active_company_name
// in its order, grouping as it reads. A group counts only the leads the
// viewer can read, so it needs two of them.
package duplicates

import (
	"cmp"
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
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// Kind is what a group's leads share.
type Kind string

// The kinds of duplicate groups.
const (
	Phone       Kind = "PHONE"
	Email       Kind = "EMAIL"
	NameCompany Kind = "NAME_COMPANY"
)

// Page sizes of Groups.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	// MaxLeadsPerGroup is how many leads of a group are returned (newest
	// first); Group.Count says how many there are.
	MaxLeadsPerGroup = 50
)

// Group is one set of suspected duplicates.
type Group struct {
	Kind Kind
	// Key is what the leads share, for display: the phone, the email, or
	// "name / company".
	Key   string
	Count int
	// NewestAt is when the group's newest lead was created and LastID its
	// greatest lead id: the order of groups and the cursor.
	NewestAt time.Time
	NewestID uuid.UUID
	// Leads are the group's leads the viewer reads, newest first, at most
	// MaxLeadsPerGroup.
	Leads []*ent.Lead
	// Version is the whole group as read (all Count leads): Dismiss given
	// it dismisses this group or nothing.
	Version Version
}

// Page is a page of groups.
type Page struct {
	Groups  []Group
	HasNext bool
	// Total is the number of groups of the kind the viewer sees.
	Total int
}

// After is a page's cursor: the newest lead of the last group of the
// previous page.
type After struct {
	At time.Time
	ID uuid.UUID
}

// Service lists duplicate groups; the workspace and viewer come from the
// context.
type Service struct {
	txn.Root
	// Events records the dismissals and their undos on the leads and tells
	// its watcher in their transaction (journeys triggered by an event);
	// nil: recorded, nobody told.
	Events *events.Recorder
}

// New returns the service.
func New(root txn.Root) *Service { return &Service{Root: root} }

// Groups returns a page of the groups of kind, the group with the newest
// lead first. A viewer who sees phones (emails) masked cannot group by them:
// FORBIDDEN at "kind", as a filter or sort on them is.
func (s *Service) Groups(ctx context.Context, kind Kind, first int, after *After) (*Page, error) {
	if err := checkKind(ctx, kind); err != nil {
		return nil, err
	}
	if first <= 0 {
		first = DefaultPageSize
	}
	first = min(first, MaxPageSize)
	q, args, err := statement(ctx, kind, first, after)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("duplicates: %w", err)
	}
	defer rows.Close()
	page := &Page{}
	for rows.Next() {
		var (
			g   Group
			ids pq.StringArray
		)
		g.Kind = kind
		var d2 string
		if err := rows.Scan(&g.Key, &d2, &g.Count, &g.NewestAt, &g.NewestID, &ids, &page.Total); err != nil {
			return nil, err
		}
		if kind == NameCompany {
			g.Key = d2 + " / " + g.Key // name / company
		}
		all := make([]uuid.UUID, len(ids))
		for i, id := range ids {
			u, err := uuid.Parse(id)
			if err != nil {
				return nil, err
			}
			all[i] = u
			g.Leads = append(g.Leads, &ent.Lead{ID: u})
		}
		g.Version = versionOf(all)
		page.Groups = append(page.Groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Groups) > first {
		page.Groups, page.HasNext = page.Groups[:first], true
	}
	if after != nil && len(page.Groups) == 0 {
		page.Total = 0 // past the last group: the window saw no row
	}
	return page, s.loadLeads(ctx, page)
}

// checkKind refuses a kind the viewer may not group by (FORBIDDEN at
// "kind": phones or emails seen masked) or that does not exist.
func checkKind(ctx context.Context, kind Kind) error {
	switch kind {
	case Phone:
		return authz.CheckSearchable(ctx, "kind", fields.TypePhone)
	case Email:
		return authz.CheckSearchable(ctx, "kind", fields.TypeEmail)
	case NameCompany:
		return nil
	default:
		return apperr.Input("kind", "unknown duplicate kind %q", kind)
	}
}

// statement is the page's statement: the groups of the candidate rows
// (source) with at least two leads and not dismissed (no dismissal of the
// kind and key holds all their ids), their count over all (a window over
// the groups, before the cursor and the limit), first+1 of them after the
// cursor. Groups are ordered by their newest lead's time, then by their
// greatest lead id (unique to the group: a lead is in one group of a kind);
// their ids come unordered (an ordered aggregate would sort every group of
// one, most of the work), and loadLeads orders them. A group shows the
// least of its leads' values (d1, d2, byte order: "ACME" before "acme") as
// its key.
func statement(ctx context.Context, kind Kind, first int, after *After) (string, []any, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return "", nil, err
	}
	src, args := source(ctx, kind, tid)
	var afterAt, afterID any
	if after != nil {
		afterAt, afterID = after.At, after.ID
	}
	n := len(args)
	q := fmt.Sprintf(`
SELECT d1, d2, n, newest_at, last_id, ids, total FROM (
	SELECT d1, d2, n, newest_at, last_id, ids, count(*) OVER () AS total FROM (
		SELECT k1, k2, min(d1 COLLATE "C") AS d1, min(d2 COLLATE "C") AS d2, count(*) AS n, max(created_at) AS newest_at,
			max(id::text)::uuid AS last_id, array_agg(id) AS ids
		FROM (%s) AS x
		GROUP BY k1, k2 HAVING count(*) >= 2
	) AS g0
	WHERE NOT EXISTS (SELECT 1 FROM duplicate_dismissals d WHERE d.tenant_id = $%d AND d.kind = $%d
		AND d.key_hash = %s AND d.lead_ids @> g0.ids)
) AS g
WHERE $%d::timestamptz IS NULL OR (newest_at, last_id) < ($%d::timestamptz, $%d::uuid)
ORDER BY newest_at DESC, last_id DESC
LIMIT $%d`, src, n+1, n+2, keyHash("g0.k1", "g0.k2"), n+3, n+3, n+4, n+5)
	return q, append(args, tid, string(kind), afterAt, afterID, first+1), nil
}

// keyExprs are the SQL expressions of a lead's key of kind (k1, k2) over
// the columns of leads: the phone or email (k2 empty), or the lower-cased,
// trimmed company and name, as lead_active_company_name indexes them.
func keyExprs(kind Kind, col func(string) string) (k1, k2 string) {
	switch kind {
	case Phone:
		return col(lead.FieldPhone), "''"
	case Email:
		return col(lead.FieldEmail), "''"
	default:
		return "lower(btrim(" + col(lead.FieldCompany) + "))", "lower(btrim(" + col(lead.FieldName) + "))"
	}
}

// keyHash is the SQL of a key's hash as dismissals store it: SHA-256 of
// k1, a unit separator (cleaned names never hold one) and k2.
func keyHash(k1, k2 string) string {
	return "sha256(convert_to(" + k1 + " || chr(31) || " + k2 + ", 'UTF8'))"
}

// loadLeads replaces the id-only leads of page by the leads, newest first
// and at most MaxLeadsPerGroup a group, read through the client (tenant and
// row filter again): one statement for the groups that fit, one for each
// larger group.
func (s *Service) loadLeads(ctx context.Context, page *Page) error {
	newestFirst := []lead.OrderOption{ent.Desc(lead.FieldCreatedAt), ent.Desc(lead.FieldID)}
	var small []uuid.UUID
	byID := map[uuid.UUID]*ent.Lead{}
	for _, g := range page.Groups {
		ids := make([]uuid.UUID, len(g.Leads))
		for i, l := range g.Leads {
			ids[i] = l.ID
		}
		if len(ids) <= MaxLeadsPerGroup {
			small = append(small, ids...)
			continue
		}
		ls, err := s.DB(ctx).Lead.Query().Where(lead.IDIn(ids...)).Order(newestFirst...).Limit(MaxLeadsPerGroup).All(ctx)
		if err != nil {
			return err
		}
		for _, l := range ls {
			byID[l.ID] = l
		}
	}
	if len(small) > 0 {
		ls, err := s.DB(ctx).Lead.Query().Where(lead.IDIn(small...)).All(ctx)
		if err != nil {
			return err
		}
		for _, l := range ls {
			byID[l.ID] = l
		}
	}
	for i, g := range page.Groups {
		kept := make([]*ent.Lead, 0, min(len(g.Leads), MaxLeadsPerGroup))
		for _, l := range g.Leads {
			if full := byID[l.ID]; full != nil { // gone since the grouping: left out
				kept = append(kept, full)
			}
		}
		slices.SortFunc(kept, func(a, b *ent.Lead) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID.String(), a.ID.String()))
		})
		page.Groups[i].Leads = kept
	}
	return nil
}

// source is the statement of the rows (k1, k2, d1, d2, created_at, id) of
// the viewer's candidate leads of kind, with its arguments: k1 is the phone
// or email (k2 empty), or the company (k2 the name) lower-cased and trimmed;
// company first, the order of the index, so the grouping streams from it
// without a sort. d1 and d2 are the values as stored, to show.
func source(ctx context.Context, kind Kind, tid uuid.UUID) (string, []any) {
	b := sql.Dialect(dialect.Postgres)
	filter := scope.Filter(ctx)
	scoped := func(s *sql.Selector) *sql.Selector {
		if filter != nil {
			filter(s)
		}
		return s
	}
	if kind == NameCompany {
		t := sql.Table(lead.Table)
		s := b.Select().From(t)
		k1, k2 := keyExprs(kind, s.C)
		s.Select(k1+" AS k1", k2+" AS k2", s.C(lead.FieldCompany)+" AS d1", s.C(lead.FieldName)+" AS d2",
			s.C(lead.FieldCreatedAt), s.C(lead.FieldID)).
			Where(sql.And(sql.EQ(s.C(lead.FieldTenantID), tid), sql.EQ(s.C(lead.FieldStatus), lead.StatusACTIVE.String()),
				sql.NEQ(s.C(lead.FieldCompany), ""), sql.NEQ(s.C(lead.FieldName), "")))
		return scoped(s).Query()
	}
	col := lead.FieldPhone
	if kind == Email {
		col = lead.FieldEmail
	}
	archived := b.Select().From(sql.Table(lead.Table))
	archived.Select(archived.C(col)+" AS k1", "'' AS k2", archived.C(col)+" AS d1", "'' AS d2",
		archived.C(lead.FieldCreatedAt), archived.C(lead.FieldID)).
		Where(sql.And(sql.EQ(archived.C(lead.FieldTenantID), tid), sql.EQ(archived.C(lead.FieldStatus), lead.StatusARCHIVED.String()),
			sql.NotNull(archived.C(col))))
	// Every archived value of the workspace: the active lead counts when the
	// viewer reads it, whichever archived leads the viewer reads.
	values := b.Select().From(sql.Table(lead.Table).As("a"))
	values.Select(values.C(col)).Where(sql.And(sql.EQ(values.C(lead.FieldTenantID), tid),
		sql.EQ(values.C(lead.FieldStatus), lead.StatusARCHIVED.String()), sql.NotNull(values.C(col))))
	active := b.Select().From(sql.Table(lead.Table))
	active.Select(active.C(col)+" AS k1", "'' AS k2", active.C(col)+" AS d1", "'' AS d2",
		active.C(lead.FieldCreatedAt), active.C(lead.FieldID)).
		Where(sql.And(sql.EQ(active.C(lead.FieldTenantID), tid), sql.EQ(active.C(lead.FieldStatus), lead.StatusACTIVE.String()),
			sql.In(active.C(col), values)))
	return scoped(archived).UnionAll(scoped(active)).Query()
}
