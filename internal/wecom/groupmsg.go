package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/wecomgroupmsg"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/txn"
)

// Staff mass send (客户群发). A broadcast on the wecom channel of a workspace
// whose channel has the customer-contact secret is not sent message by
// message: its deliveries become WeCom mass-send templates
// (add_msg_template), one per sending member and text, which each member
// sends from the WeCom app; their results are polled until known.
//
// A pass (SendGroup, run by the broadcast's send task and again by the
// resume pass every minute while the broadcast is SENDING) does three steps:
//
//  1. plan: under the broadcast's transaction lock, every PENDING delivery
//     is rendered and grouped by (sender, text), where the sender is the
//     lead owner's WeCom member and the customer is that member's external
//     contact (otherwise the delivery is UNREACHABLE); each group of at most
//     MaxTemplateCustomers becomes a PLANNED WeComGroupMsg and its
//     deliveries SENDING, in one transaction;
//  2. create: each PLANNED template is made with add_msg_template. Its
//     attempted_at is committed first: a template whose answer was lost
//     (a network cut, a killed worker) is looked up in get_groupmsg_list_v2
//     by text and time and confirmed by its sender (get_groupmsg_task)
//     before a second call is made, so the same customers never get two;
//  3. poll: each CREATED template is checked (at most every PollEvery):
//     once its member sent it, get_groupmsg_send_result marks each delivery
//     SENT, or FAILED with WeCom's reason; a template its member has not
//     sent after ConfirmWithin expires and its deliveries fail.

// Limits and pacing of mass sends.
const (
	MaxTemplateCustomers = 10000 // WeCom's limit of customers per template
	PollEvery            = time.Minute
	ConfirmWithin        = 72 * time.Hour
	lockGroupPlan        = 7404
)

// Handles reports whether broadcasts on the wecom channel are staff mass
// sends: the channel has the corp id and the customer-contact secret.
func (s *Service) Handles(ctx context.Context) (bool, error) {
	_, err := s.syncConfig(ctx)
	if errors.Is(err, ErrSyncNotConfigured) {
		return false, nil
	}
	return err == nil, err
}

// SendGroup runs one pass over broadcast b (see above) and reports whether
// templates are still waiting (planned, or not yet sent by their member).
func (s *Service) SendGroup(ctx context.Context, b *ent.Broadcast) (pending bool, err error) {
	cfg, err := s.syncConfig(ctx)
	if err != nil {
		return false, err
	}
	api := s.tokens.contacts(cfg)
	if err := s.planGroups(ctx, b); err != nil {
		return false, err
	}
	groups, err := s.Client.WeComGroupMsg.Query().
		Where(wecomgroupmsg.BroadcastID(b.ID), wecomgroupmsg.StatusIn(wecomgroupmsg.StatusPLANNED, wecomgroupmsg.StatusCREATED)).
		Order(ent.Asc(wecomgroupmsg.FieldID)).All(ctx)
	if err != nil {
		return false, err
	}
	for _, g := range groups {
		if g.Status == wecomgroupmsg.StatusPLANNED {
			if g, err = s.createGroup(ctx, api, g, b.Attachments, remindAfter(cfg.MassSendRemindAfterMinutes)); err != nil {
				return true, err
			}
		}
		if g.Status == wecomgroupmsg.StatusCREATED {
			if g, err = s.pollGroup(ctx, api, g, false); err != nil {
				return true, err
			}
		}
		if g.Status == wecomgroupmsg.StatusPLANNED || g.Status == wecomgroupmsg.StatusCREATED {
			pending = true
		}
	}
	return pending, nil
}

// groupRow is a PENDING delivery with its sender and customer.
type groupRow struct {
	delivery, lead uuid.UUID
	owner          uuid.NullUUID
	sender, ext    *string
}

const groupRowsSQL = `
SELECT d.id, d.lead_id, u.id, u.wecom_user_id, w.external_user_id
FROM deliveries d
JOIN leads l ON l.tenant_id = $1 AND l.id = d.lead_id
LEFT JOIN users u ON u.tenant_id = $1 AND u.id = l.owner_id AND u.active
LEFT JOIN LATERAL (
	SELECT external_user_id FROM wecom_contacts w
	WHERE w.tenant_id = $1 AND w.lead_id = l.id AND w.user_id = u.id AND w.lost_at IS NULL AND w.removed_at IS NULL
	ORDER BY w.added_at LIMIT 1) w ON true
WHERE d.tenant_id = $1 AND d.broadcast_id = $2 AND d.status = 'PENDING'
ORDER BY d.id`

// planGroups turns the broadcast's PENDING deliveries into PLANNED
// templates, in one transaction under the broadcast's lock.
func (s *Service) planGroups(ctx context.Context, b *ent.Broadcast) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	tpl, err := broadcast.ParseTemplate("template", b.Template, sch)
	if err != nil {
		return err
	}
	return txn.Retry(ctx, s.Client, 1, func(error) bool { return false }, func(ctx context.Context, c *ent.Client) error {
		if _, err := c.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))`, lockGroupPlan, b.ID.String()); err != nil {
			return err
		}
		rows, err := c.QueryContext(ctx, groupRowsSQL, tid, b.ID)
		if err != nil {
			return fmt.Errorf("wecom: mass send rows: %w", err)
		}
		var all []groupRow
		for rows.Next() {
			var r groupRow
			if err := rows.Scan(&r.delivery, &r.lead, &r.owner, &r.sender, &r.ext); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(all) == 0 {
			return err
		}
		type key struct {
			owner        uuid.UUID
			sender, text string
		}
		groups := map[key][]groupRow{}
		var order []key
		now := s.Now()
		for chunk := range slices.Chunk(all, 1000) {
			ids := make([]uuid.UUID, len(chunk))
			for i, r := range chunk {
				ids[i] = r.lead
			}
			ls, err := c.Lead.Query().Where(lead.IDIn(ids...)).All(ctx)
			if err != nil {
				return err
			}
			byID := make(map[uuid.UUID]*ent.Lead, len(ls))
			for _, l := range ls {
				byID[l.ID] = l
			}
			for _, r := range chunk {
				why := ""
				switch {
				case !r.owner.Valid || r.sender == nil || *r.sender == "":
					why = "the lead's owner is not linked to a WeCom member"
				case r.ext == nil:
					why = "the customer is not the owner's WeCom contact"
				}
				if why != "" {
					if err := setDelivery(ctx, c, tid, r.delivery, "UNREACHABLE", why, now); err != nil {
						return err
					}
					continue
				}
				text, err := tpl.RenderLead(byID[r.lead], sch)
				if err != nil {
					if err := setDelivery(ctx, c, tid, r.delivery, "FAILED", "template: "+err.Error(), now); err != nil {
						return err
					}
					continue
				}
				k := key{r.owner.UUID, *r.sender, text}
				if _, ok := groups[k]; !ok {
					order = append(order, k)
				}
				groups[k] = append(groups[k], r)
			}
		}
		for _, k := range order {
			for part := range slices.Chunk(groups[k], MaxTemplateCustomers) {
				exts, ids := make([]string, len(part)), make([]uuid.UUID, len(part))
				for i, r := range part {
					exts[i], ids[i] = *r.ext, r.delivery
				}
				if err := c.WeComGroupMsg.Create().SetBroadcastID(b.ID).SetSenderUserID(k.owner).SetSender(k.sender).
					SetContent(k.text).SetExternalUserIds(exts).SetDeliveryIds(ids).SetCreatedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
					return err
				}
				if _, err := c.ExecContext(ctx, `UPDATE deliveries SET status = 'SENDING', claimed_at = $3, attempts = attempts + 1
					WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'PENDING'`, tid, txn.UUIDArray(ids), now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// remindAfter is the channel's massSendRemindAfterMinutes as a duration (0: off).
func remindAfter(minutes int) time.Duration { return time.Duration(minutes) * time.Minute }

func setDelivery(ctx context.Context, c *ent.Client, tid, id uuid.UUID, status, why string, now time.Time) error {
	_, err := c.ExecContext(ctx, `UPDATE deliveries SET status = $3::text, error = NULLIF($4::text, ''),
			sent_at = CASE WHEN $3::text = 'SENT' THEN $5::timestamptz ELSE sent_at END
		WHERE tenant_id = $1 AND id = $2`, tid, id, status, clipRunes(why, 500), now)
	return err
}

// createGroup makes a PLANNED template in WeCom with the broadcast's
// attachments, or finds the one an earlier attempt made.
func (s *Service) createGroup(ctx context.Context, api *contacts, g *ent.WeComGroupMsg, attachments []schematype.WelcomeAttachment,
	remind time.Duration) (*ent.WeComGroupMsg, error) {
	if g.AttemptedAt != nil {
		msgid, err := api.findTemplate(g)
		if err != nil {
			return g, err
		}
		if msgid != "" {
			return s.created(ctx, g, msgid, nil, remind)
		}
	}
	// Stored media go as WeCom media ids less than 2.5 days old.
	attachments, err := s.mediaIDs(ctx, api, attachments)
	var me *MediaError
	if errors.As(err, &me) {
		return s.settle(ctx, g, wecomgroupmsg.StatusFAILED, me.Why, g.DeliveryIds, "FAILED")
	}
	if err != nil {
		return s.Client.WeComGroupMsg.UpdateOne(g).SetError(clipRunes(err.Error(), 500)).Save(ctx)
	}
	// Committed before the call: a lost answer is looked up next time.
	g, err = s.Client.WeComGroupMsg.UpdateOne(g).SetAttemptedAt(s.Now()).Save(ctx)
	if err != nil {
		return g, err
	}
	res, err := api.addTemplate(g, attachments)
	var ce *util.CommonError
	if errors.As(err, &ce) {
		why := fmt.Sprintf("WeCom refused the mass-send template: errcode %d %s", ce.ErrCode, ce.ErrMsg)
		return s.settle(ctx, g, wecomgroupmsg.StatusFAILED, why, g.DeliveryIds, "FAILED")
	}
	if err != nil {
		// The answer is unknown (WeCom may have made the template): the
		// template stays PLANNED with its attempt, and the next pass looks
		// for it before asking again.
		return s.Client.WeComGroupMsg.UpdateOne(g).SetError(clipRunes("add_msg_template: "+err.Error(), 500)).Save(ctx)
	}
	return s.created(ctx, g, res.MsgID, res.FailList, remind)
}

const addMsgTemplateURL = apiHost + "/cgi-bin/externalcontact/add_msg_template"

// addTemplate calls add_msg_template for g's customers with its text and
// the attachments (https://developer.work.weixin.qq.com/document/path/92135).
// The request is built here rather than by the library, whose attachment
// type writes every kind's object (empty) into each attachment.
func (c *contacts) addTemplate(g *ent.WeComGroupMsg, attachments []schematype.WelcomeAttachment) (*externalcontact.AddMsgTemplateResponse, error) {
	type msgText struct {
		Content string `json:"content"`
	}
	body, err := json.Marshal(struct {
		ChatType       string                         `json:"chat_type"`
		ExternalUserID []string                       `json:"external_userid"`
		Sender         string                         `json:"sender"`
		Text           msgText                        `json:"text"`
		Attachments    []schematype.WelcomeAttachment `json:"attachments,omitempty"`
	}{"single", g.ExternalUserIds, g.Sender, msgText{g.Content}, attachments})
	if err != nil {
		return nil, err
	}
	var res *externalcontact.AddMsgTemplateResponse
	err = c.retrying(func() error {
		token, err := c.client.GetAccessToken()
		if err != nil {
			return err
		}
		raw, err := util.HTTPPost(addMsgTemplateURL+"?access_token="+url.QueryEscape(token), string(body))
		if err != nil {
			return err
		}
		res = &externalcontact.AddMsgTemplateResponse{}
		return util.DecodeWithError(raw, res, "AddMsgTemplate")
	})
	return res, err
}

// findTemplate looks for the template an earlier attempt of g made: one
// with g's text, made around the attempt, that g's sender is to send.
func (c *contacts) findTemplate(g *ent.WeComGroupMsg) (string, error) {
	req := &externalcontact.GetGroupMsgListV2Request{ChatType: "single", StartTime: g.AttemptedAt.Add(-time.Minute).Unix(),
		EndTime: g.AttemptedAt.Add(10 * time.Minute).Unix(), FilterType: 2, Limit: 100}
	for {
		var res *externalcontact.GetGroupMsgListV2Response
		if err := c.retrying(func() error {
			var err error
			res, err = c.client.GetGroupMsgListV2(req)
			return err
		}); err != nil {
			return "", fmt.Errorf("wecom: get_groupmsg_list_v2: %w", err)
		}
		for _, m := range res.GroupMsgList {
			if m.Text.Content != g.Content {
				continue
			}
			tasks, err := c.tasks(m.MsgID)
			if err != nil {
				return "", err
			}
			if slices.ContainsFunc(tasks, func(t *externalcontact.Task) bool { return t.UserID == g.Sender }) {
				return m.MsgID, nil
			}
		}
		if res.NextCursor == "" {
			return "", nil
		}
		req.Cursor = res.NextCursor
	}
}

// tasks is get_groupmsg_task of a template: its members and whether each sent it.
func (c *contacts) tasks(msgid string) ([]*externalcontact.Task, error) {
	var out []*externalcontact.Task
	req := &externalcontact.GetGroupMsgTaskRequest{MsgID: msgid, Limit: 1000}
	for {
		var res *externalcontact.GetGroupMsgTaskResponse
		if err := c.retrying(func() error {
			var err error
			res, err = c.client.GetGroupMsgTask(req)
			return err
		}); err != nil {
			return nil, fmt.Errorf("wecom: get_groupmsg_task: %w", err)
		}
		out = append(out, res.TaskList...)
		if res.NextCursor == "" {
			return out, nil
		}
		req.Cursor = res.NextCursor
	}
}

// created records WeCom's msgid; the customers of failList (not the
// sender's contacts) fail at once. With remind > 0 the automatic reminder
// of the template is queued for remind from now, in the same transaction.
func (s *Service) created(ctx context.Context, g *ent.WeComGroupMsg, msgid string, failList []string,
	remind time.Duration) (*ent.WeComGroupMsg, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return g, err
	}
	now := s.Now()
	var out *ent.WeComGroupMsg
	err = txn.Retry(ctx, s.Client, 1, func(error) bool { return false }, func(ctx context.Context, c *ent.Client) error {
		var err error
		if out, err = c.WeComGroupMsg.UpdateOneID(g.ID).SetStatus(wecomgroupmsg.StatusCREATED).SetMsgid(msgid).
			SetCreatedInWecomAt(now).SetUpdatedAt(now).Save(ctx); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `UPDATE deliveries SET provider_message_id = $3 WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
			tid, txn.UUIDArray(g.DeliveryIds), msgid); err != nil {
			return err
		}
		for _, ext := range failList {
			if i := slices.Index(g.ExternalUserIds, ext); i >= 0 {
				if err := setDelivery(ctx, c, tid, g.DeliveryIds[i], "FAILED", "WeCom: the customer is not the sender's contact", now); err != nil {
					return err
				}
			}
		}
		if remind > 0 && s.Queue != nil {
			return s.Queue.EnqueueWeComRemind(ctx, tid, g.ID, now.Add(remind))
		}
		return nil
	})
	if err != nil {
		return g, err
	}
	return out.Unwrap(), nil
}

// Why the deliveries of a cancelled broadcast's templates fail.
const (
	whyCancelledUnsent = "the broadcast was cancelled before the member sent the mass message"
	whyCancelled       = "the broadcast was cancelled"
)

// CancelGroup ends the templates of cancelled broadcast b (the broadcast's
// send task runs it, queued in the cancelling transaction): a template not
// yet made in WeCom is not made; a made one is stopped (cancel_groupmsg_send,
// so a member who has not sent it no longer can) and its results read once
// more: what the member already sent stays SENT, the rest FAILED.
func (s *Service) CancelGroup(ctx context.Context, b *ent.Broadcast) error {
	cfg, err := s.syncConfig(ctx)
	if err != nil {
		return err
	}
	api := s.tokens.contacts(cfg)
	groups, err := s.Client.WeComGroupMsg.Query().
		Where(wecomgroupmsg.BroadcastID(b.ID), wecomgroupmsg.StatusIn(wecomgroupmsg.StatusPLANNED, wecomgroupmsg.StatusCREATED)).
		Order(ent.Asc(wecomgroupmsg.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.Status == wecomgroupmsg.StatusPLANNED && g.AttemptedAt != nil {
			// An attempt whose answer was lost may have made it.
			msgid, err := api.findTemplate(g)
			if err != nil {
				return err
			}
			if msgid != "" {
				if g, err = s.created(ctx, g, msgid, nil, 0); err != nil {
					return err
				}
			}
		}
		if g.Status == wecomgroupmsg.StatusPLANNED {
			if _, err := s.settle(ctx, g, wecomgroupmsg.StatusCANCELLED, whyCancelledUnsent, g.DeliveryIds, "FAILED"); err != nil {
				return err
			}
			continue
		}
		err := api.retrying(func() error {
			return api.client.CancelGroupMsgSend(&externalcontact.CancelGroupMsgSendRequest{MsgID: *g.Msgid})
		})
		var ce *util.CommonError
		if err != nil && !errors.As(err, &ce) {
			return fmt.Errorf("wecom: cancel_groupmsg_send: %w", err)
		}
		// Refused (the template is already over in WeCom): its results still say what happened.
		if _, err := s.pollGroup(ctx, api, g, true); err != nil {
			return err
		}
	}
	return nil
}

// pollGroup reads a CREATED template's results, at most every PollEvery
// unless cancelled: then once, finally, the customers not sent to failing.
func (s *Service) pollGroup(ctx context.Context, api *contacts, g *ent.WeComGroupMsg, cancelled bool) (*ent.WeComGroupMsg, error) {
	now := s.Now()
	if !cancelled && g.CheckedAt != nil && now.Sub(*g.CheckedAt) < PollEvery {
		return g, nil
	}
	tasks, err := api.tasks(*g.Msgid)
	if err != nil {
		return g, err
	}
	sent := slices.ContainsFunc(tasks, func(t *externalcontact.Task) bool { return t.UserID == g.Sender && t.Status == 2 })
	if !sent && cancelled {
		return s.settle(ctx, g, wecomgroupmsg.StatusCANCELLED, whyCancelledUnsent, g.DeliveryIds, "FAILED")
	}
	if !sent {
		if g.CreatedInWecomAt != nil && now.Sub(*g.CreatedInWecomAt) > ConfirmWithin {
			return s.settle(ctx, g, wecomgroupmsg.StatusEXPIRED, "the member did not send the mass message within 3 days",
				g.DeliveryIds, "FAILED")
		}
		return s.Client.WeComGroupMsg.UpdateOne(g).SetCheckedAt(now).Save(ctx)
	}
	results := map[string]*externalcontact.Send{}
	req := &externalcontact.GetGroupMsgSendResultRequest{MsgID: *g.Msgid, UserID: g.Sender, Limit: 1000}
	for {
		var res *externalcontact.GetGroupMsgSendResultResponse
		if err := api.retrying(func() error {
			var err error
			res, err = api.client.GetGroupMsgSendResult(req)
			return err
		}); err != nil {
			return g, fmt.Errorf("wecom: get_groupmsg_send_result: %w", err)
		}
		for _, r := range res.SendList {
			results[r.ExternalUserID] = r
		}
		if res.NextCursor == "" {
			break
		}
		req.Cursor = res.NextCursor
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return g, err
	}
	waiting := false
	var out *ent.WeComGroupMsg
	err = txn.Retry(ctx, s.Client, 1, func(error) bool { return false }, func(ctx context.Context, c *ent.Client) error {
		for i, ext := range g.ExternalUserIds {
			r := results[ext]
			var st, why string
			switch {
			case (r == nil || r.Status == 0) && cancelled:
				st, why = "FAILED", whyCancelled
			case r == nil || r.Status == 0:
				waiting = true
				continue
			case r.Status == 1:
				st = "SENT"
			case r.Status == 2:
				st, why = "FAILED", "WeCom: the customer is no longer the member's contact"
			case r.Status == 3:
				st, why = "FAILED", "WeCom: the customer already received a mass message today"
			default:
				st, why = "FAILED", fmt.Sprintf("WeCom: send status %d", r.Status)
			}
			at := now
			if r != nil && r.SendTime > 0 {
				at = time.Unix(int64(r.SendTime), 0)
			}
			if _, err := c.ExecContext(ctx, `UPDATE deliveries SET status = $3::text, error = NULLIF($4::text, ''),
					sent_at = CASE WHEN $3::text = 'SENT' THEN $5::timestamptz ELSE sent_at END
				WHERE tenant_id = $1 AND id = $2 AND status = 'SENDING'`, tid, g.DeliveryIds[i], st, why, at); err != nil {
				return err
			}
		}
		u := c.WeComGroupMsg.UpdateOneID(g.ID).SetCheckedAt(now).SetUpdatedAt(now)
		if !waiting {
			u.SetStatus(wecomgroupmsg.StatusDONE)
		}
		var err error
		out, err = u.Save(ctx)
		return err
	})
	if err != nil {
		return g, err
	}
	return out.Unwrap(), nil
}

// settle ends a template with status and moves its still-SENDING
// deliveries to deliveryStatus with why.
func (s *Service) settle(ctx context.Context, g *ent.WeComGroupMsg, status wecomgroupmsg.Status, why string,
	ids []uuid.UUID, deliveryStatus string) (*ent.WeComGroupMsg, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return g, err
	}
	now := s.Now()
	var out *ent.WeComGroupMsg
	err = txn.Retry(ctx, s.Client, 1, func(error) bool { return false }, func(ctx context.Context, c *ent.Client) error {
		if _, err := c.ExecContext(ctx, `UPDATE deliveries SET status = $3::text, error = $4
			WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'SENDING'`, tid, txn.UUIDArray(ids), deliveryStatus, clipRunes(why, 500)); err != nil {
			return err
		}
		var err error
		out, err = c.WeComGroupMsg.UpdateOneID(g.ID).SetStatus(status).SetError(clipRunes(why, 500)).SetCheckedAt(now).
			SetUpdatedAt(now).Save(ctx)
		return err
	})
	if err != nil {
		return g, err
	}
	return out.Unwrap(), nil
}
