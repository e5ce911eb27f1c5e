package leads

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// MaxMerge is the most duplicates one manual merge folds in.
const MaxMerge = 50

// mergeReadSQL reads what survivorship needs from the leads of a merge,
// which scope.Lock has locked.
const mergeReadSQL = `SELECT id, status, name, phone, email, union_id, open_id, external_id, company,
	source, source_detail, territory_id, referrer_id, owner_id, last_follow_up_at, attributes, wecom_external_user_id
FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[])`

type mergeRow struct {
	existing
	Status, Source, SourceDetail string
	LastFollowUpAt               *time.Time
}

// EventMerged is the event a merge records on the surviving lead.
const EventMerged = "lead.merged"

// Merge folds duplicates into primary by hand (合并线索): field by field the
// primary's value wins unless it is empty, then each duplicate's in the
// order given; attributes likewise key by key. Follow-ups, deals, events,
// source touches and tags move to the primary (a tag of an exclusive group
// the primary already has a tag of stays behind); the duplicates become
// MERGED with a pointer to the primary, which frees their identities for it.
// The primary keeps its owner and pool. Every lead must be active and in
// the caller's scope; otherwise nothing is written.
func (s *Service) Merge(ctx context.Context, primary uuid.UUID, dups []uuid.UUID, actor *uuid.UUID, now time.Time) (*ent.Lead, error) {
	c := s.DB(ctx)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	if len(dups) == 0 {
		return nil, apperr.Input("duplicateIDs", "give at least one duplicate")
	}
	if len(dups) > MaxMerge {
		return nil, apperr.New(apperr.LimitExceeded, "duplicateIDs", "at most %d duplicates per merge", MaxMerge)
	}
	seen := map[uuid.UUID]bool{primary: true}
	for i, d := range dups {
		if d == primary {
			return nil, apperr.Input(fmt.Sprintf("duplicateIDs[%d]", i), "the primary lead cannot be its own duplicate")
		}
		if seen[d] {
			return nil, apperr.Input(fmt.Sprintf("duplicateIDs[%d]", i), "lead listed twice")
		}
		seen[d] = true
	}
	all := append([]uuid.UUID{primary}, dups...)
	field := func(i int) string {
		if i == 0 {
			return "primaryID"
		}
		return fmt.Sprintf("duplicateIDs[%d]", i-1)
	}
	err = txn.WithTx(ctx, c, func(c *ent.Client) error {
		// One statement locks primary and duplicates, in id order.
		if err := scope.Lock(ctx, c, scope.Write, all, field); err != nil {
			return err
		}
		got, err := readForMerge(ctx, c, tid, all)
		if err != nil {
			return err
		}
		for i, id := range all {
			if got[id].Status != "ACTIVE" {
				return apperr.New(apperr.Conflict, field(i), "lead is %s and cannot be merged", got[id].Status)
			}
		}
		added, err := mergeInto(ctx, c, tid, got[primary], dups, got, actor, now)
		if err != nil {
			return err
		}
		if err := s.Events.Record(ctx, c, []uuid.UUID{primary}, EventMerged, "merge", map[string]any{"duplicates": dups}, now); err != nil {
			return err
		}
		if s.Tags == nil || len(added) == 0 {
			return nil
		}
		byTag := make(map[uuid.UUID][]uuid.UUID, len(added))
		for _, tag := range added {
			byTag[tag] = []uuid.UUID{primary}
		}
		return s.Tags.TagsAdded(ent.NewContext(ctx, c), byTag)
	})
	if err != nil {
		return nil, err
	}
	return c.Lead.Get(ctx, primary)
}

func readForMerge(ctx context.Context, c *ent.Client, tid uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]*mergeRow, error) {
	rows, err := c.QueryContext(ctx, mergeReadSQL, tid, txn.UUIDArray(ids))
	if err != nil {
		return nil, fmt.Errorf("read leads: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]*mergeRow{}
	for rows.Next() {
		var m mergeRow
		var attrs []byte
		if err := rows.Scan(&m.ID, &m.Status, &m.Name, &m.Phone, &m.Email, &m.UnionID, &m.OpenID, &m.ExternalID,
			&m.Company, &m.Source, &m.SourceDetail, &m.TerritoryID, &m.ReferrerID, &m.OwnerID, &m.LastFollowUpAt, &attrs, &m.WeComExtUserID); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(attrs, &m.Attributes); err != nil {
			return nil, err
		}
		out[m.ID] = &m
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if out[id] == nil {
			return nil, apperr.New(apperr.NotFound, "", "lead %s not found", id)
		}
	}
	return out, nil
}

func mergeInto(ctx context.Context, c *ent.Client, tid uuid.UUID, p *mergeRow, dups []uuid.UUID, got map[uuid.UUID]*mergeRow,
	actor *uuid.UUID, now time.Time) (added []uuid.UUID, err error) {
	m := *p
	for _, id := range dups {
		d := got[id]
		fillStr(&m.Name, d.Name)
		fillStr(&m.Company, d.Company)
		fillStr(&m.Source, d.Source)
		fillStr(&m.SourceDetail, d.SourceDetail)
		for _, f := range []struct{ dst, src **string }{
			{&m.Phone, &d.Phone}, {&m.Email, &d.Email}, {&m.UnionID, &d.UnionID}, {&m.OpenID, &d.OpenID}, {&m.ExternalID, &d.ExternalID},
			{&m.WeComExtUserID, &d.WeComExtUserID},
		} {
			if *f.dst == nil {
				*f.dst = *f.src
			}
		}
		if m.TerritoryID == nil {
			m.TerritoryID = d.TerritoryID
		}
		if m.ReferrerID == nil && d.ReferrerID != nil && *d.ReferrerID != p.ID && !slices.Contains(dups, *d.ReferrerID) {
			m.ReferrerID = d.ReferrerID
		}
		if d.LastFollowUpAt != nil && (m.LastFollowUpAt == nil || d.LastFollowUpAt.After(*m.LastFollowUpAt)) {
			m.LastFollowUpAt = d.LastFollowUpAt
		}
		m.Attributes = fillAttributes(m.Attributes, d.Attributes)
	}
	dupArg := txn.UUIDArray(dups)
	// Retire the duplicates first: that frees their identities for the primary.
	if _, err := c.ExecContext(ctx, `UPDATE leads SET status = 'MERGED', merged_into_id = $3, updated_at = $4
		WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid, dupArg, p.ID, now); err != nil {
		return nil, fmt.Errorf("retire duplicates: %w", err)
	}
	attrs, err := json.Marshal(nonNil(m.Attributes))
	if err != nil {
		return nil, err
	}
	reach, err := json.Marshal(reachable(deref(m.Phone), deref(m.Email), deref(m.UnionID), deref(m.OpenID)))
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, `UPDATE leads SET name = $3, phone = $4, email = $5, union_id = $6, open_id = $7,
		external_id = $8, company = $9, source = $10, source_detail = $11, territory_id = $12, referrer_id = $13,
		last_follow_up_at = $14, attributes = $15, reachable = $16, updated_at = $17, wecom_external_user_id = $18
		WHERE tenant_id = $1 AND id = $2`,
		tid, p.ID, m.Name, m.Phone, m.Email, m.UnionID, m.OpenID, m.ExternalID, m.Company, m.Source, m.SourceDetail,
		m.TerritoryID, m.ReferrerID, m.LastFollowUpAt, attrs, reach, now, m.WeComExtUserID); err != nil {
		return nil, fmt.Errorf("update primary: %w", err)
	}
	for _, table := range []string{"follow_ups", "deals", "source_touches", "wecom_contacts", "tasks", "contact_way_adds"} {
		if _, err := c.ExecContext(ctx, `UPDATE `+table+` SET lead_id = $3 WHERE tenant_id = $1 AND lead_id = ANY($2::uuid[])`,
			tid, dupArg, p.ID); err != nil {
			return nil, fmt.Errorf("move %s: %w", table, err)
		}
	}
	// A WeCom customer relationship (moved above) reaches the lead on WeCom
	// even when no identity of the merged lead says so (no unionid).
	if _, err := c.ExecContext(ctx, `UPDATE leads SET reachable = reachable || '["WECOM"]'::jsonb
		WHERE tenant_id = $1 AND id = $2 AND NOT reachable ? 'WECOM' AND EXISTS (SELECT 1 FROM wecom_contacts w
			WHERE w.tenant_id = $1 AND w.lead_id = $2 AND w.lost_at IS NULL AND w.removed_at IS NULL)`, tid, p.ID); err != nil {
		return nil, fmt.Errorf("reachability on WeCom: %w", err)
	}
	if added, err = txn.QueryUUIDs(ctx, c, moveTagsSQL, tid, dupArg, p.ID, now, actor); err != nil {
		return nil, fmt.Errorf("move tags: %w", err)
	}
	if _, err := events.MoveToLead(ctx, c, dups, p.ID); err != nil {
		return nil, err
	}
	return added, nil
}

// moveTagsSQL moves the duplicates' tags to the primary, except a tag of an
// exclusive group the primary (or an earlier moved tag) already covers, and
// returns the tags the primary did not have (added to it).
const moveTagsSQL = `WITH moved AS (
	DELETE FROM lead_tags WHERE tenant_id = $1 AND lead_id = ANY($2::uuid[]) RETURNING tag_id
), candidates AS (
	SELECT DISTINCT ON (coalesce(CASE WHEN g.exclusive THEN g.id END, t.id)) t.id AS tag_id, g.exclusive, g.id AS group_id
	FROM moved JOIN tags t ON t.tenant_id = $1 AND t.id = moved.tag_id
	LEFT JOIN tag_groups g ON g.tenant_id = $1 AND g.id = t.group_id
	ORDER BY coalesce(CASE WHEN g.exclusive THEN g.id END, t.id), t.id
)
INSERT INTO lead_tags (tenant_id, lead_id, tag_id, created_at, created_by_id, source)
SELECT $1, $3, c.tag_id, $4, $5, 'MERGE' FROM candidates c
WHERE NOT (coalesce(c.exclusive, false) AND EXISTS (
	SELECT 1 FROM lead_tags lt JOIN tags o ON o.tenant_id = $1 AND o.id = lt.tag_id
	WHERE lt.tenant_id = $1 AND lt.lead_id = $3 AND o.group_id = c.group_id))
ON CONFLICT (tenant_id, lead_id, tag_id) DO NOTHING
RETURNING tag_id`
