package leads

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/lib/pq"
)

// matchSQL finds (and locks, in id order) the active leads holding any of
// the batch's identity keys. It runs unscoped: dedup is a workspace-wide
// invariant, whoever sends the row.
//
// Its shape fixes the plan whatever the statistics say: each key is one
// probe of its unique index (a LATERAL subquery per key, which the planner
// cannot turn into a join), and each lead found is locked by one probe of
// the primary key, in id order. Written as one filter over the workspace
// (tenant_id = $1 AND (phone = ANY($4) OR …)), the planner, which seldom has
// fresh statistics for a workspace being imported (it expected 101 of
// 50,506 leads), read every lead of the workspace in each batch: 32-50 ms
// per 10,000-row batch at 100,000 rows, growing with the workspace. The
// probes take about 1 µs per key whatever the workspace's size. The cost
// estimate of 10,000 probes crosses jit_above_cost, so the batch turns JIT
// off first (noJIT).
//
// The lock rechecks status and keys, as the filter did: a lead archived or
// changed by a concurrent writer after the probes read it is skipped.
const matchSQL = `SELECT l.id, l.name, l.phone, l.email, l.union_id, l.open_id, l.external_id, l.company,
	l.owner_id, l.protected_until, l.territory_id, l.referrer_id, l.attributes, l.wecom_external_user_id, l.ctid::text
FROM (
	SELECT DISTINCT f.id FROM (
		SELECT m.id FROM unnest($2::text[]) k(v), LATERAL (SELECT id FROM leads
			WHERE tenant_id = $1 AND status = 'ACTIVE' AND external_id = k.v OFFSET 0) m
		UNION ALL SELECT m.id FROM unnest($3::text[]) k(v), LATERAL (SELECT id FROM leads
			WHERE tenant_id = $1 AND status = 'ACTIVE' AND union_id = k.v OFFSET 0) m
		UNION ALL SELECT m.id FROM unnest($4::text[]) k(v), LATERAL (SELECT id FROM leads
			WHERE tenant_id = $1 AND status = 'ACTIVE' AND phone = k.v OFFSET 0) m
		UNION ALL SELECT m.id FROM unnest($5::text[]) k(v), LATERAL (SELECT id FROM leads
			WHERE tenant_id = $1 AND status = 'ACTIVE' AND email = k.v OFFSET 0) m
		UNION ALL SELECT m.id FROM unnest($6::text[]) k(v), LATERAL (SELECT id FROM leads
			WHERE tenant_id = $1 AND status = 'ACTIVE' AND wecom_external_user_id = k.v OFFSET 0) m
	) f
	ORDER BY f.id
) f CROSS JOIN LATERAL (
	SELECT l.*, l.ctid FROM leads l
	WHERE l.tenant_id = $1 AND l.id = f.id AND l.status = 'ACTIVE'
		AND (l.external_id = ANY($2::text[]) OR l.union_id = ANY($3::text[]) OR l.phone = ANY($4::text[]) OR l.email = ANY($5::text[])
			OR l.wecom_external_user_id = ANY($6::text[]))
	FOR UPDATE
) l
ORDER BY f.id`

// matchFewSQL is matchSQL for a batch of few keys (at most matchFewKeys),
// as the API sends: one statement over the unique indexes that the planner
// serves with one index probe per key (a BitmapOr) at that size. It plans
// in a fraction of matchSQL's time, which is most of the statement for a
// lead or two: with matchSQL, BenchmarkIngestOneLead took 5.1-5.5 ms per
// new person against 4.3-4.5.
const matchFewSQL = `SELECT id, name, phone, email, union_id, open_id, external_id, company,
	owner_id, protected_until, territory_id, referrer_id, attributes, wecom_external_user_id, ctid::text
FROM leads
WHERE tenant_id = $1 AND status = 'ACTIVE'
	AND (external_id = ANY($2::text[]) OR union_id = ANY($3::text[]) OR phone = ANY($4::text[]) OR email = ANY($5::text[])
		OR wecom_external_user_id = ANY($6::text[]))
ORDER BY id FOR UPDATE`

// matchFewKeys is the most keys a batch matches with matchFewSQL.
const matchFewKeys = 64

// noJITKeys is the number of match keys above which a batch turns JIT off
// for its transaction (noJIT): about 10,000 probes make matchSQL's
// estimated cost cross jit_above_cost, and compiling it took up to 220 ms
// for a statement that runs in 30.
const noJITKeys = 2000

// noJIT turns JIT compilation off for the rest of the batch's transaction.
// The batch's statements are short and planned with per-row costs that JIT
// mistakes for long ones.
func (w *writer) noJIT(ctx context.Context) error {
	if _, err := w.c.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
		return fmt.Errorf("turn jit off: %w", err)
	}
	return nil
}

// match finds each group's existing lead by its identity keys, in priority
// order (externalID, unionID, phone, email).
func (w *writer) match(ctx context.Context, gs []*group) error {
	keys, n := matchArgs(gs)
	if n > noJITKeys {
		if err := w.noJIT(ctx); err != nil {
			return err
		}
	}
	return w.matchWith(ctx, gs, keys, n)
}

// matchArgs returns the identity keys of gs as matchSQL's arrays ($2-$6),
// and how many there are, already encoded: a file batch encodes them before its turn (about 10 ms
// for 10,000 rows on a loaded machine), not while the batches after it wait.
func matchArgs(gs []*group) (args []any, n int) {
	var ext, wecom, union, phones, emails pq.StringArray
	for _, g := range gs {
		for _, kv := range [...]struct {
			v   string
			dst *pq.StringArray
		}{{g.ExternalID, &ext}, {g.WeComExternalUserID, &wecom}, {g.UnionID, &union}, {g.Phone, &phones}, {g.Email, &emails}} {
			if kv.v != "" {
				*kv.dst = append(*kv.dst, kv.v)
			}
		}
	}
	args = make([]any, 0, 5)
	for _, a := range []pq.StringArray{ext, union, phones, emails, wecom} {
		v, _ := a.Value() // never fails for strings
		args = append(args, v)
		n += len(a)
	}
	return args, n
}

// matchWith is match with the n keys of gs encoded by matchArgs.
func (w *writer) matchWith(ctx context.Context, gs []*group, keys []any, n int) error {
	query := matchSQL
	if n <= matchFewKeys {
		query = matchFewSQL
	}
	rows, err := w.c.QueryContext(ctx, query, append([]any{w.tid}, keys...)...)
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
			&e.OwnerID, &e.ProtectedUntil, &e.TerritoryID, &e.ReferrerID, &attrs, &e.WeComExtUserID, &e.ctid); err != nil {
			return err
		}
		if err := json.Unmarshal(attrs, &e.Attributes); err != nil {
			return fmt.Errorf("decode attributes of lead %s: %w", e.ID, err)
		}
		for _, k := range (identity{ExternalID: deref(e.ExternalID), WeComExternalUserID: deref(e.WeComExtUserID), UnionID: deref(e.UnionID), Phone: deref(e.Phone), Email: deref(e.Email)}).keys() {
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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
