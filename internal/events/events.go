// Package events records behaviour events ("viewed_ad", "paid", ...) against
// leads, in a table partitioned by month, and keeps the partitions.
//
// Events are not ent entities: they are written and read with set-based SQL
// that binds tenant_id in every statement.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/clean"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/idempotency"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/workspace"
)

// Limits of one call and one event.
const (
	MaxEvents        = 5000
	maxPropertyBytes = 8 << 10
	maxProperties    = 50
	// maxFutureSkew tolerates client clocks a little ahead of ours.
	maxFutureSkew = 5 * time.Minute
)

// namePattern is what an event name may look like: "viewed_ad", "order.paid".
var namePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.:-]{0,99}$`)

// ValidName reports whether name can name an event.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// earliest is the oldest occurredAt accepted (older is a unit mistake).
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Input is one event, resolved to a lead by LeadID, else ExternalID, else Phone.
type Input struct {
	LeadID     *uuid.UUID
	ExternalID string
	Phone      string
	Name       string
	Properties map[string]any
	OccurredAt *time.Time
}

// Error is why the event at Index was refused.
type Error struct {
	Index   int
	Code    string
	Message string
}

// Result of Track: accepted events were written, rejected ones were not.
type Result struct {
	Accepted, Rejected int
	Errors             []Error
	// Leads are the leads that got events (for re-scoring).
	Leads []uuid.UUID
	// Named are the leads that got each event name (journey triggers).
	Named map[string][]uuid.UUID `json:"-"`
	// Replayed: the answer of an earlier call with the same idempotency
	// key; nothing was written.
	Replayed bool
}

type row struct {
	ID         uuid.UUID      `json:"id"`
	LeadID     uuid.UUID      `json:"lead_id"`
	Name       string         `json:"name"`
	Properties map[string]any `json:"properties"`
	OccurredAt time.Time      `json:"occurred_at"`
}

// Track validates events, resolves their leads among those the caller can
// see (active leads only for external id and phone), and writes the valid
// ones in one statement. Each bad event is reported by index and the rest
// are still written; the whole call fails only on a database error.
func Track(ctx context.Context, c *ent.Client, region, source string, now time.Time, in []Input) (*Result, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, apperr.Input("events", "give at least one event")
	}
	if len(in) > MaxEvents {
		return nil, apperr.New(apperr.LimitExceeded, "events", "at most %d events per call", MaxEvents)
	}
	res := &Result{}
	fail := func(i int, code, format string, args ...any) {
		res.Errors = append(res.Errors, Error{Index: i, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	phones := make([]string, len(in))
	var ids []uuid.UUID
	var exts, phoneList []string
	valid := make([]bool, len(in))
	for i, e := range in {
		if !namePattern.MatchString(e.Name) {
			fail(i, "INVALID_VALUE", "name must start with a letter and hold only letters, digits and _ . : - (at most 100)")
			continue
		}
		if e.OccurredAt != nil && (e.OccurredAt.After(now.Add(maxFutureSkew)) || e.OccurredAt.Before(earliest)) {
			fail(i, "INVALID_VALUE", "occurredAt must be between 2000-01-01 and now")
			continue
		}
		if msg := checkProperties(e.Properties); msg != "" {
			fail(i, "INVALID_VALUE", "properties %s", msg)
			continue
		}
		switch {
		case e.LeadID != nil:
			ids = append(ids, *e.LeadID)
		case strings.TrimSpace(e.ExternalID) != "":
			exts = append(exts, strings.TrimSpace(e.ExternalID))
		case strings.TrimSpace(e.Phone) != "":
			p, err := clean.Phone(e.Phone, region)
			if err != nil {
				fail(i, "INVALID_VALUE", "phone: %v", err)
				continue
			}
			phones[i] = p
			phoneList = append(phoneList, p)
		default:
			fail(i, "NO_LEAD", "give leadID, externalID or phone")
			continue
		}
		valid[i] = true
	}
	byID, byExt, byPhone, err := resolve(ctx, c, ids, exts, phoneList)
	if err != nil {
		return nil, err
	}
	var rows []row
	seen := map[uuid.UUID]bool{}
	for i, e := range in {
		if !valid[i] {
			continue
		}
		var leadID uuid.UUID
		var ok bool
		switch {
		case e.LeadID != nil:
			leadID, ok = *e.LeadID, byID[*e.LeadID]
		case strings.TrimSpace(e.ExternalID) != "":
			leadID, ok = byExt[strings.TrimSpace(e.ExternalID)]
		default:
			leadID, ok = byPhone[phones[i]]
		}
		if !ok {
			fail(i, "LEAD_NOT_FOUND", "no lead matches this event")
			continue
		}
		at := now
		if e.OccurredAt != nil {
			at = e.OccurredAt.UTC()
		}
		props := e.Properties
		if props == nil {
			props = map[string]any{}
		}
		rows = append(rows, row{ID: gid.New(gid.Event), LeadID: leadID, Name: e.Name, Properties: props, OccurredAt: at})
		if !seen[leadID] {
			seen[leadID] = true
			res.Leads = append(res.Leads, leadID)
		}
		if res.Named == nil {
			res.Named = map[string][]uuid.UUID{}
		}
		if !slices.Contains(res.Named[e.Name], leadID) {
			res.Named[e.Name] = append(res.Named[e.Name], leadID)
		}
	}
	res.Accepted, res.Rejected = len(rows), len(res.Errors)
	if len(rows) == 0 {
		return res, nil
	}
	raw, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO events (tenant_id, id, lead_id, name, properties, occurred_at, received_at, source)
		SELECT $1, r.id, r.lead_id, r.name, r.properties, r.occurred_at, $2, $3
		FROM json_to_recordset($4::json) AS r(id uuid, lead_id uuid, name text, properties jsonb, occurred_at timestamptz)`,
		tid, now, source, string(raw)); err != nil {
		return nil, fmt.Errorf("write events: %w", err)
	}
	return res, nil
}

// checkProperties returns why props cannot be stored, or "".
func checkProperties(props map[string]any) string {
	if len(props) > maxProperties {
		return fmt.Sprintf("may have at most %d keys", maxProperties)
	}
	raw, err := json.Marshal(props)
	if err != nil {
		return "must be a JSON object"
	}
	if len(raw) > maxPropertyBytes {
		return fmt.Sprintf("must be at most %d bytes of JSON", maxPropertyBytes)
	}
	if strings.Contains(string(raw), `\u0000`) {
		return "must not contain NUL characters"
	}
	return ""
}

// resolve finds the leads the caller can see by id, and the active ones by
// external id and phone, in three set-based queries.
func resolve(ctx context.Context, c *ent.Client, ids []uuid.UUID, exts, phones []string) (map[uuid.UUID]bool, map[string]uuid.UUID, map[string]uuid.UUID, error) {
	byID, byExt, byPhone := map[uuid.UUID]bool{}, map[string]uuid.UUID{}, map[string]uuid.UUID{}
	if len(ids) > 0 {
		found, err := c.Lead.Query().Where(lead.IDIn(ids...)).IDs(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, id := range found {
			byID[id] = true
		}
	}
	if len(exts) > 0 {
		ls, err := c.Lead.Query().Where(lead.StatusEQ(lead.StatusACTIVE), lead.ExternalIDIn(exts...)).
			Select(lead.FieldID, lead.FieldExternalID).All(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, l := range ls {
			byExt[*l.ExternalID] = l.ID
		}
	}
	if len(phones) > 0 {
		ls, err := c.Lead.Query().Where(lead.StatusEQ(lead.StatusACTIVE), lead.PhoneIn(phones...)).
			Select(lead.FieldID, lead.FieldPhone).All(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, l := range ls {
			byPhone[*l.Phone] = l.ID
		}
	}
	return byID, byExt, byPhone, nil
}

// MoveToLead re-points the events of leads from to lead to (a merge).
func MoveToLead(ctx context.Context, c *ent.Client, from []uuid.UUID, to uuid.UUID) (int64, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return 0, err
	}
	r, err := c.ExecContext(ctx, `UPDATE events SET lead_id = $3 WHERE tenant_id = $1 AND lead_id = ANY($2::uuid[])`,
		tid, txn.UUIDArray(from), to)
	if err != nil {
		return 0, fmt.Errorf("move events: %w", err)
	}
	return r.RowsAffected()
}

// Recorder is the one way an event reaches the events table with its
// consequences: Record writes system events (lead.merged, wecom.*,
// broadcast.replied, lead.duplicate_dismissed…), Recorded announces events
// a caller wrote in its own statement (Track's batch, ingest's
// lead.duplicate rows); both tell the Watcher in the transaction that
// writes them, so every event a journey may be triggered by reaches it the
// same way. A nil *Recorder records and tells nobody (tests, tools).
type Recorder struct {
	// Watcher learns which leads got which event (journeys triggered by an
	// event); nil: nobody.
	Watcher Watcher
}

// Record writes one event per lead of leadIDs with the same name and
// properties, at now, in c's transaction, and tells the Watcher there.
func (r *Recorder) Record(ctx context.Context, c *ent.Client, leadIDs []uuid.UUID, name, source string, props map[string]any, now time.Time) error {
	if len(leadIDs) == 0 {
		return nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(props)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(leadIDs))
	for i := range ids {
		ids[i] = gid.New(gid.Event)
	}
	_, err = c.ExecContext(ctx, `INSERT INTO events (tenant_id, id, lead_id, name, properties, occurred_at, received_at, source)
		SELECT $1, e.id, e.lead_id, $4, $5::jsonb, $6, $6, $7 FROM unnest($2::uuid[], $3::uuid[]) AS e(id, lead_id)`,
		tid, txn.UUIDArray(ids), txn.UUIDArray(leadIDs), name, string(raw), now, source)
	if err != nil {
		return fmt.Errorf("record %s: %w", name, err)
	}
	return r.Recorded(ctx, c, map[string][]uuid.UUID{name: leadIDs})
}

// Recorded tells the Watcher, in c's transaction, of events (name → leads)
// the caller has written itself, one name at a time in name order.
func (r *Recorder) Recorded(ctx context.Context, c *ent.Client, named map[string][]uuid.UUID) error {
	if r == nil || r.Watcher == nil {
		return nil
	}
	ctx = ent.NewContext(ctx, c)
	for _, name := range slices.Sorted(maps.Keys(named)) {
		if len(named[name]) == 0 {
			continue
		}
		if err := r.Watcher.EventTracked(ctx, name, named[name]); err != nil {
			return err
		}
	}
	return nil
}

// Queue takes the re-scoring of leads whose events changed (jobs.Queue), in
// the transaction ctx carries.
type Queue interface {
	LeadsChanged(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) error
}

// Service records events for the API (GraphQL and REST alike): it reads the
// workspace's phone region and queues a re-score of the leads that got events.
type Service struct {
	Client *ent.Client
	Queue  Queue // nil: nothing queued
	Now    func() time.Time
	// Events tells, in the tracking transaction, which leads got which
	// events (the Recorder every event goes through); nil: nobody.
	Events *Recorder
}

// Watcher is told about recorded events (internal/journey), through a
// Recorder.
type Watcher interface {
	EventTracked(ctx context.Context, name string, leads []uuid.UUID) error
}

// Track records in as Track does, in the caller's workspace. The events and
// the re-score they ask for (an outbox row) commit together: in the
// caller's transaction (a GraphQL mutation's), else in one of their own.
//
// With an idempotency key (keyField names it in errors) the answer is
// stored with the events; a call with the same key and the same events gets
// that answer and writes nothing, one with other events is a CONFLICT.
func (s *Service) Track(ctx context.Context, in []Input, source, key, keyField string) (*Result, error) {
	c := txn.Client(ctx, s.Client)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	req, err := keyRequest(in, source, key, keyField)
	if err != nil {
		return nil, err
	}
	settings, err := workspace.SettingsOf(ctx, c, tid)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var res *Result
	err = txn.Retry(ctx, c, 1, txn.LostRace, func(ctx context.Context, c *ent.Client) error {
		var err error
		if key != "" {
			if res, err = claimKey(ctx, c, tid, req, now); err != nil || res != nil {
				return err
			}
		}
		if res, err = Track(ctx, c, settings.DefaultRegion, source, now, in); err != nil {
			return err
		}
		if key != "" {
			if err := idempotency.Store(ctx, c, tid, req, res); err != nil {
				return err
			}
		}
		if !res.Replayed {
			if err := s.Events.Recorded(ctx, c, res.Named); err != nil {
				return err
			}
		}
		if s.Queue == nil || len(res.Leads) == 0 {
			return nil
		}
		return s.Queue.LeadsChanged(ctx, tid, res.Leads)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
