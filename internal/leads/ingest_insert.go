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

// stageSQL makes the connection's staging table of new leads and empties it
// (a caller's transaction may ingest twice). It is a temporary table: no
// WAL, no indexes of leads, and COMMIT empties it. Only file batches
// (IngestFile) use it: for a batch of a few rows, the CREATE and DELETE cost
// more than the staging saves.
const stageSQL = `CREATE TEMP TABLE IF NOT EXISTS ingest_new_leads (ord int PRIMARY KEY, id uuid, name text, phone text,
	email text, union_id text, open_id text, external_id text, company text, source text, source_detail text,
	attributes jsonb, territory_id uuid, referrer_id uuid, reachable jsonb, wecom_external_user_id text)
	ON COMMIT DELETE ROWS;
DELETE FROM ingest_new_leads`

// newLeadArrays is the rows of new leads as parallel arrays (stageArgs),
// parsed far faster than a JSON document of rows.
const newLeadArrays = `unnest($%d::int[], $%d::uuid[], $%d::text[], $%d::text[], $%d::text[], $%d::text[], $%d::text[],
	$%d::text[], $%d::text[], $%d::text[], $%d::text[], $%d::jsonb[], $%d::uuid[], $%d::uuid[], $%d::jsonb[], $%d::text[])`

// arrays returns newLeadArrays with its parameters numbered from first.
func arrays(first int) string {
	n := make([]any, 16)
	for i := range n {
		n[i] = first + i
	}
	return fmt.Sprintf(newLeadArrays, n...)
}

// stageInsertSQL loads the staging table.
var stageInsertSQL = `INSERT INTO ingest_new_leads SELECT * FROM ` + arrays(1)

const insertColumns = `INSERT INTO leads (id, tenant_id, seq, name, phone, email, union_id, open_id, external_id,
	company, source, source_detail, status, score, attributes, stage_id, pool_id, territory_id, partner_id,
	referrer_id, reachable, locked, created_at, updated_at, wecom_external_user_id)
`

// insertStagedSQL inserts the staged leads whose ords ($7) are given,
// numbered from $6 in that order (IngestFile). insertArraysSQL inserts the
// leads bound as arrays from $7 on, numbered from $6 by ord, in array order
// (Ingest). Both run as a plain INSERT first: ON CONFLICT DO NOTHING
// checks every unique index before it inserts, which costs a quarter more
// per row, and a conflict only happens when a concurrent ingest committed
// the same person after this one matched (see insert and rematch). Rows go
// in identity order, so concurrent batches that share people wait on each
// other instead of deadlocking.
const insertStagedSQL = insertColumns + `SELECT s.id, $1, $6 + f.n - 1, s.name, s.phone, s.email, s.union_id, s.open_id, s.external_id,
	s.company, s.source, s.source_detail, 'ACTIVE', 0, s.attributes, $2, $3, s.territory_id, $4,
	s.referrer_id, s.reachable, false, $5, $5, s.wecom_external_user_id
FROM unnest($7::int[]) WITH ORDINALITY AS f(ord, n) JOIN ingest_new_leads s ON s.ord = f.ord
ORDER BY s.phone COLLATE "C", s.email COLLATE "C"`

var insertArraysSQL = insertColumns + `SELECT r.id, $1, $6 + r.ord, r.name, r.phone, r.email, r.union_id, r.open_id, r.external_id,
	r.company, r.source, r.source_detail, 'ACTIVE', 0, r.attributes, $2, $3, r.territory_id, $4,
	r.referrer_id, r.reachable, false, $5, $5, r.wecom_external_user_id
FROM ` + arrays(7) + `
	AS r(ord, id, name, phone, email, union_id, open_id, external_id, company, source, source_detail,
	attributes, territory_id, referrer_id, reachable, wecom_external_user_id)`

// raced is an insert for a batch whose plain insert hit a person a
// concurrent ingest committed: the rows that still conflict are skipped and
// merged instead.
func raced(insert string) string {
	return insert + `
ON CONFLICT DO NOTHING
RETURNING id`
}

// stagedLead is where a group's would-be lead waits in ingest_new_leads.
type stagedLead struct {
	ord int32
	id  uuid.UUID
}

// stage writes the lead each group would create, should it match no one,
// into ingest_new_leads, and reads the stage and pool new leads start in
// (file batches only). It needs nothing the batch's match finds, so
// IngestFile does it before its turn to write: the encoding, the transfer
// and the parsing of the rows overlap with the batch being written.
func (w *writer) stage(ctx context.Context, gs []*group) error {
	w.staged = map[*group]stagedLead{}
	var recs []newLead
	for _, g := range gs {
		if g.newErrs != nil {
			continue // rejected if it matches no one (finalAttributes)
		}
		s := stagedLead{ord: int32(len(recs)), id: gid.New(gid.Lead)}
		w.staged[g] = s
		recs = append(recs, newLeadOf(g, s.id, g.newAttrs))
	}
	if len(recs) == 0 {
		return nil
	}
	var err error
	if w.stageID, w.poolID, err = w.defaults(ctx); err != nil {
		return err
	}
	ords := make([]int32, len(recs))
	for i := range ords {
		ords[i] = int32(i)
	}
	args, err := stageArgs(recs, ords)
	if err != nil {
		return err
	}
	if _, err := w.c.ExecContext(ctx, stageSQL); err != nil {
		return fmt.Errorf("stage new leads: %w", err)
	}
	if _, err := w.c.ExecContext(ctx, stageInsertSQL, args...); err != nil {
		return fmt.Errorf("stage new leads: %w", err)
	}
	return nil
}

// newLeadOf is the lead group g creates, with id and attributes.
func newLeadOf(g *group, id uuid.UUID, attrs map[string]any) newLead {
	return newLead{
		ID: id,
		person: person{Name: g.Name,
			Phone: nilIfEmpty(g.Phone), Email: nilIfEmpty(g.Email), UnionID: nilIfEmpty(g.UnionID),
			OpenID: nilIfEmpty(g.OpenID), ExternalID: nilIfEmpty(g.ExternalID), WeComExtUserID: nilIfEmpty(g.WeComExternalUserID),
			Company: g.Company},
		Source: g.Source, SourceDetail: g.SourceDetail,
		Attributes: nonNil(attrs), TerritoryID: g.TerritoryID, ReferrerID: g.ReferrerID,
		Reachable: reachable(g.Phone, g.Email, g.UnionID, g.OpenID),
	}
}

// stageArgs binds recs and their ords column by column (newLeadArrays).
func stageArgs(recs []newLead, ords pq.Int32Array) ([]any, error) {
	n := len(recs)
	ids := make([]string, n)
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
		ids[i] = r.ID.String()
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
	args := []any{ords, pq.StringArray(ids)}
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

// insert creates a lead for every group that matched none: a file batch
// from its row in ingest_new_leads (stage), any other batch from arrays.
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
	var query string
	var rows []any
	if w.file {
		ords := make(pq.Int32Array, len(fresh))
		for i, g := range fresh {
			s, ok := w.staged[g]
			if !ok {
				return fmt.Errorf("insert leads: group of row %d was not staged", g.rows[0])
			}
			w.created[g], ords[i] = s.id, s.ord
		}
		query, rows = insertStagedSQL, []any{ords}
	} else {
		var err error
		if w.stageID, w.poolID, err = w.defaults(ctx); err != nil {
			return err
		}
		recs := make([]newLead, len(fresh))
		ords := make([]int32, len(fresh)) // lead numbers in batch order
		for i, g := range fresh {
			w.created[g] = gid.New(gid.Lead)
			recs[i], ords[i] = newLeadOf(g, w.created[g], w.attrs[g]), int32(i)
		}
		// Insert in identity order, so concurrent batches that share
		// people wait on each other instead of deadlocking.
		slices.SortFunc(ords, func(a, b int32) int {
			x, y := recs[a], recs[b]
			return cmp.Or(strings.Compare(deref(x.Phone), deref(y.Phone)), strings.Compare(deref(x.Email), deref(y.Email)))
		})
		sorted := make([]newLead, len(recs))
		for i, o := range ords {
			sorted[i] = recs[o]
		}
		if rows, err = stageArgs(sorted, ords); err != nil {
			return err
		}
		query = insertArraysSQL
	}
	first, err := workspace.NextLeadSeq(ctx, w.root, w.tid, len(fresh))
	if err != nil {
		return err
	}
	args := append([]any{w.tid, w.stageID, w.poolID, w.batch.PartnerID, w.now, first}, rows...)
	inserted, err := w.insertRows(ctx, query, args)
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

// insertRows runs query under a savepoint and returns the ids it wrote
// (nil: all of them). When a unique index refuses a row, it rolls back to
// the savepoint and inserts with raced(query), which skips such rows.
func (w *writer) insertRows(ctx context.Context, query string, args []any) (map[uuid.UUID]bool, error) {
	if _, err := w.c.ExecContext(ctx, `SAVEPOINT ingest_insert`); err != nil {
		return nil, fmt.Errorf("insert leads: %w", err)
	}
	_, err := w.c.ExecContext(ctx, query, args...)
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
	rows, err := w.c.QueryContext(ctx, raced(query), args...)
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
