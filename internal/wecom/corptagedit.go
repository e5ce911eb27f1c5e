package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/util"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/ent/taggroup"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// Renames and deletes of linked tags and groups made in scrm, sent to WeCom
// (edit_corp_tag, del_corp_tag; https://developer.work.weixin.qq.com/document/path/92117).
// tagging.Service commits the change and, in the same transaction, calls
// CorpTagRenamed or CorpTagsDeleted, which write a wecom:corp_tag task to
// the outbox. The task makes the call; WeCom's busy and rate-limit
// errcodes are retried (three times in the call, then by the task with
// Asynq's backoff, ten times); a refusal (any other errcode), or the last
// attempt's failure, is recorded as a notification (NotificationCorpTag)
// to whoever made the change (the workspace's admins when an API key did)
// and leaves the workspace's change in place. WeCom's change_external_tag
// callback that follows our own edit syncs a name that is already ours,
// or a tag the workspace no longer has, so it changes nothing.

// NotificationCorpTag is the notifications.kind of a rename or delete of a
// corp tag that WeCom refused.
const NotificationCorpTag = "wecom.corp_tag_failed"

// CorpTagChange is one rename or delete to send to WeCom: the payload of
// the wecom:corp_tag task.
type CorpTagChange struct {
	// EditID, when set, is WeCom's tag (or group, when Group) to rename
	// to Name.
	EditID string `json:"edit_id,omitempty"`
	Group  bool   `json:"group,omitempty"`
	Name   string `json:"name,omitempty"`
	// DelTags and DelGroups are WeCom's tags and groups to delete.
	DelTags   []string `json:"del_tags,omitempty"`
	DelGroups []string `json:"del_groups,omitempty"`
	// What says what the change was, for the notification of a refusal.
	What string `json:"what"`
	// Actor is the user who made the change (zero: an API key or the system).
	Actor uuid.UUID `json:"actor,omitempty"`
}

// CorpTagRenamed implements tagging.CorpTags: it queues the rename of
// WeCom's tag or group wecomID in the transaction ctx carries.
func (s *Service) CorpTagRenamed(ctx context.Context, wecomID string, group bool, name, what string) error {
	return s.queueCorpTag(ctx, CorpTagChange{EditID: wecomID, Group: group, Name: name, What: what})
}

// CorpTagsDeleted implements tagging.CorpTags: it queues the deletion of
// WeCom's tags and groups in the transaction ctx carries.
func (s *Service) CorpTagsDeleted(ctx context.Context, tagIDs, groupIDs []string, what string) error {
	return s.queueCorpTag(ctx, CorpTagChange{DelTags: tagIDs, DelGroups: groupIDs, What: what})
}

func (s *Service) queueCorpTag(ctx context.Context, ch CorpTagChange) error {
	if s.Queue == nil {
		return errors.New("wecom: no queue to send the corp tag change to WeCom")
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	if v := auth.FromContext(ctx); v != nil {
		ch.Actor = v.UserID
	}
	return s.Queue.EnqueueWeComCorpTag(ctx, tid, ch)
}

// editCorpTagRequest is edit_corp_tag's body. The library's
// EditCropTagRequest always sends order (0 when not given), which would
// move the tag to the end of its group; order is optional, so scrm leaves
// it out and WeCom keeps the tag's place.
type editCorpTagRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// delCorpTagRequest is del_corp_tag's body (empty lists, not null).
type delCorpTagRequest struct {
	TagID   []string `json:"tag_id"`
	GroupID []string `json:"group_id"`
}

// The corp tag URLs, as the library spells them (the channel's baseUrl
// reaches them as every other call, by the access token's host).
const (
	editCorpTagURL = apiHost + "/cgi-bin/externalcontact/edit_corp_tag"
	delCorpTagURL  = apiHost + "/cgi-bin/externalcontact/del_corp_tag"
)

// errInvalidTagID is WeCom's errcode for a tag or group id it does not
// have (already deleted).
const errInvalidTagID = 40068

// post calls one of WeCom's JSON POST endpoints with the access token.
func (c *contacts) post(endpoint, name string, body any) error {
	token, err := c.client.GetAccessToken()
	if err != nil {
		return err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	raw, err := util.HTTPPost(endpoint+"?access_token="+url.QueryEscape(token), string(b))
	if err != nil {
		return err
	}
	return util.DecodeWithCommonError(raw, name)
}

// SendCorpTagChange makes the call of one wecom:corp_tag task. It returns
// an error to be retried (a temporary failure) unless last; a refusal, or
// the failure of the last attempt, is recorded as a notification (see
// above) and, being final, returns nil. A rename of a tag or group the
// workspace has since deleted or unlinked is skipped; a delete WeCom
// answers 40068 (already gone: a retried delete) is done.
func (s *Service) SendCorpTagChange(ctx context.Context, ch CorpTagChange, last bool) error {
	if ch.EditID == "" && len(ch.DelTags) == 0 && len(ch.DelGroups) == 0 {
		return nil
	}
	if ch.EditID != "" {
		var linked bool
		var err error
		if ch.Group {
			linked, err = s.Client.TagGroup.Query().Where(taggroup.WecomGroupID(ch.EditID)).Exist(ctx)
		} else {
			linked, err = s.Client.Tag.Query().Where(tag.WecomTagID(ch.EditID)).Exist(ctx)
		}
		if err != nil {
			return err
		}
		if !linked {
			return nil
		}
	}
	cfg, err := s.syncConfig(ctx)
	if errors.Is(err, ErrSyncNotConfigured) {
		return s.corpTagFailed(ctx, ch, "企业微信渠道未配置或已停用")
	}
	if err != nil {
		return err
	}
	api := s.tokens.contacts(cfg)
	if ch.EditID != "" {
		err = api.retrying(func() error {
			return api.post(editCorpTagURL, "EditCorpTag", editCorpTagRequest{ID: ch.EditID, Name: ch.Name})
		})
	} else {
		req := delCorpTagRequest{TagID: ch.DelTags, GroupID: ch.DelGroups}
		if req.TagID == nil {
			req.TagID = []string{}
		}
		if req.GroupID == nil {
			req.GroupID = []string{}
		}
		err = api.retrying(func() error { return api.post(delCorpTagURL, "DelCorpTag", req) })
		var ce *util.CommonError
		if errors.As(err, &ce) && ce.ErrCode == errInvalidTagID {
			err = nil
		}
	}
	if err == nil {
		return nil
	}
	var ce *util.CommonError
	switch {
	case isPermanent(err) && errors.As(err, &ce):
		return s.corpTagFailed(ctx, ch, fmt.Sprintf("errcode %d %s", ce.ErrCode, ce.ErrMsg))
	case last:
		if ferr := s.corpTagFailed(ctx, ch, err.Error()); ferr != nil {
			return errors.Join(err, ferr)
		}
		return err
	}
	return err
}

// corpTagFailed records WeCom's refusal of ch as a notification to its
// actor (or, without one, to the workspace's active admins).
func (s *Service) corpTagFailed(ctx context.Context, ch CorpTagChange, why string) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	c := s.Client
	var to []uuid.UUID
	if ch.Actor != uuid.Nil {
		to, err = c.User.Query().Where(user.ID(ch.Actor), user.Active(true)).IDs(ctx)
		if err != nil {
			return err
		}
	}
	if len(to) == 0 {
		us, err := c.User.Query().Where(user.Active(true)).All(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			if slices.Contains(u.Roles, "admin") {
				to = append(to, u.ID)
			}
		}
	}
	if len(to) == 0 {
		return nil
	}
	msg := fmt.Sprintf("企业微信未能同步%s：%s。本地的修改已保留，请在企业微信管理后台核对。", ch.What, why)
	now := s.Now()
	var ids []uuid.UUID
	err = txn.WithTx(ctx, c, func(c *ent.Client) error {
		for _, u := range to {
			id := gid.New(gid.Notification)
			if _, err := c.ExecContext(ctx, `INSERT INTO notifications (id, tenant_id, user_id, kind, message, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, id, tid, u, NotificationCorpTag, msg, now); err != nil {
				return fmt.Errorf("wecom: notify of a refused corp tag change: %w", err)
			}
			ids = append(ids, id)
		}
		if s.Notify == nil {
			return nil
		}
		return s.Notify.DeliverNotifications(ent.NewContext(ctx, c), tid, ids)
	})
	return err
}
