// Package timeline reads one lead's history as a single list, newest first:
// follow-ups, stage and owner changes, deals, tracked events, broadcast
// messages and WeCom events. A page is one UNION ALL statement with keyset
// pagination on (at, id), then one statement per kind of record on the page
// (and one for the actors), however many items it holds.
package timeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/deal"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/ownerchange"
	"github.com/scrmhq/scrm/ent/stagechange"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// Kind is what an item records.
type Kind string

// Kinds of items.
const (
	FollowUp    Kind = "FOLLOW_UP"    // a follow-up (跟进记录)
	StageChange Kind = "STAGE_CHANGE" // the lead moved stage
	OwnerChange Kind = "OWNER_CHANGE" // claimed, released, assigned or recycled
	Deal        Kind = "DEAL"         // a closed sale
	Event       Kind = "EVENT"        // a tracked behaviour event
	Message     Kind = "MESSAGE"      // a broadcast message sent to the lead
	WeCom       Kind = "WECOM"        // a WeCom event (wecom.added, wecom.lost, ...)
)

// Kinds lists every kind, in the order clients show their filters.
var Kinds = []Kind{FollowUp, StageChange, OwnerChange, Deal, Event, Message, WeCom}

// weComPrefix starts the names of the events internal/wecom records; they
// are WECOM items, every other event an EVENT item.
const weComPrefix = "wecom."

// Page sizes: 20 when the caller asks for none, never more than 100.
const (
	DefaultSize = 20
	MaxSize     = 100
)

// Query asks for one page of a lead's timeline.
type Query struct {
	Lead uuid.UUID
	// First is the page size (DefaultSize when 0).
	First int
	// After is the cursor of the last item of the previous page ("" for the first page).
	After string
	// Kinds keeps only these kinds (all when empty). Kinds the caller may not
	// read must be left out by the caller: they are never listed.
	Kinds []Kind
	// MaskContact masks phone numbers and email addresses in event properties
	// and message replies (a viewer without the lead.contact grant).
	MaskContact bool
}

// Item is one entry of the timeline. Exactly one of the payload fields is
// set: FollowUp, StageChange, OwnerChange, Deal, Event (EVENT and WECOM) or
// Message.
type Item struct {
	ID      uuid.UUID // the id of the record the item is
	At      time.Time
	Kind    Kind
	Actor   *ent.User
	Summary string
	Cursor  string

	FollowUp    *ent.FollowUp
	StageChange *ent.StageChange
	OwnerChange *ent.OwnerChange
	Deal        *ent.Deal
	Event       *EventDetail
	Message     *MessageDetail
}

// EventDetail is a tracked or WeCom event.
type EventDetail struct {
	Name       string
	Source     string
	Properties map[string]any
}

// MessageDetail is one broadcast's message to the lead (a delivery row).
type MessageDetail struct {
	Broadcast   *ent.Broadcast
	Channel     string
	Status      string
	DeliveredAt *time.Time
	RepliedAt   *time.Time
	Reply       *string
}

// Page is a page of items and whether more follow.
type Page struct {
	Items       []*Item
	HasNextPage bool
}

// ErrBadCursor is an after that no page of this API produced.
var ErrBadCursor = errors.New("timeline: bad cursor")

// List returns a page of the timeline of q.Lead, newest first. The lead
// must be one the caller sees (NOT_FOUND otherwise, as for a lead that does
// not exist): c's row filter decides.
func List(ctx context.Context, c *ent.Client, q Query) (*Page, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	size := q.First
	if size <= 0 {
		size = DefaultSize
	}
	size = min(size, MaxSize)
	var after *position
	if q.After != "" {
		p, err := decodeCursor(q.After)
		if err != nil {
			return nil, apperr.Wrap(err, apperr.BadInput, "after", "after is not a cursor of this timeline")
		}
		after = &p
	}
	visible, err := c.Lead.Query().Where(lead.ID(q.Lead)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if !visible {
		return nil, apperr.New(apperr.NotFound, "id", "lead not found")
	}
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	query, args := build(tid, q.Lead, kinds, after, size+1)
	if query == "" {
		return &Page{}, nil
	}
	rows, err := scanRows(ctx, c, query, args)
	if err != nil {
		return nil, err
	}
	page := &Page{HasNextPage: len(rows) > size}
	rows = rows[:min(len(rows), size)]
	if err := load(ctx, c, rows, q.MaskContact); err != nil {
		return nil, err
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.item)
	}
	return page, nil
}

// position is where a page ends: the (at, id) of its last item.
type position struct {
	At time.Time
	ID uuid.UUID
}

// The cursor is opaque to clients: base64 would do as well, but a plain
// "unix-micro:id" is as opaque behind the API's Cursor scalar and easy to log.
func encodeCursor(p position) string {
	return strconv.FormatInt(p.At.UnixMicro(), 36) + ":" + p.ID.String()
}

func decodeCursor(s string) (position, error) {
	at, id, ok := strings.Cut(s, ":")
	if !ok {
		return position{}, ErrBadCursor
	}
	us, err := strconv.ParseInt(at, 36, 64)
	if err != nil {
		return position{}, fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return position{}, fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	return position{At: time.UnixMicro(us).UTC(), ID: u}, nil
}

// row is one line of the UNION ALL statement.
type row struct {
	item        *Item
	actorID     *uuid.UUID
	props       []byte
	broadcastID *uuid.UUID
}

// branch is one source of items: its SELECT list after (at, id, kind,
// actor_id, summary) and its FROM ... WHERE, which binds $1 (tenant) and
// $2 (lead). "x" is the row's alias, whose "at" and "id" columns the keyset
// condition reads.
type branch struct {
	kinds  []Kind
	at, id string
	sql    string
}

// columns: at, id, kind, actor_id, summary, name, source, properties,
// broadcast_id, channel, status, delivered_at, replied_at, reply.
var branches = []branch{
	{kinds: []Kind{FollowUp}, at: "x.created_at", id: "x.id", sql: `SELECT x.created_at, x.id, 'FOLLOW_UP', x.author_id,
		x.kind || COALESCE(' · ' || x.outcome, '') || CASE WHEN x.content <> '' THEN ': ' || left(x.content, 80) ELSE '' END,
		NULL::text, NULL::text, NULL::jsonb, NULL::uuid, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text
		FROM follow_ups x WHERE x.tenant_id = $1 AND x.lead_id = $2`},
	{kinds: []Kind{StageChange}, at: "x.at", id: "x.id", sql: `SELECT x.at, x.id, 'STAGE_CHANGE', x.actor_id,
		COALESCE(f.name, '—') || ' → ' || COALESCE(t.name, '—') || CASE WHEN x.reason <> '' THEN ': ' || left(x.reason, 80) ELSE '' END,
		NULL::text, NULL::text, NULL::jsonb, NULL::uuid, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text
		FROM stage_changes x
		LEFT JOIN stages f ON f.tenant_id = x.tenant_id AND f.id = x.from_id
		LEFT JOIN stages t ON t.tenant_id = x.tenant_id AND t.id = x.to_id
		WHERE x.tenant_id = $1 AND x.lead_id = $2`},
	{kinds: []Kind{OwnerChange}, at: "x.at", id: "x.id", sql: `SELECT x.at, x.id, 'OWNER_CHANGE', x.actor_id,
		x.kind || ': ' || COALESCE(f.name, 'pool') || ' → ' || COALESCE(t.name, 'pool'),
		NULL::text, NULL::text, NULL::jsonb, NULL::uuid, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text
		FROM owner_changes x
		LEFT JOIN users f ON f.tenant_id = x.tenant_id AND f.id = x.from_user_id
		LEFT JOIN users t ON t.tenant_id = x.tenant_id AND t.id = x.to_user_id
		WHERE x.tenant_id = $1 AND x.lead_id = $2`},
	{kinds: []Kind{Deal}, at: "x.closed_at", id: "x.id", sql: `SELECT x.closed_at, x.id, 'DEAL', x.created_by_id,
		x.amount::text || ' ' || x.currency || CASE WHEN x.repurchase THEN ' (repurchase)' ELSE '' END,
		NULL::text, NULL::text, NULL::jsonb, NULL::uuid, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text
		FROM deals x WHERE x.tenant_id = $1 AND x.lead_id = $2`},
	// Events: EVENT and WECOM items; the WeCom member of a WeCom event
	// (properties.userID) is its actor.
	{kinds: []Kind{Event, WeCom}, at: "x.occurred_at", id: "x.id", sql: `SELECT x.occurred_at, x.id,
		CASE WHEN x.name LIKE 'wecom.%' THEN 'WECOM' ELSE 'EVENT' END,
		(SELECT u.id FROM users u WHERE u.tenant_id = x.tenant_id AND x.name LIKE 'wecom.%'
			AND u.wecom_user_id = x.properties->>'userID' ORDER BY u.id LIMIT 1),
		x.name, x.name, x.source, x.properties, NULL::uuid, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text
		FROM events x WHERE x.tenant_id = $1 AND x.lead_id = $2`},
	// Messages: deliveries that were sent (planned and suppressed rows are
	// not messages the lead got), dated when sent; their broadcast's creator
	// is the actor.
	{kinds: []Kind{Message}, at: "x.sent_at", id: "x.id", sql: `SELECT x.sent_at, x.id, 'MESSAGE', b.created_by_id,
		b.name || ' · ' || b.channel || ' · ' || x.status,
		NULL::text, NULL::text, NULL::jsonb, x.broadcast_id, b.channel, x.status, x.delivered_at, x.replied_at, x.reply
		FROM deliveries x JOIN broadcasts b ON b.tenant_id = x.tenant_id AND b.id = x.broadcast_id
		WHERE x.tenant_id = $1 AND x.lead_id = $2 AND x.sent_at IS NOT NULL`},
}

// build writes the page's statement: one parenthesised, ordered and limited
// SELECT per wanted source (so each reads only its first rows off its
// (tenant, lead, time) index), their UNION ALL, ordered and limited again.
// "" when no source is wanted.
func build(tid, leadID uuid.UUID, kinds []Kind, after *position, limit int) (string, []any) {
	args := []any{tid, leadID, limit}
	keyset := ""
	if after != nil {
		args = append(args, after.At, after.ID)
	}
	var parts []string
	for _, b := range branches {
		var want []Kind
		for _, k := range b.kinds {
			if slices.Contains(kinds, k) {
				want = append(want, k)
			}
		}
		if len(want) == 0 {
			continue
		}
		where := ""
		if slices.Contains(b.kinds, WeCom) && len(want) == 1 {
			if want[0] == WeCom {
				where = " AND x.name LIKE '" + weComPrefix + "%'"
			} else {
				where = " AND x.name NOT LIKE '" + weComPrefix + "%'"
			}
		}
		if after != nil {
			keyset = " AND (" + b.at + ", " + b.id + ") < ($4, $5)"
		}
		parts = append(parts, "("+b.sql+where+keyset+" ORDER BY "+b.at+" DESC, "+b.id+" DESC LIMIT $3)")
	}
	if len(parts) == 0 {
		return "", nil
	}
	return "SELECT * FROM (" + strings.Join(parts, "\nUNION ALL\n") + ") AS t(at, id, kind, actor_id, summary, name, source, properties, broadcast_id, channel, status, delivered_at, replied_at, reply)" +
		" ORDER BY at DESC, id DESC LIMIT $3", args
}

func scanRows(ctx context.Context, c *ent.Client, query string, args []any) ([]*row, error) {
	rs, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	defer rs.Close()
	var out []*row
	for rs.Next() {
		var (
			it                            Item
			kind                          string
			actor, bid                    uuid.NullUUID
			name, source, channel, status *string
			props                         []byte
			deliveredAt, repliedAt        *time.Time
			reply                         *string
		)
		if err := rs.Scan(&it.At, &it.ID, &kind, &actor, &it.Summary, &name, &source, &props,
			&bid, &channel, &status, &deliveredAt, &repliedAt, &reply); err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		it.Kind = Kind(kind)
		it.At = it.At.UTC()
		it.Cursor = encodeCursor(position{it.At, it.ID})
		r := &row{item: &it, props: props}
		if actor.Valid {
			r.actorID = &actor.UUID
		}
		switch it.Kind {
		case Event, WeCom:
			it.Event = &EventDetail{Name: deref(name), Source: deref(source)}
		case Message:
			r.broadcastID = &bid.UUID
			it.Message = &MessageDetail{Channel: deref(channel), Status: deref(status),
				DeliveredAt: utc(deliveredAt), RepliedAt: utc(repliedAt), Reply: reply}
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// load fills the actors and payloads of rows: one statement per kind of
// record present and one for the users, whatever the number of rows.
func load(ctx context.Context, c *ent.Client, rows []*row, mask bool) error {
	ids := map[Kind][]uuid.UUID{}
	var actors, bcasts []uuid.UUID
	for _, r := range rows {
		ids[r.item.Kind] = append(ids[r.item.Kind], r.item.ID)
		if r.actorID != nil && !slices.Contains(actors, *r.actorID) {
			actors = append(actors, *r.actorID)
		}
		if r.broadcastID != nil && !slices.Contains(bcasts, *r.broadcastID) {
			bcasts = append(bcasts, *r.broadcastID)
		}
	}
	users, err := byID(ctx, actors, func() ([]*ent.User, error) { return c.User.Query().Where(user.IDIn(actors...)).All(ctx) },
		func(u *ent.User) uuid.UUID { return u.ID })
	if err != nil {
		return err
	}
	follows, err := byID(ctx, ids[FollowUp], func() ([]*ent.FollowUp, error) {
		return c.FollowUp.Query().Where(followup.IDIn(ids[FollowUp]...)).WithAuthor().All(ctx)
	}, func(f *ent.FollowUp) uuid.UUID { return f.ID })
	if err != nil {
		return err
	}
	stages, err := byID(ctx, ids[StageChange], func() ([]*ent.StageChange, error) {
		return c.StageChange.Query().Where(stagechange.IDIn(ids[StageChange]...)).WithFrom().WithTo().WithLostReason().All(ctx)
	}, func(s *ent.StageChange) uuid.UUID { return s.ID })
	if err != nil {
		return err
	}
	owners, err := byID(ctx, ids[OwnerChange], func() ([]*ent.OwnerChange, error) {
		return c.OwnerChange.Query().Where(ownerchange.IDIn(ids[OwnerChange]...)).
			WithFromUser().WithToUser().WithActor().WithPool().WithRule().All(ctx)
	}, func(o *ent.OwnerChange) uuid.UUID { return o.ID })
	if err != nil {
		return err
	}
	deals, err := byID(ctx, ids[Deal], func() ([]*ent.Deal, error) {
		return c.Deal.Query().Where(deal.IDIn(ids[Deal]...)).WithOwner().All(ctx)
	}, func(d *ent.Deal) uuid.UUID { return d.ID })
	if err != nil {
		return err
	}
	broadcasts, err := byID(ctx, bcasts, func() ([]*ent.Broadcast, error) {
		return c.Broadcast.Query().Where(broadcast.IDIn(bcasts...)).All(ctx)
	}, func(b *ent.Broadcast) uuid.UUID { return b.ID })
	if err != nil {
		return err
	}
	for _, r := range rows {
		it := r.item
		if r.actorID != nil {
			it.Actor = users[*r.actorID]
		}
		switch it.Kind {
		case FollowUp:
			it.FollowUp = follows[it.ID]
		case StageChange:
			it.StageChange = stages[it.ID]
		case OwnerChange:
			it.OwnerChange = owners[it.ID]
		case Deal:
			it.Deal = deals[it.ID]
		case Event, WeCom:
			props := map[string]any{}
			if len(r.props) > 0 {
				if err := json.Unmarshal(r.props, &props); err != nil {
					return fmt.Errorf("timeline: event %s properties: %w", it.ID, err)
				}
			}
			if mask {
				props = maskValue(props).(map[string]any)
			}
			it.Event.Properties = props
		case Message:
			it.Message.Broadcast = broadcasts[*r.broadcastID]
			if mask && it.Message.Reply != nil {
				s := maskText(*it.Message.Reply)
				it.Message.Reply = &s
			}
		}
	}
	return nil
}

// byID runs fetch when ids is not empty and indexes its answer.
func byID[T any](_ context.Context, ids []uuid.UUID, fetch func() ([]T, error), id func(T) uuid.UUID) (map[uuid.UUID]T, error) {
	out := map[uuid.UUID]T{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := fetch()
	if err != nil {
		return nil, err
	}
	for _, v := range list {
		out[id(v)] = v
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
