package leads

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/workspace"
)

// insertSQL inserts the batch's new leads from parallel arrays (parsed far
// faster than a JSON document of rows). It runs as a plain INSERT first:
// ON CONFLICT DO NOTHING checks every unique index before it inserts, which
// costs a quarter more per row, and a conflict only happens when a
// concurrent ingest committed the same person after this one matched (see
// insert and rematch).
const insertSQL = `INSERT INTO leads (id, tenant_id, seq, name, phone, email, union_id, open_id, external_id,
	company, source, source_detail, status, score, attributes, stage_id, pool_id, territory_id, partner_id,
	referrer_id, reachable, locked, created_at, updated_at, wecom_external_user_id)
SELECT r.id, $1, r.seq, r.name, r.phone, r.email, r.union_id, r.open_id, r.external_id,
	r.company, r.source, r.source_detail, 'ACTIVE', 0, r.attributes, $2, $3, r.territory_id, $4,
	r.referrer_id, r.reachable, false, $5, $5, r.wecom_external_user_id
FROM unnest($6::uuid[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
	$14::text[], $15::text[], $16::text[], $17::jsonb[], $18::uuid[], $19::uuid[], $20::jsonb[], $21::text[])
	AS r(id, seq, name, phone, email, union_id, open_id, external_id, company, source, source_detail,
	attributes, territory_id, referrer_id, reachable, wecom_external_user_id)`

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
	attrs, reach, wecom := make([]string, n), make([]string, n), make([]sql.NullString, n)
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
		terr[i], refs[i], wecom[i] = uid(r.TerritoryID), uid(r.ReferrerID), ptr(r.WeComExtUserID)
	}
	args := []any{pq.StringArray(ids), pq.Int64Array(seqs)}
	for _, col := range texts {
		args = append(args, pq.Array(col))
	}
	return append(args, pq.StringArray(attrs), pq.Array(terr), pq.Array(refs), pq.StringArray(reach), pq.Array(wecom)), nil
}

type newLead struct {
	ID  uuid.UUID `json:"id"`
	Seq int64     `json:"seq"`
	person
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
			ID: id, Seq: first + int64(i),
			person: person{Name: g.Name,
				Phone: nilIfEmpty(g.Phone), Email: nilIfEmpty(g.Email), UnionID: nilIfEmpty(g.UnionID),
				OpenID: nilIfEmpty(g.OpenID), ExternalID: nilIfEmpty(g.ExternalID), WeComExtUserID: nilIfEmpty(g.WeComExternalUserID),
				Company: g.Company},
			Source: g.Source, SourceDetail: g.SourceDetail,
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

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
