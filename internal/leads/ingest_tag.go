package leads

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

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
	if !w.watchTags {
		_, err = w.c.ExecContext(ctx, tagPairsSQL, w.tid, txn.UUIDArray(leadIDs), txn.UUIDArray(tagIDs), w.now, w.batch.Actor)
		if err != nil {
			return fmt.Errorf("tag leads: %w", err)
		}
		return nil
	}
	// The same statement, returning the pairs it inserted (not those the
	// lead had already): what fires tagAdded journeys.
	rows, err := w.c.QueryContext(ctx, tagPairsSQL+` RETURNING tag_id, lead_id`, w.tid, txn.UUIDArray(leadIDs), txn.UUIDArray(tagIDs), w.now, w.batch.Actor)
	if err != nil {
		return fmt.Errorf("tag leads: %w", err)
	}
	defer rows.Close()
	w.tagged = map[uuid.UUID][]uuid.UUID{}
	for rows.Next() {
		var tag, lead uuid.UUID
		if err := rows.Scan(&tag, &lead); err != nil {
			return err
		}
		w.tagged[tag] = append(w.tagged[tag], lead)
	}
	return rows.Err()
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
ON CONFLICT (tenant_id, lead_id, tag_id) DO NOTHING`

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
