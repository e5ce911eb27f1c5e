package leads

import (
	"context"
	"fmt"
	"reflect"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// mergeSQL writes, in one statement, the merged values of existing leads
// ($3), a source touch and a lead.duplicate event for every duplicate row
// ($4, one id for both), and the notes to owners of protected leads ($5),
// and returns how many leads it updated.
//
// Each lead is found by the row version the match locked (its ctid, which
// the lock keeps in place until the commit) with one TID probe per record,
// the record's id and the workspace checked on the row found. The
// workspace is compared with IS NOT DISTINCT FROM (tenant_id is NOT NULL,
// so it means =) because no index serves that form: with tenant_id = $1
// the planner, which seldom has fresh statistics for a workspace being
// imported, could read every lead of the workspace through a tenant_id
// index instead (it did for ctid = ANY($6), and parsed the records once
// per lead it found: 185 times for 185 leads, 41 ms of which the update
// itself was 18, in a 100,000-row import). merge checks the count, so a lead
// not found where the match locked it fails the batch instead of losing
// its update.
const mergeSQL = `WITH merged AS (
	UPDATE leads l SET name = r.name, phone = r.phone, email = r.email, union_id = r.union_id,
		open_id = r.open_id, external_id = r.external_id, wecom_external_user_id = r.wecom_external_user_id, company = r.company,
		territory_id = r.territory_id, referrer_id = r.referrer_id, attributes = r.attributes, reachable = r.reachable, updated_at = $2
	FROM json_to_recordset($3::json) AS r(ctid tid, id uuid, name text, phone text, email text, union_id text, open_id text,
		external_id text, wecom_external_user_id text, company text, territory_id uuid, referrer_id uuid, attributes jsonb, reachable jsonb)
	WHERE l.ctid = r.ctid AND l.id = r.id AND l.tenant_id IS NOT DISTINCT FROM $1
	RETURNING 1
), dup AS MATERIALIZED (
	SELECT * FROM json_to_recordset($4::json) AS r(id uuid, lead_id uuid, source text, source_detail text, external_id text)
), touched AS (
	INSERT INTO source_touches (id, tenant_id, lead_id, source, source_detail, external_id, duplicate, at)
	SELECT r.id, $1, r.lead_id, r.source, r.source_detail, r.external_id, true, $2 FROM dup r
), evented AS (
	INSERT INTO events (tenant_id, id, lead_id, name, properties, occurred_at, received_at, source)
	SELECT $1, r.id, r.lead_id, '` + EventDuplicate + `',
		jsonb_strip_nulls(jsonb_build_object('source', r.source, 'sourceDetail', nullif(r.source_detail, ''), 'externalID', r.external_id)),
		$2, $2, 'ingest'
	FROM dup r
), noted AS (
	INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, message, created_at)
	SELECT r.id, $1, r.user_id, 'lead.duplicate', r.lead_id, r.message, $2
	FROM json_to_recordset($5::json) AS r(id uuid, user_id uuid, lead_id uuid, message text)
)
SELECT count(*) FROM merged`

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
			m = &newLead{ID: t.ID, person: t.person, TerritoryID: t.TerritoryID, ReferrerID: t.ReferrerID}
			byLead[t.ID], read[t.ID] = m, t
			order = append(order, t.ID)
		}
		fillStr(&m.Name, g.Name)
		fillStr(&m.Company, g.Company)
		w.fillIdentity(&m.Phone, "p:", g.Phone, t.ID)
		w.fillIdentity(&m.Email, "e:", g.Email, t.ID)
		w.fillIdentity(&m.UnionID, "u:", g.UnionID, t.ID)
		w.fillIdentity(&m.ExternalID, "x:", g.ExternalID, t.ID)
		w.fillIdentity(&m.WeComExtUserID, "w:", g.WeComExternalUserID, t.ID)
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
	recs := []mergedLead{}
	for _, id := range order {
		m := byLead[id]
		if m.sameAs(read[id]) {
			// Nothing to fill: no new row version (and eleven index
			// entries); the touch and the event below still record it.
			continue
		}
		m.Reachable = reachable(deref(m.Phone), deref(m.Email), deref(m.UnionID), deref(m.OpenID))
		recs = append(recs, mergedLead{newLead: m, Ctid: read[id].ctid})
	}
	w.ingested.Merged = order
	touches, notes := w.duplicates(gs)
	if len(recs)+len(touches)+len(notes) == 0 {
		return nil
	}
	var params [3]string
	for i, v := range []any{recs, touches, notes} {
		var err error
		if params[i], err = jsonParam(v); err != nil {
			return err
		}
	}
	var updated int
	if err := txn.QueryRow(ctx, w.c, mergeSQL, w.tid, w.now, params[0], params[1], params[2]).Scan(&updated); err != nil {
		return fmt.Errorf("merge leads and record duplicates: %w", err)
	}
	if updated != len(recs) {
		return fmt.Errorf("merge leads: %d of %d leads were where the match locked them", updated, len(recs))
	}
	seen := make(map[uuid.UUID]bool, len(touches))
	for _, t := range touches {
		if !seen[t.LeadID] {
			seen[t.LeadID] = true
			w.duplicated = append(w.duplicated, t.LeadID)
		}
	}
	return nil
}

// EventDuplicate is the event ingest records on a lead for every row that
// merged into it.
const EventDuplicate = "lead.duplicate"

// mergedLead is a merged lead's record in mergeSQL: its new values and
// where the match locked it.
type mergedLead struct {
	*newLead
	Ctid string `json:"ctid"`
}

// sameAs reports whether merging left lead t exactly as it was read.
func (m *newLead) sameAs(t *existing) bool {
	return m.Name == t.Name && m.Company == t.Company &&
		deref(m.Phone) == deref(t.Phone) && deref(m.Email) == deref(t.Email) &&
		deref(m.UnionID) == deref(t.UnionID) && deref(m.OpenID) == deref(t.OpenID) &&
		deref(m.ExternalID) == deref(t.ExternalID) && deref(m.WeComExtUserID) == deref(t.WeComExtUserID) &&
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

// note tells the owner of a protected lead that a duplicate arrived; the
// lead stays theirs.
type note struct {
	ID      uuid.UUID `json:"id"`
	UserID  uuid.UUID `json:"user_id"`
	LeadID  uuid.UUID `json:"lead_id"`
	Message string    `json:"message"`
}

// duplicates returns the touch (and event) of every row that merged, into
// an existing lead or into an earlier row's new lead, and a note to the
// owner of each protected lead a row merged into.
func (w *writer) duplicates(gs []*group) ([]touch, []note) {
	touches := []touch{}
	notes := []note{}
	notified := map[uuid.UUID]bool{}
	for _, g := range gs {
		t := w.targets[g]
		leadID := w.created[g]
		dups := g.rows[1:]
		if t != nil {
			leadID, dups = t.ID, g.rows
			if t.OwnerID != nil && t.ProtectedUntil != nil && t.ProtectedUntil.After(w.now) && !notified[t.ID] {
				notified[t.ID] = true
				name := t.Name
				if name == "" {
					name = "未命名线索"
				}
				n := note{ID: gid.New(gid.Notification), UserID: *t.OwnerID, LeadID: t.ID,
					Message: fmt.Sprintf("你保护期内的线索「%s」收到一条重复线索，已合并到该线索，仍归你跟进。", name)}
				notes = append(notes, n)
				w.ingested.Notifications = append(w.ingested.Notifications, n.ID)
			}
		}
		for _, i := range dups {
			r := w.rows[i]
			touches = append(touches, touch{ID: gid.New(gid.SourceTouch), LeadID: leadID, Source: r.Source,
				SourceDetail: r.SourceDetail, ExternalID: nilIfEmpty(r.ExternalID)})
		}
	}
	return touches, notes
}

func fillStr(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
