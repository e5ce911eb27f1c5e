package wecom

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/delivery"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/ent/wecomgroupmsg"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// The per-member view of a staff mass send (MassSendStatus): for each
// sending member, their templates by state, their customers' deliveries by
// outcome, their reminders and when the automatic one runs. A viewer sees
// the members who own leads the viewer reads (every member with the all
// scope, and for API keys and system work).

// MemberSend is one sending member's part of a staff mass send.
type MemberSend struct {
	UserID uuid.UUID
	// Name is the user's name; Sender their WeCom member id.
	Name, Sender string
	// Templates by state: Planned (not yet made in WeCom), Waiting (made,
	// the member has not sent it), Done (sent, every customer's result
	// known), Expired (not sent within ConfirmWithin), Failed, Cancelled.
	Templates, Planned, Waiting, Done, Expired, Failed, Cancelled int
	// Customers of the templates, and their deliveries: Sent, FailedDeliveries
	// (refused by WeCom or never sent), Pending (result not known yet).
	Customers, Sent, FailedDeliveries, Pending int
	// Reminders counts the member's reminders (of all their templates);
	// LastRemindedAt is the latest.
	Reminders      int
	LastRemindedAt *time.Time
	// AtLimit says every waiting template had WeCom's three reminders in the
	// last 24 hours; NextReminderAt is then when one is possible again.
	AtLimit        bool
	NextReminderAt *time.Time
	// AutoRemindAt is when the channel's automatic reminder runs for a
	// waiting template never reminded (nil: off, or none such).
	AutoRemindAt *time.Time
}

// MassSend is a broadcast's staff mass send as its viewer may see it.
type MassSend struct {
	// Staff says the workspace's wecom channel makes mass sends (corpId
	// and contactSecret): otherwise its broadcasts are application messages
	// and there are no members to show.
	Staff bool
	// Remindable says the broadcast is under way (SENDING or PAUSED).
	Remindable bool
	// AutoRemindAfterMinutes is the channel's massSendRemindAfterMinutes (0: off).
	AutoRemindAfterMinutes int
	// Members, by name.
	Members []MemberSend
}

// MassSendStatus is broadcast id's staff mass send per member, for the
// viewer in ctx. A broadcast on another channel is BAD_USER_INPUT at
// broadcastID; an unknown one NOT_FOUND.
func (s *Service) MassSendStatus(ctx context.Context, id uuid.UUID) (*MassSend, error) {
	c := txn.Client(ctx, s.Client)
	b, err := c.Broadcast.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "broadcastID", "no such broadcast")
	}
	if err != nil {
		return nil, err
	}
	if b.Channel != ChannelName {
		return nil, apperr.Input("broadcastID", "the broadcast is on channel %q: only broadcasts on the wecom channel are mass sends", b.Channel)
	}
	out := &MassSend{Members: []MemberSend{}, Remindable: b.Status == broadcast.StatusSENDING || b.Status == broadcast.StatusPAUSED}
	cfg, err := s.syncConfig(ctx)
	if errors.Is(err, ErrSyncNotConfigured) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out.Staff, out.AutoRemindAfterMinutes = true, cfg.MassSendRemindAfterMinutes
	q := c.WeComGroupMsg.Query().Where(wecomgroupmsg.BroadcastID(b.ID))
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	if visible := visibleSenders(ctx, tid); visible != nil {
		q.Where(visible)
	}
	groups, err := q.Order(ent.Asc(wecomgroupmsg.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	// Deliveries by outcome, read for the templates shown only.
	var ids []uuid.UUID
	for _, g := range groups {
		ids = append(ids, g.DeliveryIds...)
	}
	outcome := map[uuid.UUID]delivery.Status{}
	for chunk := range slices.Chunk(ids, 5000) {
		ds, err := c.Delivery.Query().Where(delivery.IDIn(chunk...)).Select(delivery.FieldID, delivery.FieldStatus).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			outcome[d.ID] = d.Status
		}
	}
	now := s.Now()
	after := remindAfter(cfg.MassSendRemindAfterMinutes)
	byUser := map[uuid.UUID]*MemberSend{}
	var users []uuid.UUID
	earliest := func(p **time.Time, t time.Time) {
		if *p == nil || t.Before(**p) {
			*p = &t
		}
	}
	for _, g := range groups {
		m := byUser[g.SenderUserID]
		if m == nil {
			m = &MemberSend{UserID: g.SenderUserID, Sender: g.Sender, AtLimit: true}
			byUser[g.SenderUserID] = m
			users = append(users, g.SenderUserID)
		}
		m.Templates++
		switch g.Status {
		case wecomgroupmsg.StatusPLANNED:
			m.Planned++
		case wecomgroupmsg.StatusCREATED:
			m.Waiting++
		case wecomgroupmsg.StatusDONE:
			m.Done++
		case wecomgroupmsg.StatusEXPIRED:
			m.Expired++
		case wecomgroupmsg.StatusFAILED:
			m.Failed++
		case wecomgroupmsg.StatusCANCELLED:
			m.Cancelled++
		}
		m.Customers += len(g.ExternalUserIds)
		for _, d := range g.DeliveryIds {
			switch outcome[d] {
			case delivery.StatusSENT, delivery.StatusDELIVERED, delivery.StatusREPLIED:
				m.Sent++
			case delivery.StatusFAILED, delivery.StatusUNREACHABLE:
				m.FailedDeliveries++
			default:
				m.Pending++
			}
		}
		m.Reminders += len(g.RemindedAt)
		for _, at := range g.RemindedAt {
			if m.LastRemindedAt == nil || at.After(*m.LastRemindedAt) {
				at := at
				m.LastRemindedAt = &at
			}
		}
		if g.Status != wecomgroupmsg.StatusCREATED {
			continue
		}
		if n, first := recentReminders(g.RemindedAt, now); n >= MaxReminders {
			earliest(&m.NextReminderAt, first.Add(ReminderWindow))
		} else {
			m.AtLimit = false
		}
		if after > 0 && len(g.RemindedAt) == 0 && g.CreatedInWecomAt != nil {
			earliest(&m.AutoRemindAt, g.CreatedInWecomAt.Add(after))
		}
	}
	names := map[uuid.UUID]string{}
	if len(users) > 0 {
		us, err := c.User.Query().Where(user.IDIn(users...)).Select(user.FieldID, user.FieldName).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			names[u.ID] = u.Name
		}
	}
	for _, id := range users {
		m := byUser[id]
		m.Name = names[id]
		if m.Waiting == 0 {
			m.AtLimit, m.NextReminderAt = false, nil
		} else if !m.AtLimit {
			m.NextReminderAt = nil
		}
		out.Members = append(out.Members, *m)
	}
	sort.SliceStable(out.Members, func(i, j int) bool { return out.Members[i].Name < out.Members[j].Name })
	return out, nil
}

// visibleSenders narrows a query of templates to the members whose leads
// the viewer in ctx reads: the owners of the leads the one lead row filter
// (scope.Filter) shows them, so own, team, territory and partner scopes mean
// here what they mean for leads. None for the all scope and system work.
func visibleSenders(ctx context.Context, tid uuid.UUID) func(*sql.Selector) {
	p := scope.Filter(ctx)
	if p == nil || slices.Contains(auth.FromContext(ctx).LeadScopes, policy.ScopeAll) {
		return nil
	}
	return func(s *sql.Selector) {
		t := sql.Table(lead.Table)
		owners := sql.Select(t.C(lead.FieldOwnerID)).From(t).
			Where(sql.And(sql.EQ(t.C(lead.FieldTenantID), tid), sql.NotNull(t.C(lead.FieldOwnerID))))
		p(owners)
		s.Where(sql.In(s.C(wecomgroupmsg.FieldSenderUserID), owners))
	}
}
