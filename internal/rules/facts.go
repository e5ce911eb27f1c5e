package rules

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Facts is what conditions know about one lead. LoadFacts fills it for a
// batch; tests and other engines may build one by hand.
type Facts struct {
	ID           uuid.UUID
	Name         string
	Company      string
	Source       string
	SourceDetail string
	Status       string
	Score        int
	// Tier is "" when the lead has none yet.
	Tier string
	// Stage is the stage key and StageKind its kind (OPEN, WON, LOST), "" without a stage.
	Stage     string
	StageKind string
	// Territory and Pool are names, "" when none.
	Territory string
	Pool      string
	Owned     bool
	Referred  bool
	HasPhone  bool
	HasEmail  bool
	Reachable []string
	CreatedAt time.Time
	// ClaimedAt and LastFollowUpAt are nil when absent.
	ClaimedAt      *time.Time
	LastFollowUpAt *time.Time
	// Attributes are the stored custom-field values (decoded jsonb; numbers
	// may be json.Number or float64).
	Attributes map[string]any
	// Tags are the names of the lead's tags.
	Tags []string
	// Events holds the count of every window of the Needs it was loaded
	// with; eventCount of a window not here fails (so does not match).
	Events map[EventWindow]int64
	// Now is the evaluation time, the now variable.
	Now time.Time
}

// String names the lead only: facts hold personal data that must not reach
// logs through an error message.
func (f *Facts) String() string { return "lead " + f.ID.String() }

// LoadFacts reads the facts of the leads ids of the context's workspace (any
// status) in at most two statements: the leads with their stage, territory,
// pool and tag names, then, when needs has event windows, every window's
// count for the whole batch. Leads that do not exist in the workspace are
// left out of the result. Event windows end at now: eventCount(name, d)
// counts events with occurred_at after now − d×24h.
func LoadFacts(ctx context.Context, c *ent.Client, now time.Time, ids []uuid.UUID, needs Needs) (map[uuid.UUID]*Facts, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]*Facts, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	ids = slices.Compact(ids)
	if err := loadLeads(ctx, c, tid, now, ids, needs, out); err != nil {
		return nil, err
	}
	if len(needs.Events) > 0 && len(out) > 0 {
		if err := loadEventCounts(ctx, c, tid, now, ids, needs, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Every join repeats the tenant: no row of another workspace can join even
// through a corrupt foreign key.
const leadsQuery = `
SELECT l.id, l.name, l.company, l.source, l.source_detail, l.status, l.score, COALESCE(l.tier, ''),
	COALESCE(s.key, ''), COALESCE(s.kind, ''), COALESCE(t.name, ''), COALESCE(p.name, ''),
	l.owner_id IS NOT NULL, l.referrer_id IS NOT NULL,
	COALESCE(l.phone, '') <> '', COALESCE(l.email, '') <> '',
	l.reachable, l.created_at, l.claimed_at, l.last_follow_up_at, l.attributes,
	ARRAY(SELECT tg.name FROM lead_tags lt
		JOIN tags tg ON tg.tenant_id = lt.tenant_id AND tg.id = lt.tag_id
		WHERE lt.tenant_id = l.tenant_id AND lt.lead_id = l.id ORDER BY tg.name)
FROM leads l
LEFT JOIN stages s ON s.tenant_id = l.tenant_id AND s.id = l.stage_id
LEFT JOIN territories t ON t.tenant_id = l.tenant_id AND t.id = l.territory_id
LEFT JOIN pools p ON p.tenant_id = l.tenant_id AND p.id = l.pool_id
WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[])`

func loadLeads(ctx context.Context, c *ent.Client, tid uuid.UUID, now time.Time, ids []uuid.UUID, needs Needs, out map[uuid.UUID]*Facts) error {
	rows, err := c.QueryContext(ctx, leadsQuery, tid, txn.UUIDArray(ids))
	if err != nil {
		return fmt.Errorf("rules: load leads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		f := &Facts{Now: now, Events: make(map[EventWindow]int64, len(needs.Events))}
		var reachable, attrs []byte
		var claimed, followed sql.NullTime
		var tags pq.StringArray
		if err := rows.Scan(&f.ID, &f.Name, &f.Company, &f.Source, &f.SourceDetail, &f.Status, &f.Score, &f.Tier,
			&f.Stage, &f.StageKind, &f.Territory, &f.Pool, &f.Owned, &f.Referred, &f.HasPhone, &f.HasEmail,
			&reachable, &f.CreatedAt, &claimed, &followed, &attrs, &tags); err != nil {
			return fmt.Errorf("rules: load leads: %w", err)
		}
		if claimed.Valid {
			t := claimed.Time
			f.ClaimedAt = &t
		}
		if followed.Valid {
			t := followed.Time
			f.LastFollowUpAt = &t
		}
		if len(reachable) > 0 {
			if err := json.Unmarshal(reachable, &f.Reachable); err != nil {
				return fmt.Errorf("rules: lead %s reachable: %w", f.ID, err)
			}
		}
		if f.Attributes, err = decodeAttributes(attrs); err != nil {
			return fmt.Errorf("rules: lead %s attributes: %w", f.ID, err)
		}
		f.Tags = []string(tags)
		for _, w := range needs.Events {
			f.Events[w] = 0
		}
		out[f.ID] = f
	}
	return rows.Err()
}

// decodeAttributes keeps numbers as json.Number, so a money value is not
// rounded before a condition compares it.
func decodeAttributes(raw []byte) (map[string]any, error) {
	m := map[string]any{}
	if len(raw) == 0 {
		return m, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// eventCountsQuery counts, in one pass over the batch's events of the
// widest window (the (tenant_id, lead_id, occurred_at) index), the events of
// every (name, days) window. The windows are parameters, so the statement
// has one shape whatever the programs ask for.
const eventCountsQuery = `
SELECT e.lead_id, w.i, count(*)
FROM events e
JOIN unnest($4::text[], $5::int[]) WITH ORDINALITY AS w(name, days, i)
	ON e.name = w.name AND e.occurred_at > $3::timestamptz - make_interval(days => w.days)
WHERE e.tenant_id = $1 AND e.lead_id = ANY($2::uuid[]) AND e.name = ANY($4::text[])
	AND e.occurred_at > $3::timestamptz - make_interval(days => $6::int)
GROUP BY e.lead_id, w.i`

func loadEventCounts(ctx context.Context, c *ent.Client, tid uuid.UUID, now time.Time, ids []uuid.UUID, needs Needs, out map[uuid.UUID]*Facts) error {
	names := make(pq.StringArray, len(needs.Events))
	days := make(pq.Int64Array, len(needs.Events))
	maxDays := 0
	for i, w := range needs.Events {
		names[i], days[i] = w.Name, int64(w.Days)
		maxDays = max(maxDays, w.Days)
	}
	rows, err := c.QueryContext(ctx, eventCountsQuery, tid, txn.UUIDArray(ids), now, names, days, maxDays)
	if err != nil {
		return fmt.Errorf("rules: count events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var i, n int64
		if err := rows.Scan(&id, &i, &n); err != nil {
			return fmt.Errorf("rules: count events: %w", err)
		}
		if f := out[id]; f != nil && i >= 1 && int(i) <= len(needs.Events) {
			f.Events[needs.Events[i-1]] = n
		}
	}
	return rows.Err()
}
