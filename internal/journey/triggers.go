package journey

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/internal/txn"
)

// Triggers. The code where a trigger happens calls these in its own
// transaction (ctx carries it): one lookup of the workspace's ACTIVE
// journeys with that trigger on a partial index, and, only when some
// exist, one set-based enrolment in the same transaction, so the
// enrolment commits or rolls back with the change that caused it, and the
// scheduler pass it queues goes through the outbox with it.

// triggeredSQL finds the ACTIVE journeys of a trigger kind and keys.
const triggeredSQL = `SELECT id FROM journeys
WHERE tenant_id = $1 AND status = 'ACTIVE' AND trigger_kind = $2 AND trigger_key = ANY($3::text[])`

// fire enrols leads in the ACTIVE journeys whose trigger is kind with one
// of keys.
func (s *Service) fire(ctx context.Context, kind string, keys []string, leads []uuid.UUID) error {
	if len(leads) == 0 {
		return nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	c := s.DB(ctx)
	journeys, err := s.triggered(ctx, tid, kind, keys)
	if err != nil || len(journeys) == 0 {
		return err
	}
	_, err = s.enrol(ctx, c, tid, journeys, uniq(leads))
	return err
}

func (s *Service) triggered(ctx context.Context, tid uuid.UUID, kind string, keys []string) ([]uuid.UUID, error) {
	ids, err := txn.QueryUUIDs(ctx, s.DB(ctx), triggeredSQL, tid, kind, pq.StringArray(keys))
	if err != nil {
		return nil, fmt.Errorf("journey: find triggered journeys: %w", err)
	}
	return ids, nil
}

// leadsBySourceSQL reads the sources of new leads.
const leadsBySourceSQL = `SELECT id, source FROM leads WHERE tenant_id = $1 AND id = ANY($2::uuid[])`

// LeadsCreated enrols new leads in the journeys triggered by leadCreated
// with the lead's source, or with none.
func (s *Service) LeadsCreated(ctx context.Context, leads []uuid.UUID) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	c := s.DB(ctx)
	rows, err := c.QueryContext(ctx, `SELECT id, trigger_key FROM journeys WHERE tenant_id = $1 AND status = 'ACTIVE' AND trigger_kind = $2`,
		tid, TriggerLeadCreated)
	if err != nil {
		return fmt.Errorf("journey: find triggered journeys: %w", err)
	}
	bySource := map[string][]uuid.UUID{}
	for rows.Next() {
		var id uuid.UUID
		var src string
		if err := rows.Scan(&id, &src); err != nil {
			rows.Close()
			return err
		}
		bySource[src] = append(bySource[src], id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(bySource) == 0 {
		return err
	}
	leadsOf := map[string][]uuid.UUID{"": leads}
	if len(bySource) > 1 || bySource[""] == nil {
		rows, err := c.QueryContext(ctx, leadsBySourceSQL, tid, txn.UUIDArray(leads))
		if err != nil {
			return fmt.Errorf("journey: sources of new leads: %w", err)
		}
		for rows.Next() {
			var id uuid.UUID
			var src *string
			if err := rows.Scan(&id, &src); err != nil {
				rows.Close()
				return err
			}
			if src != nil && *src != "" {
				leadsOf[*src] = append(leadsOf[*src], id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, src := range slices.Sorted(maps.Keys(bySource)) {
		if _, err := s.enrol(ctx, c, tid, bySource[src], leadsOf[src]); err != nil {
			return err
		}
	}
	return nil
}

// triggeredByKeySQL finds the ACTIVE journeys of a trigger kind and any of
// several keys, with the key.
const triggeredByKeySQL = `SELECT trigger_key, id FROM journeys
WHERE tenant_id = $1 AND status = 'ACTIVE' AND trigger_kind = $2 AND trigger_key = ANY($3::text[])`

// TagsAdded enrols, for each tag, the leads that just got it (tag → leads)
// in the journeys triggered by tagAdded with that tag: one lookup for all
// the tags, then one enrolment per tag that has such a journey (none when
// no journey is triggered by a tag, the usual case on ingest).
func (s *Service) TagsAdded(ctx context.Context, added map[uuid.UUID][]uuid.UUID) error {
	keys := make([]string, 0, len(added))
	for tag, leads := range added {
		if len(leads) > 0 {
			keys = append(keys, tag.String())
		}
	}
	if len(keys) == 0 {
		return nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	c := s.DB(ctx)
	rows, err := c.QueryContext(ctx, triggeredByKeySQL, tid, TriggerTagAdded, pq.StringArray(keys))
	if err != nil {
		return fmt.Errorf("journey: find triggered journeys: %w", err)
	}
	byTag := map[uuid.UUID][]uuid.UUID{}
	for rows.Next() {
		var key string
		var id uuid.UUID
		if err := rows.Scan(&key, &id); err != nil {
			rows.Close()
			return err
		}
		tag, err := uuid.Parse(key)
		if err != nil {
			rows.Close()
			return err
		}
		byTag[tag] = append(byTag[tag], id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, tag := range slices.SortedFunc(maps.Keys(byTag), func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }) {
		if _, err := s.enrol(ctx, c, tid, byTag[tag], uniq(added[tag])); err != nil {
			return err
		}
	}
	return nil
}

// TagsRemoved implements tagging.Watcher: no trigger fires on a removed tag.
func (s *Service) TagsRemoved(context.Context, map[uuid.UUID][]uuid.UUID) error { return nil }

// StageEntered enrols leads that just moved into stageID.
func (s *Service) StageEntered(ctx context.Context, stageID uuid.UUID, leads []uuid.UUID) error {
	return s.fire(ctx, TriggerStageEntered, []string{stageID.String()}, leads)
}

// EventTracked enrols the leads an event name was tracked for.
func (s *Service) EventTracked(ctx context.Context, name string, leads []uuid.UUID) error {
	return s.fire(ctx, TriggerEvent, []string{name}, leads)
}

// ContactWayAdded enrols the leads of customers who added a member through
// the contact-way code contactWayID (the WeCom contact-way work calls it).
func (s *Service) ContactWayAdded(ctx context.Context, contactWayID uuid.UUID, leads []uuid.UUID) error {
	return s.fire(ctx, TriggerContactWayAdded, []string{contactWayID.String()}, leads)
}

// WeComLost enrols the leads whose WeCom customer deleted the member (流失).
func (s *Service) WeComLost(ctx context.Context, leads []uuid.UUID) error {
	return s.fire(ctx, TriggerWecomLost, []string{""}, leads)
}

// Watches implements segment.Watcher: whether an ACTIVE journey is
// triggered by entering the segment.
func (s *Service) Watches(ctx context.Context, segmentID uuid.UUID) (bool, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return false, err
	}
	ids, err := s.triggered(ctx, tid, TriggerSegmentEntered, []string{segmentID.String()})
	return len(ids) > 0, err
}

// SegmentEntered implements segment.Watcher: it enrols the leads (by
// leads.seq) that entered the segment at its latest computation.
func (s *Service) SegmentEntered(ctx context.Context, segmentID uuid.UUID, entered *roaring.Bitmap) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	seqs := make(pq.Int64Array, 0, entered.GetCardinality())
	it := entered.Iterator()
	for it.HasNext() {
		seqs = append(seqs, int64(it.Next()))
	}
	rows, err := s.DB(ctx).QueryContext(ctx, `SELECT id FROM leads WHERE tenant_id = $1 AND seq = ANY($2::int8[])`, tid, seqs)
	if err != nil {
		return fmt.Errorf("journey: leads of segment entries: %w", err)
	}
	defer rows.Close()
	var leads []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		leads = append(leads, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return s.fire(ctx, TriggerSegmentEntered, []string{segmentID.String()}, leads)
}
