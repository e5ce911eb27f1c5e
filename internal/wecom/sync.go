package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/txn"
	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// WeCom's limits for externalcontact/batch/get_by_user.
const (
	batchUsers = 100 // members per request
	batchLimit = 100 // contacts per page
)

// syncChunk is how many relationships one transaction of a sync applies
// (and how often it reports progress and notices a cancel).
const syncChunk = 50

// ErrSyncNotConfigured is a sync in a workspace whose wecom channel lacks
// the corp id or the customer-contact secret.
var ErrSyncNotConfigured = errors.New("wecom: configure the wecom channel's corpId and contactSecret before syncing")

// SyncReport receives a sync's progress: relationships (member, customer)
// done so far, those that failed, and the total; an error stops the sync.
type SyncReport func(ctx context.Context, done, failed, total int) error

// SyncContacts pulls every linked member's external contacts from WeCom
// (externalcontact/batch/get_by_user, paged by cursor) with their details
// and corp tags, and applies each relationship the customer does not have
// yet exactly as an add_external_contact callback (the same code path:
// ingest, WeComContact, ownership, event). Relationships are applied in
// the order the members added the customer, so the lead's owner is the
// member who added them first. A relationship the workspace already has is
// left alone, so a second sync writes nothing.
func (s *Service) SyncContacts(ctx context.Context, report SyncReport) error {
	cfg, err := s.syncConfig(ctx)
	if err != nil {
		return err
	}
	members, err := s.Client.User.Query().Where(user.WecomUserIDNotNil()).All(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(members))
	for _, m := range members {
		ids = append(ids, *m.WecomUserID)
	}
	sort.Strings(ids)
	api := s.tokens.contacts(cfg)
	// The tag library first, so that customers' corp tags reach their leads.
	if _, err := s.syncCorpTags(ctx, api); err != nil {
		return err
	}
	tags, err := api.corpTags()
	if err != nil {
		return fmt.Errorf("wecom: get_corp_tag_list: %w", err)
	}
	customers, err := api.customersOf(ids, tags)
	if err != nil {
		return fmt.Errorf("wecom: batch/get_by_user: %w", err)
	}
	rels := relationships(customers)
	if err := report(ctx, 0, 0, len(rels)); err != nil {
		return err
	}
	for start := 0; start < len(rels); start += syncChunk {
		chunk := rels[start:min(len(rels), start+syncChunk)]
		err := txn.Retry(ctx, s.Client, 3, txn.LostRace, func(ctx context.Context, c *ent.Client) error {
			for _, r := range chunk {
				if err := s.syncOne(ctx, c, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := report(ctx, start+len(chunk), 0, len(rels)); err != nil {
			return err
		}
	}
	return nil
}

// syncConfig is the workspace's wecom config, which must name the corp and
// the customer-contact secret (callbacks need not be set up to sync).
func (s *Service) syncConfig(ctx context.Context) (wecomplug.Config, error) {
	raw, enabled, err := s.Channels.ChannelConfig(ctx, ChannelName)
	if ent.IsNotFound(err) || (err == nil && !enabled) {
		return wecomplug.Config{}, ErrSyncNotConfigured
	}
	if err != nil {
		return wecomplug.Config{}, err
	}
	cfg, err := parseConfig(raw)
	if err != nil {
		return cfg, err
	}
	if cfg.CorpID == "" || cfg.ContactSecret == "" {
		return cfg, ErrSyncNotConfigured
	}
	return cfg, nil
}

// relationship is one member's external contact, as an add callback would
// carry it, with the customer's details.
type relationship struct {
	detail *externalcontact.ExternalUserDetailResponse
	follow externalcontact.FollowUser
}

// relationships orders every (member, customer) pair: customers by the
// time they were first added, each customer's members by when they added
// it.
func relationships(customers map[string]*externalcontact.ExternalUserDetailResponse) []relationship {
	list := make([]*externalcontact.ExternalUserDetailResponse, 0, len(customers))
	for _, d := range customers {
		sort.SliceStable(d.FollowUser, func(i, j int) bool {
			a, b := d.FollowUser[i], d.FollowUser[j]
			return a.CreateTime < b.CreateTime || (a.CreateTime == b.CreateTime && a.UserID < b.UserID)
		})
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i].FollowUser[0].CreateTime, list[j].FollowUser[0].CreateTime
		return a < b || (a == b && list[i].ExternalContact.ExternalUserID < list[j].ExternalContact.ExternalUserID)
	})
	var out []relationship
	for _, d := range list {
		for _, f := range d.FollowUser {
			out = append(out, relationship{detail: d, follow: f})
		}
	}
	return out
}

// syncOne applies a relationship the workspace does not have yet through
// the add_external_contact path, dated when the member added the customer.
func (s *Service) syncOne(ctx context.Context, c *ent.Client, r relationship) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	ext := r.detail.ExternalContact.ExternalUserID
	var known bool
	if err := txn.QueryRow(ctx, c, `SELECT EXISTS (SELECT 1 FROM wecom_contacts w JOIN users u
			ON u.tenant_id = w.tenant_id AND u.id = w.user_id
		WHERE w.tenant_id = $1 AND u.wecom_user_id = $2 AND w.external_user_id = $3)`,
		tid, r.follow.UserID, ext).Scan(&known); err != nil {
		return err
	}
	if known {
		return nil
	}
	msg := externalcontact.EventCallbackMessage{UserID: r.follow.UserID, ExternalUserID: ext, State: r.follow.State}
	msg.Event, msg.ChangeType = "change_external_contact", "add_external_contact"
	out, err := s.added(ctx, c, r.detail, msg)
	if err != nil || out != Applied || r.follow.CreateTime <= 0 {
		return err
	}
	_, err = c.ExecContext(ctx, `UPDATE wecom_contacts w SET added_at = $4 FROM users u
		WHERE w.tenant_id = $1 AND u.tenant_id = $1 AND u.id = w.user_id AND u.wecom_user_id = $2 AND w.external_user_id = $3`,
		tid, r.follow.UserID, ext, time.Unix(r.follow.CreateTime, 0).UTC())
	return err
}

// corpTags reads the corp's tag library: tag id → its group and name.
func (c *contacts) corpTags() (map[string]externalcontact.Tag, error) {
	var groups []externalcontact.TagGroup
	err := c.retrying(func() error {
		var err error
		groups, err = c.client.GetCropTagList(externalcontact.GetCropTagRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]externalcontact.Tag{}
	for _, g := range groups {
		if g.Deleted {
			continue
		}
		for _, t := range g.Tag {
			if !t.Deleted {
				out[t.ID] = externalcontact.Tag{GroupName: g.GroupName, TagName: t.Name, Type: 1, TagID: t.ID}
			}
		}
	}
	return out, nil
}

// customersOf pages through the external contacts of members, batchUsers
// members per request and batchLimit contacts per page, and returns each
// customer's details with every member who has it (its corp tags by name).
func (c *contacts) customersOf(members []string, tags map[string]externalcontact.Tag) (map[string]*externalcontact.ExternalUserDetailResponse, error) {
	out := map[string]*externalcontact.ExternalUserDetailResponse{}
	for start := 0; start < len(members); start += batchUsers {
		req := externalcontact.BatchGetExternalUserDetailsRequest{
			UserIDList: members[start:min(len(members), start+batchUsers)], Limit: batchLimit}
		for {
			var res *batchPage
			err := c.retrying(func() error {
				var err error
				res, err = c.batchByUser(req)
				return err
			})
			if err != nil {
				return nil, err
			}
			for i, e := range res.ExternalContactList {
				addFollow(out, e, res.states[i], tags)
			}
			next := res.NextCursor
			if next == "" || next == req.Cursor {
				break
			}
			req.Cursor = next
		}
	}
	return out, nil
}

// batchPage is a page of batch/get_by_user with each entry's
// follow_info.state (the contact-way code's), which the library's
// FollowInfo has no field for.
type batchPage struct {
	externalcontact.ExternalUserDetailListResponse
	states []string
}

// batchByUser calls batch/get_by_user as the library does and reads the
// states from the same answer.
func (c *contacts) batchByUser(req externalcontact.BatchGetExternalUserDetailsRequest) (*batchPage, error) {
	token, err := c.client.GetAccessToken()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	raw, err := util.HTTPPost(batchByUserURL+"?access_token="+url.QueryEscape(token), string(body))
	if err != nil {
		return nil, err
	}
	page := &batchPage{}
	if err := util.DecodeWithError(raw, &page.ExternalUserDetailListResponse, "BatchGetExternalUserDetails"); err != nil {
		return nil, err
	}
	var states struct {
		List []struct {
			FollowInfo struct {
				State string `json:"state"`
			} `json:"follow_info"`
		} `json:"external_contact_list"`
	}
	if err := json.Unmarshal(raw, &states); err != nil || len(states.List) != len(page.ExternalContactList) {
		return nil, fmt.Errorf("wecom: batch/get_by_user: the follow states cannot be read: %v", err)
	}
	page.states = make([]string, len(states.List))
	for i, e := range states.List {
		page.states[i] = e.FollowInfo.State
	}
	return page, nil
}

// batchByUserURL is WeCom's batch/get_by_user (the channel's baseUrl
// reaches it as every other call, by the access token's host).
const batchByUserURL = "https://qyapi.weixin.qq.com/cgi-bin/externalcontact/batch/get_by_user"

// addFollow merges one page entry, whose add came through state, into the
// customers.
func addFollow(out map[string]*externalcontact.ExternalUserDetailResponse, e externalcontact.ExternalUserForBatch,
	state string, tags map[string]externalcontact.Tag) {
	ec := e.ExternalContact
	if ec.ExternalUserID == "" {
		return
	}
	d := out[ec.ExternalUserID]
	if d == nil {
		d = &externalcontact.ExternalUserDetailResponse{ExternalContact: externalcontact.ExternalUser{
			ExternalUserID: ec.ExternalUserID, Name: ec.Name, Avatar: ec.Avatar, Type: ec.Type, Gender: ec.Gender,
			UnionID: ec.UnionID, Position: ec.Position, CorpName: ec.CorpName, CorpFullName: ec.CorpFullName}}
		out[ec.ExternalUserID] = d
	}
	fi := e.FollowInfo
	if slices.ContainsFunc(d.FollowUser, func(f externalcontact.FollowUser) bool { return f.UserID == fi.UserID }) {
		return
	}
	f := externalcontact.FollowUser{UserID: fi.UserID, Remark: fi.Remark, Description: fi.Description,
		CreateTime: fi.CreateTime, RemarkCorpName: fi.RemarkCorpName, RemarkMobiles: fi.RemarkMobiles,
		OperUserID: fi.OperUserID, AddWay: fi.AddWay, State: state}
	for _, id := range fi.TagID {
		if t, ok := tags[id]; ok {
			f.Tags = append(f.Tags, t)
		}
	}
	d.FollowUser = append(d.FollowUser, f)
}

// retrying runs one API call, fetching the token again once when WeCom
// refuses it and retrying busy and rate-limit errcodes with a backoff.
func (c *contacts) retrying(call func() error) error {
	refreshed, busy := false, 0
	for {
		err := call()
		var ce *util.CommonError
		switch {
		case !errors.As(err, &ce):
			return err
		case isTokenError(ce.ErrCode) && !refreshed:
			refreshed = true
			c.handle.forget()
		case slices.Contains(temporaryErrcodes, ce.ErrCode) && busy < len(backoff):
			time.Sleep(backoff[busy])
			busy++
		default:
			return err
		}
	}
}
