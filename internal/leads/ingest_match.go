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
const matchSQL = `SELECT id, name, phone, email, union_id, open_id, external_id, company,
	owner_id, protected_until, territory_id, referrer_id, attributes, wecom_external_user_id, ctid::text
FROM leads
WHERE tenant_id = $1 AND status = 'ACTIVE'
	AND (external_id = ANY($2::text[]) OR union_id = ANY($3::text[]) OR phone = ANY($4::text[]) OR email = ANY($5::text[])
		OR wecom_external_user_id = ANY($6::text[]))
ORDER BY id FOR UPDATE`

// match finds each group's existing lead by its identity keys, in priority
// order (externalID, unionID, phone, email).
func (w *writer) match(ctx context.Context, gs []*group) error {
	return w.matchWith(ctx, gs, matchArgs(gs))
}

// matchArgs returns the identity keys of gs as matchSQL's arrays ($2-$6),
// already encoded: a file batch encodes them before its turn (about 10 ms
// for 10,000 rows on a loaded machine), not while the batches after it wait.
func matchArgs(gs []*group) []any {
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
	args := make([]any, 0, 5)
	for _, a := range []pq.StringArray{ext, union, phones, emails, wecom} {
		v, _ := a.Value() // never fails for strings
		args = append(args, v)
	}
	return args
}

// matchWith is match with the keys of gs encoded by matchArgs.
func (w *writer) matchWith(ctx context.Context, gs []*group, keys []any) error {
	rows, err := w.c.QueryContext(ctx, matchSQL, append([]any{w.tid}, keys...)...)
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
