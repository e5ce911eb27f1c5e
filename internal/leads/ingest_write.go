package leads

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/territory"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// live returns the groups not rejected so far.
func (w *writer) live(gs []*group) []*group {
	out := gs[:0:0]
	for _, g := range gs {
		if _, bad := w.rejected[g.rows[0]]; !bad {
			out = append(out, g)
		}
	}
	return out
}

// checkReferences rejects groups naming a territory or referrer lead that
// does not exist in the workspace (or, for referrers, the caller cannot see).
func (w *writer) checkReferences(ctx context.Context, gs []*group) ([]*group, error) {
	var terrs, refs []uuid.UUID
	for _, g := range gs {
		if g.TerritoryID != nil {
			terrs = append(terrs, *g.TerritoryID)
		}
		if g.ReferrerID != nil {
			refs = append(refs, *g.ReferrerID)
		}
	}
	foundT, foundR := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	if len(terrs) > 0 {
		ids, err := w.c.Territory.Query().Where(territory.IDIn(terrs...)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			foundT[id] = true
		}
	}
	if len(refs) > 0 {
		ids, err := w.c.Lead.Query().Where(lead.IDIn(refs...)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			foundR[id] = true
		}
	}
	for _, g := range gs {
		if g.TerritoryID != nil && !foundT[*g.TerritoryID] {
			w.reject(g, RowError{Field: "territoryID", Code: CodeNotFound, Message: "territory not found"})
		}
		if g.ReferrerID != nil && !foundR[*g.ReferrerID] {
			w.reject(g, RowError{Field: "referrerID", Code: CodeNotFound, Message: "referrer lead not found"})
		}
	}
	return w.live(gs), nil
}

// checkBlacklist rejects groups whose phone or email is blacklisted.
func (w *writer) checkBlacklist(ctx context.Context, gs []*group) ([]*group, error) {
	var phones, emails pq.StringArray
	for _, g := range gs {
		if g.Phone != "" {
			phones = append(phones, g.Phone)
		}
		if g.Email != "" {
			emails = append(emails, g.Email)
		}
	}
	if len(phones)+len(emails) == 0 {
		return gs, nil
	}
	rows, err := w.c.QueryContext(ctx, `SELECT coalesce(phone, ''), coalesce(email, '') FROM suppressions
		WHERE tenant_id = $1 AND kind = 'BLACKLIST' AND (until IS NULL OR until > $2)
		AND (phone = ANY($3::text[]) OR email = ANY($4::text[]))`, w.tid, w.now, phones, emails)
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
	for _, g := range gs {
		switch {
		case g.Phone != "" && black["p:"+g.Phone]:
			w.reject(g, RowError{Field: "phone", Code: CodeBlacklisted, Message: "this phone number is blacklisted"})
		case g.Email != "" && black["e:"+g.Email]:
			w.reject(g, RowError{Field: "email", Code: CodeBlacklisted, Message: "this email is blacklisted"})
		}
	}
	return w.live(gs), nil
}

// matchSQL finds (and locks, in id order) the active leads holding any of
// the batch's identity keys. It runs unscoped: dedup is a workspace-wide
// invariant, whoever sends the row.
const matchSQL = `SELECT id, name, phone, email, union_id, open_id, external_id, company,
	owner_id, protected_until, territory_id, referrer_id, attributes
FROM leads
WHERE tenant_id = $1 AND status = 'ACTIVE'
	AND (external_id = ANY($2::text[]) OR union_id = ANY($3::text[]) OR phone = ANY($4::text[]) OR email = ANY($5::text[]))
ORDER BY id FOR UPDATE`

// match finds each group's existing lead by its identity keys, in priority
// order (externalID, unionID, phone, email).
func (w *writer) match(ctx context.Context, gs []*group) error {
	var ext, union, phones, emails pq.StringArray
	for _, g := range gs {
		for _, kv := range [...]struct {
			v   string
			dst *pq.StringArray
		}{{g.ExternalID, &ext}, {g.UnionID, &union}, {g.Phone, &phones}, {g.Email, &emails}} {
			if kv.v != "" {
				*kv.dst = append(*kv.dst, kv.v)
			}
		}
	}
	rows, err := w.c.QueryContext(ctx, matchSQL, w.tid, ext, union, phones, emails)
	if err != nil {
		return fmt.Errorf("match identities: %w", err)
	}
	defer rows.Close()
	if w.held == nil {
		w.held = map[string]*existing{}
	}
	held := w.held
	for rows.Next() {
		var e existing
		var attrs []byte
		if err := rows.Scan(&e.ID, &e.Name, &e.Phone, &e.Email, &e.UnionID, &e.OpenID, &e.ExternalID, &e.Company,
			&e.OwnerID, &e.ProtectedUntil, &e.TerritoryID, &e.ReferrerID, &attrs); err != nil {
			return err
		}
		if err := json.Unmarshal(attrs, &e.Attributes); err != nil {
			return fmt.Errorf("decode attributes of lead %s: %w", e.ID, err)
		}
		for _, k := range (identity{ExternalID: deref(e.ExternalID), UnionID: deref(e.UnionID), Phone: deref(e.Phone), Email: deref(e.Email)}).keys() {
			held[k] = &e
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, g := range gs {
		for _, k := range g.keys() {
			if e := held[k]; e != nil {
				w.targets[g] = e
				break
			}
		}
	}
	return nil
}

// checkBlacklistedLeads rejects groups that matched a lead blacklisted by id.
func (w *writer) checkBlacklistedLeads(ctx context.Context, gs []*group) ([]*group, error) {
	var ids []uuid.UUID
	for _, g := range gs {
		if t := w.targets[g]; t != nil {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return gs, nil
	}
	rows, err := w.c.QueryContext(ctx, `SELECT lead_id FROM suppressions
		WHERE tenant_id = $1 AND kind = 'BLACKLIST' AND (until IS NULL OR until > $2) AND lead_id = ANY($3::uuid[])`,
		w.tid, w.now, txn.UUIDArray(ids))
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
	for _, g := range gs {
		if t := w.targets[g]; t != nil && black[t.ID] {
			w.reject(g, RowError{Field: "", Code: CodeBlacklisted, Message: "this person is blacklisted"})
		}
	}
	return w.live(gs), nil
}

// finalAttributes computes what each group will store: a new lead's
// attributes with defaults and required fields checked, or the existing
// lead's attributes filled with the group's (see mergedAttributes).
func (w *writer) finalAttributes(gs []*group) []*group {
	w.attrs = map[*group]map[string]any{}
	for _, g := range gs {
		if w.targets[g] != nil {
			continue
		}
		attrs, err := w.sch.Validate(fields.ModeCreate, nil, g.Attributes)
		if err != nil {
			for _, fe := range fieldErrors(err) {
				w.reject(g, fe)
			}
			continue
		}
		w.attrs[g] = attrs
	}
	w.mergedAttributes(gs)
	return w.live(gs)
}

// mergedAttributes sets the attributes of every group that merges into an
// existing lead: the lead's, filled key by key from the groups merging into
// it in batch order (existing wins unless empty).
func (w *writer) mergedAttributes(gs []*group) {
	merged := map[uuid.UUID]map[string]any{}
	for _, g := range gs {
		if t := w.targets[g]; t != nil {
			base, ok := merged[t.ID]
			if !ok {
				base = t.Attributes
			}
			merged[t.ID] = fillAttributes(base, g.Attributes)
		}
	}
	for _, g := range gs {
		if t := w.targets[g]; t != nil {
			w.attrs[g] = merged[t.ID]
		}
	}
}

// checkUnique enforces unique custom fields: writers of one workspace and
// key serialise on the advisory lock updateLead uses, then values already
// held by another active lead, or by an earlier group of the batch, reject
// the group with DUPLICATE.
func (w *writer) checkUnique(ctx context.Context, gs []*group) ([]*group, error) {
	var keys []string
	for _, d := range w.sch.Definitions() {
		if d.Unique && !d.Archived {
			keys = append(keys, d.Key)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		// JSON value -> who holds it: a lead's id, or the *group that will create one.
		claimed := map[string]any{}
		var vals pq.StringArray
		enc := map[*group]string{}
		for _, g := range gs {
			v, ok := w.attrs[g][k]
			if !ok || v == nil {
				continue
			}
			raw, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			enc[g] = string(raw)
			vals = append(vals, string(raw))
		}
		if len(vals) == 0 {
			continue
		}
		if _, err := w.c.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, uniqueLockKey(w.tid, k)); err != nil {
			return nil, fmt.Errorf("lock unique field: %w", err)
		}
		rows, err := w.c.QueryContext(ctx, `SELECT id, (attributes -> $2)::text FROM leads
			WHERE tenant_id = $1 AND status = 'ACTIVE' AND attributes -> $2 = ANY($3::jsonb[])`, w.tid, k, vals)
		if err != nil {
			return nil, fmt.Errorf("check unique %s: %w", k, err)
		}
		for rows.Next() {
			var id uuid.UUID
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return nil, err
			}
			claimed[normJSON(v)] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		def, _ := w.sch.Lookup(k)
		for _, g := range gs {
			v, ok := enc[g]
			if !ok {
				continue
			}
			var self any = g
			if t := w.targets[g]; t != nil {
				self = t.ID
			}
			holder, taken := claimed[normJSON(v)]
			if taken && holder != self {
				w.reject(g, RowError{Field: "attributes." + k, Code: CodeDuplicate, Message: fmt.Sprintf("another lead already has this %s", def.Label)})
				continue
			}
			claimed[normJSON(v)] = self
		}
		gs = w.live(gs)
	}
	return gs, nil
}

// uniqueLockKey is the advisory lock of (workspace, unique field key), shared
// with Update.
func uniqueLockKey(tid uuid.UUID, key string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(tid.String() + "/" + key))
	return int64(h.Sum64())
}

// normJSON re-encodes a JSON text so values compare by content.
func normJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// insertSQL inserts the batch's new leads from parallel arrays (parsed far
// faster than a JSON document of rows). It runs as a plain INSERT first:
// ON CONFLICT DO NOTHING checks every unique index before it inserts, which
// costs a quarter more per row, and a conflict only happens when a
// concurrent ingest committed the same person after this one matched (see
// insert and rematch).
const insertSQL = `INSERT INTO leads (id, tenant_id, seq, name, phone, email, union_id, open_id, external_id,
	company, source, source_detail, status, score, attributes, stage_id, pool_id, territory_id, partner_id,
	referrer_id, reachable, locked, created_at, updated_at)
SELECT r.id, $1, r.seq, r.name, r.phone, r.email, r.union_id, r.open_id, r.external_id,
	r.company, r.source, r.source_detail, 'ACTIVE', 0, r.attributes, $2, $3, r.territory_id, $4,
	r.referrer_id, r.reachable, false, $5, $5
FROM unnest($6::uuid[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
	$14::text[], $15::text[], $16::text[], $17::jsonb[], $18::uuid[], $19::uuid[], $20::jsonb[])
	AS r(id, seq, name, phone, email, union_id, open_id, external_id, company, source, source_detail,
	attributes, territory_id, referrer_id, reachable)`

// insertRacedSQL is insertSQL for a batch whose plain insert hit a person a
// concurrent ingest committed: the rows that still conflict are skipped and
// merged instead.
const insertRacedSQL = insertSQL + `
ON CONFLICT DO NOTHING
RETURNING id`

// insertArgs binds recs column by column for insertSQL ($6 on).
func insertArgs(recs []newLead) ([]any, error) {
	n := len(recs)
	ids, seqs := make([]string, n), make([]int64, n)
	texts := make([][]sql.NullString, 9)
	for i := range texts {
		texts[i] = make([]sql.NullString, n)
	}
	attrs, reach := make([]string, n), make([]string, n)
	terr, refs := make([]sql.NullString, n), make([]sql.NullString, n)
	str := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	ptr := func(s *string) sql.NullString {
		if s == nil {
			return sql.NullString{}
		}
		return str(*s)
	}
	uid := func(u *uuid.UUID) sql.NullString {
		if u == nil {
			return sql.NullString{}
		}
		return str(u.String())
	}
	for i, r := range recs {
		ids[i], seqs[i] = r.ID.String(), r.Seq
		for j, v := range []sql.NullString{str(r.Name), ptr(r.Phone), ptr(r.Email), ptr(r.UnionID), ptr(r.OpenID),
			ptr(r.ExternalID), str(r.Company), str(r.Source), str(r.SourceDetail)} {
			texts[j][i] = v
		}
		a, err := json.Marshal(r.Attributes)
		if err != nil {
			return nil, err
		}
		ch, err := json.Marshal(r.Reachable)
		if err != nil {
			return nil, err
		}
		attrs[i], reach[i] = string(a), string(ch)
		terr[i], refs[i] = uid(r.TerritoryID), uid(r.ReferrerID)
	}
	args := []any{pq.StringArray(ids), pq.Int64Array(seqs)}
	for _, col := range texts {
		args = append(args, pq.Array(col))
	}
	return append(args, pq.StringArray(attrs), pq.Array(terr), pq.Array(refs), pq.StringArray(reach)), nil
}

type newLead struct {
	ID           uuid.UUID      `json:"id"`
	Seq          int64          `json:"seq"`
	Name         string         `json:"name"`
	Phone        *string        `json:"phone"`
	Email        *string        `json:"email"`
	UnionID      *string        `json:"union_id"`
	OpenID       *string        `json:"open_id"`
	ExternalID   *string        `json:"external_id"`
	Company      string         `json:"company"`
	Source       string         `json:"source"`
	SourceDetail string         `json:"source_detail"`
	Attributes   map[string]any `json:"attributes"`
	TerritoryID  *uuid.UUID     `json:"territory_id"`
	ReferrerID   *uuid.UUID     `json:"referrer_id"`
	Reachable    []string       `json:"reachable"`
}

// insert creates a lead for every group that matched none.
func (w *writer) insert(ctx context.Context, gs []*group) error {
	var fresh []*group
	for _, g := range gs {
		if w.targets[g] == nil {
			fresh = append(fresh, g)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	stageID, poolID, err := w.defaults(ctx)
	if err != nil {
		return err
	}
	first, err := workspace.NextLeadSeq(ctx, w.root, w.tid, len(fresh))
	if err != nil {
		return err
	}
	recs := make([]newLead, len(fresh))
	for i, g := range fresh {
		id := gid.New(gid.Lead)
		w.created[g] = id
		recs[i] = newLead{
			ID: id, Seq: first + int64(i), Name: g.Name,
			Phone: nilIfEmpty(g.Phone), Email: nilIfEmpty(g.Email), UnionID: nilIfEmpty(g.UnionID),
			OpenID: nilIfEmpty(g.OpenID), ExternalID: nilIfEmpty(g.ExternalID),
			Company: g.Company, Source: g.Source, SourceDetail: g.SourceDetail,
			Attributes: nonNil(w.attrs[g]), TerritoryID: g.TerritoryID, ReferrerID: g.ReferrerID,
			Reachable: reachable(g.Phone, g.Email, g.UnionID, g.OpenID),
		}
	}
	// Insert in identity order, so concurrent batches that share people
	// wait on each other instead of deadlocking.
	slices.SortFunc(recs, func(a, b newLead) int {
		return cmp.Or(strings.Compare(deref(a.Phone), deref(b.Phone)), strings.Compare(deref(a.Email), deref(b.Email)))
	})
	cols, err := insertArgs(recs)
	if err != nil {
		return err
	}
	args := append([]any{w.tid, stageID, poolID, w.batch.PartnerID, w.now}, cols...)
	inserted, err := w.insertRows(ctx, args)
	if err != nil {
		return err
	}
	var missed []*group
	for _, g := range fresh {
		if inserted == nil || inserted[w.created[g]] {
			w.ingested.Created = append(w.ingested.Created, w.created[g])
		} else {
			delete(w.created, g)
			missed = append(missed, g)
		}
	}
	return w.rematch(ctx, gs, missed)
}

// insertRows runs insertSQL under a savepoint and returns the ids it wrote
// (nil: all of them). When a unique index refuses a row, it rolls back to
// the savepoint and inserts with insertRacedSQL, which skips such rows.
func (w *writer) insertRows(ctx context.Context, args []any) (map[uuid.UUID]bool, error) {
	if _, err := w.c.ExecContext(ctx, `SAVEPOINT ingest_insert`); err != nil {
		return nil, fmt.Errorf("insert leads: %w", err)
	}
	_, err := w.c.ExecContext(ctx, insertSQL, args...)
	var pe *pq.Error
	switch {
	case err == nil:
		if _, err := w.c.ExecContext(ctx, `RELEASE SAVEPOINT ingest_insert`); err != nil {
			return nil, fmt.Errorf("insert leads: %w", err)
		}
		return nil, nil
	case !errors.As(err, &pe) || pe.Code != "23505":
		return nil, fmt.Errorf("insert leads: %w", err)
	}
	if _, err := w.c.ExecContext(ctx, `ROLLBACK TO SAVEPOINT ingest_insert`); err != nil {
		return nil, fmt.Errorf("insert leads: %w", err)
	}
	rows, err := w.c.QueryContext(ctx, insertRacedSQL, args...)
	if err != nil {
		return nil, fmt.Errorf("insert leads: %w", err)
	}
	defer rows.Close()
	inserted := map[uuid.UUID]bool{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert leads: %w", err)
	}
	return inserted, nil
}

// rematch handles groups whose insert hit a person a concurrent ingest
// committed while this one waited on it: a new statement sees that lead,
// so they merge into it in this same transaction. Only when one still
// matches nothing (the other side rolled back) is the batch retried.
func (w *writer) rematch(ctx context.Context, all, missed []*group) error {
	if len(missed) == 0 {
		return nil
	}
	if err := w.match(ctx, missed); err != nil {
		return err
	}
	for _, g := range missed {
		if w.targets[g] == nil {
			return errRaced
		}
	}
	w.mergedAttributes(all)
	return nil
}

// mergeUpdateSQL writes the merged values of existing leads.
const mergeUpdateSQL = `UPDATE leads l SET name = r.name, phone = r.phone, email = r.email, union_id = r.union_id,
	open_id = r.open_id, external_id = r.external_id, company = r.company, territory_id = r.territory_id,
	referrer_id = r.referrer_id, attributes = r.attributes, reachable = r.reachable, updated_at = $2
FROM json_to_recordset($3::json) AS r(id uuid, name text, phone text, email text, union_id text, open_id text,
	external_id text, company text, territory_id uuid, referrer_id uuid, attributes jsonb, reachable jsonb)
WHERE l.tenant_id = $1 AND l.id = r.id`

// merge folds the groups that matched existing leads into them, records a
// source touch and a lead.duplicate event for every duplicate row (also
// those folded into a new lead of the same batch), and notifies the owner of
// a lead still inside its protection period.
func (w *writer) merge(ctx context.Context, gs []*group) error {
	byLead := map[uuid.UUID]*newLead{}
	read := map[uuid.UUID]*existing{} // as matched, before any filling
	var order []uuid.UUID
	for _, g := range gs {
		t := w.targets[g]
		if t == nil {
			continue
		}
		m, ok := byLead[t.ID]
		if !ok {
			m = &newLead{ID: t.ID, Name: t.Name, Phone: t.Phone, Email: t.Email, UnionID: t.UnionID,
				OpenID: t.OpenID, ExternalID: t.ExternalID, Company: t.Company,
				TerritoryID: t.TerritoryID, ReferrerID: t.ReferrerID}
			byLead[t.ID], read[t.ID] = m, t
			order = append(order, t.ID)
		}
		fillStr(&m.Name, g.Name)
		fillStr(&m.Company, g.Company)
		w.fillIdentity(&m.Phone, "p:", g.Phone, t.ID)
		w.fillIdentity(&m.Email, "e:", g.Email, t.ID)
		w.fillIdentity(&m.UnionID, "u:", g.UnionID, t.ID)
		w.fillIdentity(&m.ExternalID, "x:", g.ExternalID, t.ID)
		if m.OpenID == nil && g.OpenID != "" {
			m.OpenID = &g.OpenID
		}
		if m.TerritoryID == nil {
			m.TerritoryID = g.TerritoryID
		}
		if m.ReferrerID == nil && g.ReferrerID != nil && *g.ReferrerID != t.ID {
			m.ReferrerID = g.ReferrerID
		}
		m.Attributes = nonNil(w.attrs[g])
	}
	var recs []*newLead
	for _, id := range order {
		m := byLead[id]
		if m.sameAs(read[id]) {
			// Nothing to fill: no new row version (and eleven index
			// entries); the touch and the event below still record it.
			continue
		}
		m.Reachable = reachable(deref(m.Phone), deref(m.Email), deref(m.UnionID), deref(m.OpenID))
		recs = append(recs, m)
	}
	if len(recs) > 0 {
		param, err := jsonParam(recs)
		if err != nil {
			return err
		}
		if _, err := w.c.ExecContext(ctx, mergeUpdateSQL, w.tid, w.now, param); err != nil {
			return fmt.Errorf("merge leads: %w", err)
		}
	}
	w.ingested.Merged = order
	return w.recordDuplicates(ctx, gs)
}

// sameAs reports whether merging left lead t exactly as it was read.
func (m *newLead) sameAs(t *existing) bool {
	return m.Name == t.Name && m.Company == t.Company &&
		deref(m.Phone) == deref(t.Phone) && deref(m.Email) == deref(t.Email) &&
		deref(m.UnionID) == deref(t.UnionID) && deref(m.OpenID) == deref(t.OpenID) &&
		deref(m.ExternalID) == deref(t.ExternalID) &&
		equalUUID(m.TerritoryID, t.TerritoryID) && equalUUID(m.ReferrerID, t.ReferrerID) &&
		reflect.DeepEqual(nonNil(m.Attributes), nonNil(t.Attributes))
}

func equalUUID(a, b *uuid.UUID) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// fillIdentity sets an empty identity key of lead self to v, unless another
// active lead holds v (it then stays with that lead).
func (w *writer) fillIdentity(dst **string, kind, v string, self uuid.UUID) {
	if *dst != nil || v == "" {
		return
	}
	if h := w.held[kind+v]; h != nil && h.ID != self {
		return
	}
	*dst = &v
}

type touch struct {
	ID           uuid.UUID `json:"id"`
	LeadID       uuid.UUID `json:"lead_id"`
	Source       string    `json:"source"`
	SourceDetail string    `json:"source_detail"`
	ExternalID   *string   `json:"external_id"`
}

// recordDuplicates writes the touches, events and owner notifications of
// every row that merged.
func (w *writer) recordDuplicates(ctx context.Context, gs []*group) error {
	var touches []touch
	notify := map[uuid.UUID]*existing{}
	var notifyOrder []uuid.UUID
	for _, g := range gs {
		t := w.targets[g]
		leadID := w.created[g]
		dups := g.rows[1:]
		if t != nil {
			leadID, dups = t.ID, g.rows
			if t.OwnerID != nil && t.ProtectedUntil != nil && t.ProtectedUntil.After(w.now) {
				if _, ok := notify[t.ID]; !ok {
					notify[t.ID] = t
					notifyOrder = append(notifyOrder, t.ID)
				}
			}
		}
		for _, i := range dups {
			r := w.rows[i]
			touches = append(touches, touch{ID: gid.New(gid.SourceTouch), LeadID: leadID, Source: r.Source,
				SourceDetail: r.SourceDetail, ExternalID: nilIfEmpty(r.ExternalID)})
		}
	}
	if len(touches) == 0 {
		return nil
	}
	param, err := jsonParam(touches)
	if err != nil {
		return err
	}
	if _, err := w.c.ExecContext(ctx, `INSERT INTO source_touches (id, tenant_id, lead_id, source, source_detail, external_id, duplicate, at)
		SELECT r.id, $1, r.lead_id, r.source, r.source_detail, r.external_id, true, $2
		FROM json_to_recordset($3::json) AS r(id uuid, lead_id uuid, source text, source_detail text, external_id text)`,
		w.tid, w.now, param); err != nil {
		return fmt.Errorf("record source touches: %w", err)
	}
	if _, err := w.c.ExecContext(ctx, `INSERT INTO events (tenant_id, id, lead_id, name, properties, occurred_at, received_at, source)
		SELECT $1, r.id, r.lead_id, 'lead.duplicate',
			jsonb_strip_nulls(jsonb_build_object('source', r.source, 'sourceDetail', nullif(r.source_detail, ''), 'externalID', r.external_id)),
			$2, $2, 'ingest'
		FROM json_to_recordset($3::json) AS r(id uuid, lead_id uuid, source text, source_detail text, external_id text)`,
		w.tid, w.now, param); err != nil {
		return fmt.Errorf("record duplicate events: %w", err)
	}
	return w.notifyOwners(ctx, notify, notifyOrder)
}

// notifyOwners tells the owner of each protected lead that a duplicate
// arrived; the lead stays theirs.
func (w *writer) notifyOwners(ctx context.Context, leads map[uuid.UUID]*existing, order []uuid.UUID) error {
	if len(order) == 0 {
		return nil
	}
	type note struct {
		ID      uuid.UUID `json:"id"`
		UserID  uuid.UUID `json:"user_id"`
		LeadID  uuid.UUID `json:"lead_id"`
		Message string    `json:"message"`
	}
	notes := make([]note, 0, len(order))
	for _, id := range order {
		l := leads[id]
		name := l.Name
		if name == "" {
			name = "未命名线索"
		}
		n := note{ID: gid.New(gid.Notification), UserID: *l.OwnerID, LeadID: id,
			Message: fmt.Sprintf("你保护期内的线索「%s」收到一条重复线索，已合并到该线索，仍归你跟进。", name)}
		notes = append(notes, n)
		w.ingested.Notifications = append(w.ingested.Notifications, n.ID)
	}
	param, err := jsonParam(notes)
	if err != nil {
		return err
	}
	_, err = w.c.ExecContext(ctx, `INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, message, created_at)
		SELECT r.id, $1, r.user_id, 'lead.duplicate', r.lead_id, r.message, $2
		FROM json_to_recordset($3::json) AS r(id uuid, user_id uuid, lead_id uuid, message text)`, w.tid, w.now, param)
	if err != nil {
		return fmt.Errorf("notify owners: %w", err)
	}
	return nil
}

// tag puts the groups' tags (by name, created when missing) on their leads.
func (w *writer) tag(ctx context.Context, gs []*group) error {
	var names pq.StringArray
	seen := map[string]bool{}
	for _, g := range gs {
		for _, n := range g.Tags {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	ids, err := w.tagIDs(ctx, names)
	if err != nil {
		return err
	}
	var leadIDs, tagIDs []uuid.UUID
	for _, g := range gs {
		lead := w.created[g]
		if t := w.targets[g]; t != nil {
			lead = t.ID
		}
		// Of several tags of one exclusive group, the last one named wins,
		// as if they had been applied one after the other.
		last := map[uuid.UUID]string{}
		for _, n := range g.Tags {
			if grp := ids[n].exclusiveGroup; grp != nil {
				last[*grp] = n
			}
		}
		for _, n := range g.Tags {
			if grp := ids[n].exclusiveGroup; grp != nil && last[*grp] != n {
				continue
			}
			leadIDs = append(leadIDs, lead)
			tagIDs = append(tagIDs, ids[n].id)
		}
	}
	_, err = w.c.ExecContext(ctx, tagPairsSQL, w.tid, txn.UUIDArray(leadIDs), txn.UUIDArray(tagIDs), w.now, w.batch.Actor)
	if err != nil {
		return fmt.Errorf("tag leads: %w", err)
	}
	return nil
}

// tagPairsSQL adds (lead, tag) pairs; a tag of an exclusive group replaces
// the lead's other tags of that group (the batch's own rows put at most one
// per group: see tagIDs).
const tagPairsSQL = `WITH p AS (
	SELECT DISTINCT lead_id, tag_id FROM unnest($2::uuid[], $3::uuid[]) AS p(lead_id, tag_id)
), removed AS (
	DELETE FROM lead_tags lt USING p, tags t, tag_groups g, tags other
	WHERE lt.tenant_id = $1 AND lt.lead_id = p.lead_id
		AND t.tenant_id = $1 AND t.id = p.tag_id
		AND g.tenant_id = $1 AND g.id = t.group_id AND g.exclusive
		AND other.tenant_id = $1 AND other.id = lt.tag_id AND other.group_id = t.group_id AND other.id <> t.id
)
INSERT INTO lead_tags (tenant_id, lead_id, tag_id, created_at, created_by_id, source)
SELECT $1, lead_id, tag_id, $4, $5, 'INGEST' FROM p
ON CONFLICT (lead_id, tag_id) DO NOTHING`

type tagRef struct {
	id             uuid.UUID
	exclusiveGroup *uuid.UUID
}

// tagIDs resolves tag names, creating the missing ones without a group.
func (w *writer) tagIDs(ctx context.Context, names pq.StringArray) (map[string]tagRef, error) {
	newIDs := make([]uuid.UUID, len(names))
	for i := range names {
		newIDs[i] = gid.New(gid.Tag)
	}
	if _, err := w.c.ExecContext(ctx, `INSERT INTO tags (id, tenant_id, name, color, created_at, updated_at)
		SELECT id, $1, name, '', $2, $2 FROM unnest($3::uuid[], $4::text[]) AS n(id, name)
		ON CONFLICT (tenant_id, name) DO NOTHING`, w.tid, w.now, txn.UUIDArray(newIDs), names); err != nil {
		return nil, fmt.Errorf("create tags: %w", err)
	}
	rows, err := w.c.QueryContext(ctx, `SELECT t.id, t.name, g.id FROM tags t
		LEFT JOIN tag_groups g ON g.tenant_id = $1 AND g.id = t.group_id AND g.exclusive
		WHERE t.tenant_id = $1 AND t.name = ANY($2::text[])`, w.tid, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]tagRef, len(names))
	for rows.Next() {
		var r tagRef
		var n string
		if err := rows.Scan(&r.id, &n, &r.exclusiveGroup); err != nil {
			return nil, err
		}
		out[n] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("tag %q vanished while ingesting", n)
		}
	}
	return out, nil
}

func fillStr(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
