package tagging

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/leadtag"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/scope"
)

// Per-call limits of TagLeads and UntagLeads. A bigger selection is split by
// the caller (an import or a rule job), so one request never holds thousands
// of row locks for long.
const (
	MaxLeads = 10000
	MaxTags  = 100
)

// maxEdgesPerStatement bounds the lead × tag rows of one batch statement.
const maxEdgesPerStatement = 50000

// tagEdgesSQL is tagSQL without its updated_at bump: it removes the leads'
// other tags of the exclusive groups of $3 and inserts the missing edges,
// returning the edges inserted and removed (lead, tag, added). Every table
// is joined on the bound tenant $1, so ids of another workspace touch
// nothing even if they slipped past the checks.
const tagEdgesSQL = `
WITH l AS (
	SELECT id FROM leads WHERE tenant_id = $1::uuid AND id = ANY($2::uuid[])
), t AS (
	SELECT id, group_id FROM tags WHERE tenant_id = $1::uuid AND id = ANY($3::uuid[])
), removed AS (
	DELETE FROM lead_tags lt
	USING l, t, tag_groups g, tags other
	WHERE lt.tenant_id = $1::uuid AND lt.lead_id = l.id
		AND g.tenant_id = $1::uuid AND g.id = t.group_id AND g.exclusive
		AND other.tenant_id = $1::uuid AND other.id = lt.tag_id
		AND other.group_id = t.group_id AND other.id <> t.id
	RETURNING lt.lead_id, lt.tag_id
), inserted AS (
	INSERT INTO lead_tags (tenant_id, lead_id, tag_id, created_at, created_by_id, source)
	SELECT $1::uuid, l.id, t.id, $4::timestamptz, $5::uuid, $6::text FROM l CROSS JOIN t
	ON CONFLICT (tenant_id, lead_id, tag_id) DO NOTHING
	RETURNING lead_id, tag_id
)`

// tagSQL tags leads $2 with tags $3 in one statement (tagEdgesSQL) and
// bumps updated_at of the leads that changed. The update names the leads
// by `id = ANY($2)` as well, so they are probed by primary key rather than
// found by hashing every lead of the workspace against the changed edges.
const tagSQL = tagEdgesSQL + `, touched AS (
	UPDATE leads SET updated_at = $4::timestamptz
	WHERE tenant_id = $1::uuid AND id = ANY($2::uuid[]) AND id IN (SELECT lead_id FROM inserted UNION SELECT lead_id FROM removed)
)
` + tagEdgesResultSQL

// tagUntouchedSQL is tagSQL without the bump, for TagLeadsUntouched.
const tagUntouchedSQL = tagEdgesSQL + `
` + tagEdgesResultSQL

// tagEdgesResultSQL returns tagEdgesSQL's edges: (lead, tag, added).
const tagEdgesResultSQL = `SELECT lead_id, tag_id, true FROM inserted UNION ALL SELECT lead_id, tag_id, false FROM removed`

// untagSQL removes tags $3 from leads $2 and bumps updated_at of the leads
// that lost one, returning the edges removed.
const untagSQL = `
WITH removed AS (
	DELETE FROM lead_tags
	WHERE tenant_id = $1::uuid AND lead_id = ANY($2::uuid[]) AND tag_id = ANY($3::uuid[])
	RETURNING lead_id, tag_id
), touched AS (
	UPDATE leads SET updated_at = $4::timestamptz
	WHERE tenant_id = $1::uuid AND id = ANY($2::uuid[]) AND id IN (SELECT lead_id FROM removed)
)
SELECT lead_id, tag_id, false FROM removed`

// TagLeads puts every tag of tagIDs on every lead of leadIDs and returns the
// number of lead-tag edges added (edges that already existed are kept, with
// their original who/when/source, and not counted). actor (optional) and
// source (MANUAL, RULE, IMPORT, INGEST or MERGE; empty means MANUAL) are
// recorded on the new edges.
//
// A tag of an exclusive group replaces the lead's other tags of that group;
// two tags of one exclusive group in one call are refused. Unknown ids, or ids
// of another workspace, are NOT_FOUND at "leadIDs[i]"/"tagIDs[i]" and leads
// outside the caller's lead scope FORBIDDEN; either way nothing is written.
// Duplicate ids are ignored. At most MaxLeads leads and MaxTags tags per call.
func (s *Service) TagLeads(ctx context.Context, leadIDs, tagIDs []uuid.UUID, actor *uuid.UUID, source string) (int, error) {
	n, _, err := s.tagLeads(ctx, tagSQL, leadIDs, tagIDs, actor, source)
	return n, err
}

// TagLeadsUntouched is TagLeads without the bump of the changed leads'
// updated_at, for a caller in a transaction (ctx carries it) that writes
// the leads again before it commits and sets updated_at then: the journey
// engine, whose later steps of a batch (a reassignment) update the same
// leads, so that each lead is updated once instead of twice. It returns the
// leads whose tags changed: the caller must set their updated_at in that
// transaction, before it commits and before anything in it reads them.
func (s *Service) TagLeadsUntouched(ctx context.Context, leadIDs, tagIDs []uuid.UUID, actor *uuid.UUID, source string) ([]uuid.UUID, error) {
	_, ch, err := s.tagLeads(ctx, tagUntouchedSQL, leadIDs, tagIDs, actor, source)
	if err != nil {
		return nil, err
	}
	changed := map[uuid.UUID]bool{}
	for _, m := range []map[uuid.UUID][]uuid.UUID{ch.added, ch.removed} {
		for _, leads := range m {
			for _, id := range leads {
				changed[id] = true
			}
		}
	}
	return slices.Collect(maps.Keys(changed)), nil
}

// tagLeads is TagLeads through query (tagSQL or tagUntouchedSQL); it
// returns the number of edges added and the changes.
func (s *Service) tagLeads(ctx context.Context, query string, leadIDs, tagIDs []uuid.UUID, actor *uuid.UUID, source string) (int, changes, error) {
	ch := changes{added: map[uuid.UUID][]uuid.UUID{}, removed: map[uuid.UUID][]uuid.UUID{}}
	c := s.DB(ctx)
	tid, err := tenantOf(ctx)
	if err != nil {
		return 0, ch, err
	}
	src := leadtag.Source(source)
	if source == "" {
		src = leadtag.SourceMANUAL
	}
	if leadtag.SourceValidator(src) != nil {
		return 0, ch, apperr.Input("source", "source must be MANUAL, RULE, IMPORT, INGEST or MERGE")
	}
	var actorArg any
	if actor != nil {
		actorArg = *actor
	}
	tagArg := uuidArray(uniq(tagIDs))
	now := s.Now()
	affected := 0
	err = withTx(ctx, c, func(c *ent.Client) error {
		leads, tags, err := resolve(ctx, c, leadIDs, tagIDs)
		if err != nil {
			return err
		}
		if err := oneOfEachExclusiveGroup(tagIDs, tags); err != nil {
			return err
		}
		if err := checkActor(ctx, c, actor); err != nil {
			return err
		}
		err = batches(leads, len(tags), func(batch []uuid.UUID) error {
			leadArg := uuidArray(batch)
			n, err := ch.read(ctx, c, query, tid, leadArg, tagArg, now, actorArg, string(src))
			if err != nil {
				return fmt.Errorf("tag leads: %w", err)
			}
			affected += n
			return nil
		})
		if err != nil {
			return err
		}
		return s.tell(ent.NewContext(ctx, c), ch)
	})
	if err != nil {
		return 0, ch, err
	}
	return affected, ch, nil
}

// UntagLeads removes every tag of tagIDs from every lead of leadIDs and
// returns the number of lead-tag edges removed. Ids are checked as in
// TagLeads, and nothing is written when one is refused.
func (s *Service) UntagLeads(ctx context.Context, leadIDs, tagIDs []uuid.UUID) (int, error) {
	c := s.DB(ctx)
	tid, err := tenantOf(ctx)
	if err != nil {
		return 0, err
	}
	tagArg := uuidArray(uniq(tagIDs))
	now := s.Now()
	affected := 0
	err = withTx(ctx, c, func(c *ent.Client) error {
		leads, tags, err := resolve(ctx, c, leadIDs, tagIDs)
		if err != nil {
			return err
		}
		ch := changes{added: map[uuid.UUID][]uuid.UUID{}, removed: map[uuid.UUID][]uuid.UUID{}}
		err = batches(leads, len(tags), func(batch []uuid.UUID) error {
			leadArg := uuidArray(batch)
			if _, err := ch.read(ctx, c, untagSQL, tid, leadArg, tagArg, now); err != nil {
				return fmt.Errorf("untag leads: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, l := range ch.removed {
			affected += len(l)
		}
		return s.tell(ent.NewContext(ctx, c), ch)
	})
	if err != nil {
		return 0, err
	}
	return affected, nil
}

// resolve checks the ids of a tagging call before anything is written and
// returns the distinct lead ids and the tags (with their groups) by id. It
// runs in the call's transaction: it locks the leads (scope.LockLeads, in id
// order like every bulk lead write, so they queue instead of deadlocking)
// and checks their scope after the lock, and the writes that follow, each
// its own statement, take their snapshots after the wait too, so they see
// what a concurrent call just committed (which is what keeps exclusive
// groups exclusive under concurrency).
func resolve(ctx context.Context, c *ent.Client, leadIDs, tagIDs []uuid.UUID) ([]uuid.UUID, map[uuid.UUID]*ent.Tag, error) {
	switch {
	case len(leadIDs) == 0:
		return nil, nil, apperr.Input("leadIDs", "at least one lead is required")
	case len(leadIDs) > MaxLeads:
		return nil, nil, apperr.Input("leadIDs", "at most %d leads per call", MaxLeads)
	case len(tagIDs) == 0:
		return nil, nil, apperr.Input("tagIDs", "at least one tag is required")
	case len(tagIDs) > MaxTags:
		return nil, nil, apperr.Input("tagIDs", "at most %d tags per call", MaxTags)
	}
	leads := uniq(leadIDs)
	if err := scope.LockLeads(ctx, c, scope.Write, "leadIDs", leadIDs); err != nil {
		return nil, nil, err
	}
	found, err := c.Tag.Query().Where(tag.IDIn(uniq(tagIDs)...)).WithGroup().All(ctx)
	if err != nil {
		return nil, nil, err
	}
	tags := make(map[uuid.UUID]*ent.Tag, len(found))
	for _, t := range found {
		tags[t.ID] = t
	}
	for i, id := range tagIDs {
		if tags[id] == nil {
			return nil, nil, apperr.New(apperr.NotFound, fmt.Sprintf("tagIDs[%d]", i), "tag not found")
		}
	}
	return leads, tags, nil
}

// oneOfEachExclusiveGroup refuses tagIDs holding two tags of one exclusive
// group: which one should win would be a guess.
func oneOfEachExclusiveGroup(tagIDs []uuid.UUID, tags map[uuid.UUID]*ent.Tag) error {
	first := make(map[uuid.UUID]int) // group → index of its first tag in tagIDs
	for i, id := range tagIDs {
		g := tags[id].Edges.Group
		if g == nil || !g.Exclusive {
			continue
		}
		j, seen := first[g.ID]
		if !seen {
			first[g.ID] = i
			continue
		}
		if tagIDs[j] != id {
			return apperr.Wrap(ErrExclusive, apperr.BadInput, fmt.Sprintf("tagIDs[%d]", i),
				fmt.Sprintf("tags %q and %q are both in the exclusive group %q: a lead carries at most one of them",
					tags[tagIDs[j]].Name, tags[id].Name, g.Name))
		}
	}
	return nil
}

// batches calls fn with consecutive slices of leads small enough that one
// statement writes at most maxEdgesPerStatement edges.
func batches(leads []uuid.UUID, tags int, fn func([]uuid.UUID) error) error {
	size := max(1, maxEdgesPerStatement/max(1, tags))
	for start := 0; start < len(leads); start += size {
		if err := fn(leads[start:min(start+size, len(leads))]); err != nil {
			return err
		}
	}
	return nil
}

// edges runs a statement that returns (lead, tag) rows, collects them in
// into (tag → leads) and returns how many there were.
// changes are the lead-tag edges a call added and removed (tag → leads).
type changes struct{ added, removed map[uuid.UUID][]uuid.UUID }

// read runs a statement returning (lead, tag, added) edges into ch and
// returns how many were added.
func (ch changes) read(ctx context.Context, c *ent.Client, query string, args ...any) (int, error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var lead, tag uuid.UUID
		var added bool
		if err := rows.Scan(&lead, &tag, &added); err != nil {
			return 0, err
		}
		if added {
			ch.added[tag] = append(ch.added[tag], lead)
			n++
		} else {
			ch.removed[tag] = append(ch.removed[tag], lead)
		}
	}
	return n, rows.Err()
}

// tell gives the watchers the call's changes, in its transaction (ctx).
func (s *Service) tell(ctx context.Context, ch changes) error {
	for _, w := range s.Watchers {
		if len(ch.added) > 0 {
			if err := w.TagsAdded(ctx, ch.added); err != nil {
				return err
			}
		}
		if len(ch.removed) > 0 {
			if err := w.TagsRemoved(ctx, ch.removed); err != nil {
				return err
			}
		}
	}
	return nil
}

// uniq returns ids without repeats, in first-seen order.
func uniq(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// firstMissing returns the index of the first of ids not in found, or -1.
func firstMissing(ids, found []uuid.UUID) int {
	have := make(map[uuid.UUID]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	for i, id := range ids {
		if !have[id] {
			return i
		}
	}
	return -1
}

// CheckTags checks tagIDs as TagLeads (add) or UntagLeads would before any
// lead is named: 1 to MaxTags tags of the workspace (NOT_FOUND at
// "<field>[i]"), and for add at most one tag of each exclusive group. A
// caller that tags many leads in batches (a bulk job) checks once up front.
func (s *Service) CheckTags(ctx context.Context, field string, tagIDs []uuid.UUID, add bool) error {
	switch {
	case len(tagIDs) == 0:
		return apperr.Input(field, "at least one tag is required")
	case len(tagIDs) > MaxTags:
		return apperr.Input(field, "at most %d tags per call", MaxTags)
	}
	found, err := s.DB(ctx).Tag.Query().Where(tag.IDIn(uniq(tagIDs)...)).WithGroup().All(ctx)
	if err != nil {
		return err
	}
	tags := make(map[uuid.UUID]*ent.Tag, len(found))
	for _, t := range found {
		tags[t.ID] = t
	}
	for i, id := range tagIDs {
		if tags[id] == nil {
			return apperr.New(apperr.NotFound, fmt.Sprintf("%s[%d]", field, i), "tag not found")
		}
	}
	if !add {
		return nil
	}
	err = oneOfEachExclusiveGroup(tagIDs, tags)
	var ae *apperr.Error
	if errors.As(err, &ae) {
		ae.Field = field + strings.TrimPrefix(ae.Field, "tagIDs")
	}
	return err
}
