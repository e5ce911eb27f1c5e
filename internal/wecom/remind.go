package wecom

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/wecomgroupmsg"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// Reminders (提醒成员发送). A mass-send template waits until its member
// sends it from the WeCom app; remind_groupmsg_send makes WeCom notify the
// member again. WeCom allows at most three reminders of one template
// (msgid) in 24 hours (https://developer.work.weixin.qq.com/document/path/97610).
// Each reminder is recorded in wecom_group_msgs.reminded_at by a
// conditional update before WeCom is called, so two admins reminding at once
// never exceed the limit; a reminder WeCom refuses is taken back.
//
// Admins remind a broadcast's unsent templates with RemindMassSend; with
// the channel's massSendRemindAfterMinutes set, each template's member is
// also reminded once that long after the template was made (a wecom:remind
// task written to the outbox in the transaction that records the template),
// unless the member has sent it or was reminded already.

// Reminder limits of WeCom.
const (
	MaxReminders   = 3
	ReminderWindow = 24 * time.Hour
)

// Reminded is what RemindMassSend did with a broadcast's open templates.
type Reminded struct {
	// Reminded counts the templates whose members were reminded; Sent
	// those their member had sent already; AtLimit those reminded
	// MaxReminders times in the last ReminderWindow; Refused those WeCom
	// refused to remind (with its errcode in Errors).
	Reminded, Sent, AtLimit, Refused int
	Errors                           []string
}

// RemindMassSend reminds the members who have not sent their templates of
// broadcast id, a staff mass send that is under way. A broadcast on another
// channel, or of a workspace whose wecom channel does not make mass sends,
// is BAD_USER_INPUT at broadcastID; one not sending (scheduled, finished,
// cancelled) is a CONFLICT; when every unsent template is at WeCom's limit
// it is LIMIT_EXCEEDED. Nothing is written then.
func (s *Service) RemindMassSend(ctx context.Context, id uuid.UUID) (*Reminded, error) {
	b, err := s.Client.Broadcast.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "broadcastID", "no such broadcast")
	}
	if err != nil {
		return nil, err
	}
	if b.Channel != ChannelName {
		return nil, apperr.Input("broadcastID", "the broadcast is on channel %q: only mass sends on the wecom channel can be reminded", b.Channel)
	}
	cfg, err := s.syncConfig(ctx)
	if errors.Is(err, ErrSyncNotConfigured) {
		return nil, apperr.Input("broadcastID", "the wecom channel has no corpId and contactSecret: its broadcasts are application messages, not mass sends")
	}
	if err != nil {
		return nil, err
	}
	switch b.Status {
	case broadcast.StatusSENDING, broadcast.StatusPAUSED:
	case broadcast.StatusSCHEDULED, broadcast.StatusPLANNING:
		return nil, apperr.New(apperr.Conflict, "broadcastID", "the broadcast has not started: no member has a mass message to send yet")
	default:
		return nil, apperr.New(apperr.Conflict, "broadcastID", "the broadcast is %s: there is nothing left to remind", b.Status)
	}
	groups, err := s.Client.WeComGroupMsg.Query().
		Where(wecomgroupmsg.BroadcastID(b.ID), wecomgroupmsg.StatusEQ(wecomgroupmsg.StatusCREATED)).
		Order(ent.Asc(wecomgroupmsg.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	api := s.tokens.contacts(cfg)
	res := &Reminded{}
	var next time.Time
	for _, g := range groups {
		if n, first := recentReminders(g.RemindedAt, s.Now().Truncate(time.Microsecond)); n >= MaxReminders {
			res.AtLimit++
			if at := first.Add(ReminderWindow); next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		out, err := s.remind(ctx, api, g, false)
		if err != nil {
			return res, err
		}
		switch out.outcome {
		case remindSent:
			res.Reminded++
		case remindAlreadySent:
			res.Sent++
		case remindAtLimit:
			res.AtLimit++
		case remindRefused:
			res.Refused++
			res.Errors = append(res.Errors, out.why)
		}
	}
	if res.Reminded == 0 && res.AtLimit > 0 && res.Refused == 0 {
		return nil, apperr.New(apperr.LimitExceeded, "broadcastID",
			"WeCom allows %d reminders of a mass message in %s and every unsent one had them; the next is possible after %s",
			MaxReminders, "24 hours", next.UTC().Format(time.RFC3339))
	}
	return res, nil
}

// AutoRemind is the automatic reminder of template id (the wecom:remind
// task): its member is reminded once, unless the template is no longer
// open, its broadcast no longer sending, the member sent it or was
// reminded already. It reports whether WeCom was asked.
func (s *Service) AutoRemind(ctx context.Context, id uuid.UUID) (bool, error) {
	cfg, err := s.syncConfig(ctx)
	if errors.Is(err, ErrSyncNotConfigured) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	g, err := s.Client.WeComGroupMsg.Get(ctx, id)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if g.Status != wecomgroupmsg.StatusCREATED || len(g.RemindedAt) > 0 {
		return false, nil
	}
	b, err := s.Client.Broadcast.Get(ctx, g.BroadcastID)
	if err != nil {
		return false, err
	}
	if b.Status != broadcast.StatusSENDING && b.Status != broadcast.StatusPAUSED {
		return false, nil
	}
	out, err := s.remind(ctx, s.tokens.contacts(cfg), g, true)
	return out.outcome == remindSent || out.outcome == remindRefused, err
}

type remindOutcome int

const (
	remindSent remindOutcome = iota
	remindAlreadySent
	remindAtLimit
	remindRefused
)

type remindResult struct {
	outcome remindOutcome
	why     string
}

// remind reminds g's member unless they sent it: the reminder is recorded
// (conditionally: below WeCom's limit, and for auto only if g was never
// reminded) and committed before remind_groupmsg_send, and taken back if
// WeCom refuses it.
func (s *Service) remind(ctx context.Context, api *contacts, g *ent.WeComGroupMsg, auto bool) (remindResult, error) {
	tasks, err := api.tasks(*g.Msgid)
	if err != nil {
		return remindResult{}, err
	}
	if slices.ContainsFunc(tasks, func(t *externalcontact.Task) bool { return t.UserID == g.Sender && t.Status == 2 }) {
		return remindResult{outcome: remindAlreadySent}, nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return remindResult{}, err
	}
	// PostgreSQL keeps microseconds (rounding): the reminder is recorded as
	// the time it is compared with.
	now := s.Now().Truncate(time.Microsecond)
	res, err := s.Client.ExecContext(ctx, `UPDATE wecom_group_msgs
		SET reminded_at = COALESCE(reminded_at, '[]'::jsonb) || jsonb_build_array($3::timestamptz), updated_at = $3
		WHERE tenant_id = $1 AND id = $2 AND status = 'CREATED'
			AND (NOT $6::bool OR COALESCE(jsonb_array_length(reminded_at), 0) = 0)
			AND (SELECT count(*) FROM jsonb_array_elements_text(COALESCE(reminded_at, '[]'::jsonb)) r
				WHERE r::timestamptz > $4) < $5`,
		tid, g.ID, now, now.Add(-ReminderWindow), MaxReminders, auto)
	if err != nil {
		return remindResult{}, fmt.Errorf("wecom: record reminder: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return remindResult{outcome: remindAtLimit}, err
	}
	err = api.retrying(func() error {
		return api.client.RemindGroupMsgSend(&externalcontact.RemindGroupMsgSendRequest{MsgID: *g.Msgid})
	})
	var ce *util.CommonError
	if errors.As(err, &ce) {
		// Refused: the reminder did not happen, so it does not count.
		if _, err := s.Client.ExecContext(ctx, `UPDATE wecom_group_msgs SET reminded_at = (
				SELECT COALESCE(jsonb_agg(e), '[]'::jsonb) FROM jsonb_array_elements(reminded_at) e
				WHERE (e #>> '{}')::timestamptz IS DISTINCT FROM $3::timestamptz)
			WHERE tenant_id = $1 AND id = $2`, tid, g.ID, now); err != nil {
			return remindResult{}, err
		}
		return remindResult{outcome: remindRefused,
			why: fmt.Sprintf("%s: WeCom refused the reminder: errcode %d %s", g.Sender, ce.ErrCode, ce.ErrMsg)}, nil
	}
	if err != nil {
		// The answer is unknown: the reminder stays counted, as WeCom may
		// have sent it.
		return remindResult{}, fmt.Errorf("wecom: remind_groupmsg_send: %w", err)
	}
	return remindResult{outcome: remindSent}, nil
}

// recentReminders counts the reminders within ReminderWindow before now and
// returns the earliest of them.
func recentReminders(at []time.Time, now time.Time) (int, time.Time) {
	n, first := 0, time.Time{}
	for _, t := range at {
		if t.After(now.Add(-ReminderWindow)) {
			n++
			if first.IsZero() || t.Before(first) {
				first = t
			}
		}
	}
	return n, first
}
