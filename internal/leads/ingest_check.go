package leads

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/territory"
	"github.com/scrmhq/scrm/internal/suppress"
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
	black, err := suppress.BlacklistedContacts(ctx, w.c, w.tid, w.now, phones, emails)
	if err != nil {
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
	black, err := suppress.BlacklistedLeads(ctx, w.c, w.tid, w.now, ids)
	if err != nil {
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
		if g.newErrs != nil {
			for _, fe := range g.newErrs {
				w.reject(g, fe)
			}
			continue
		}
		w.attrs[g] = g.newAttrs
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
