package wecom

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/ent/taggroup"
	"github.com/scrmhq/scrm/internal/txn"
)

// Corp tags (企业客户标签). The corp's tag library and the workspace's tag
// groups are kept in step both ways by SyncCorpTags: WeCom's groups and
// tags are linked to the workspace's of the same name (or created), and the
// workspace's grouped tags WeCom lacks are added to it (add_corp_tag).
// WeCom's renames of linked groups and tags are taken (unless the workspace
// has another of that name), and a linked group or tag deleted in WeCom is
// unlinked and marked wecom_removed_at: the workspace keeps it (rules,
// segments, journeys and codes may name it) but never adds it back. A
// member's corp tags on a customer are put on the customer's lead when the
// customer is added (callback or sync), and a tag put on a lead that is
// someone's external contact is marked in WeCom (mark_tag) by the
// wecom:mark_tags task that tagging queues in its transaction.

// TagSync is what SyncCorpTags did.
type TagSync struct {
	// Linked counts the workspace's groups and tags linked to WeCom's;
	// Created those made from WeCom's; Pushed the tags added to WeCom;
	// Renamed the linked ones WeCom renamed; Removed the linked ones WeCom
	// deleted (unlinked).
	Linked, Created, Pushed, Renamed, Removed int
	// Skipped names the workspace's tags that cannot go to WeCom (no group:
	// WeCom's tags always have one).
	Skipped []string
}

// SyncCorpTags runs the two-way sync of the workspace's corp tags.
func (s *Service) SyncCorpTags(ctx context.Context) (*TagSync, error) {
	cfg, err := s.syncConfig(ctx)
	if err != nil {
		return nil, err
	}
	return s.syncCorpTags(ctx, s.tokens.contacts(cfg))
}

func (s *Service) syncCorpTags(ctx context.Context, api *contacts) (*TagSync, error) {
	var groups []externalcontact.TagGroup
	if err := api.retrying(func() error {
		var err error
		groups, err = api.client.GetCropTagList(externalcontact.GetCropTagRequest{})
		return err
	}); err != nil {
		return nil, fmt.Errorf("wecom: get_corp_tag_list: %w", err)
	}
	res := &TagSync{}
	// In the caller's transaction when there is one (the contacts sync job).
	err := txn.Retry(ctx, txn.Client(ctx, s.Client), 3, txn.LostRace, func(ctx context.Context, c *ent.Client) error {
		*res = TagSync{}
		var groupIDs, tagIDs []string
		for _, g := range groups {
			if g.Deleted {
				continue
			}
			if err := s.pullGroup(ctx, c, g, res); err != nil {
				return err
			}
			groupIDs = append(groupIDs, g.GroupID)
			for _, t := range g.Tag {
				if !t.Deleted {
					tagIDs = append(tagIDs, t.ID)
				}
			}
		}
		return s.unlinkRemoved(ctx, c, groupIDs, tagIDs, res)
	})
	if err != nil {
		return nil, err
	}
	return res, s.pushTags(ctx, api, res)
}

// pullGroup links or creates the workspace's group and tags for WeCom's g.
func (s *Service) pullGroup(ctx context.Context, c *ent.Client, g externalcontact.TagGroup, res *TagSync) error {
	tg, err := c.TagGroup.Query().Where(taggroup.WecomGroupID(g.GroupID)).Only(ctx)
	if ent.IsNotFound(err) {
		tg, err = c.TagGroup.Query().Where(taggroup.Name(g.GroupName), taggroup.WecomGroupIDIsNil()).Only(ctx)
		switch {
		case err == nil:
			if tg, err = c.TagGroup.UpdateOne(tg).SetWecomGroupID(g.GroupID).Save(ctx); err != nil {
				return err
			}
			res.Linked++
		case ent.IsNotFound(err):
			name := g.GroupName
			if taken, err := c.TagGroup.Query().Where(taggroup.Name(name)).Exist(ctx); err != nil {
				return err
			} else if taken {
				name = clipRunes(name+" (企业微信)", 100)
			}
			if tg, err = c.TagGroup.Create().SetName(name).SetWecomGroupID(g.GroupID).Save(ctx); err != nil {
				return err
			}
			res.Created++
		}
	}
	if err != nil {
		return err
	}
	if err := renameGroup(ctx, c, tg, g.GroupName, res); err != nil {
		return err
	}
	for _, t := range g.Tag {
		if t.Deleted {
			continue
		}
		if have, err := c.Tag.Query().Where(tag.WecomTagID(t.ID)).Only(ctx); err == nil {
			if err := renameTag(ctx, c, have, t.Name, res); err != nil {
				return err
			}
			continue
		} else if !ent.IsNotFound(err) {
			return err
		}
		// Tag names are unique in the workspace: an unlinked tag of the same
		// name is this one; a linked one of another group keeps its name and
		// this one is named after its group.
		local, err := c.Tag.Query().Where(tag.Name(t.Name)).Only(ctx)
		switch {
		case err == nil && local.WecomTagID == nil:
			u := c.Tag.UpdateOne(local).SetWecomTagID(t.ID)
			if local.GroupID == nil {
				u.SetGroupID(tg.ID)
			}
			if err := u.Exec(ctx); err != nil {
				return err
			}
			res.Linked++
			continue
		case err == nil:
			t.Name = clipRunes(t.Name+" · "+g.GroupName, 100)
		case !ent.IsNotFound(err):
			return err
		}
		if err := c.Tag.Create().SetName(t.Name).SetGroupID(tg.ID).SetWecomTagID(t.ID).Exec(ctx); err != nil {
			return err
		}
		res.Created++
	}
	return nil
}

// renameGroup takes WeCom's name of the linked group tg, unless another
// group has it.
func renameGroup(ctx context.Context, c *ent.Client, tg *ent.TagGroup, name string, res *TagSync) error {
	if name == "" || name == tg.Name {
		return nil
	}
	name = clipRunes(name, 100)
	if taken, err := c.TagGroup.Query().Where(taggroup.Name(name), taggroup.IDNEQ(tg.ID)).Exist(ctx); err != nil || taken {
		return err
	}
	res.Renamed++
	return c.TagGroup.UpdateOne(tg).SetName(name).Exec(ctx)
}

// renameTag takes WeCom's name of the linked tag t, unless another tag has
// it (tag names are unique in the workspace).
func renameTag(ctx context.Context, c *ent.Client, t *ent.Tag, name string, res *TagSync) error {
	if name == "" || name == t.Name {
		return nil
	}
	name = clipRunes(name, 100)
	if taken, err := c.Tag.Query().Where(tag.Name(name), tag.IDNEQ(t.ID)).Exist(ctx); err != nil || taken {
		return err
	}
	res.Renamed++
	return c.Tag.UpdateOne(t).SetName(name).Exec(ctx)
}

// unlinkRemoved unlinks the workspace's groups and tags whose WeCom
// counterparts are no longer in the library (groupIDs and tagIDs, WeCom's
// complete list) and marks them removed, so pushTags leaves them alone.
func (s *Service) unlinkRemoved(ctx context.Context, c *ent.Client, groupIDs, tagIDs []string, res *TagSync) error {
	now := s.Now()
	n, err := c.Tag.Update().Where(tag.WecomTagIDNotNil(), tag.WecomTagIDNotIn(tagIDs...)).
		ClearWecomTagID().SetWecomRemovedAt(now).Save(ctx)
	if err != nil {
		return err
	}
	res.Removed += n
	n, err = c.TagGroup.Update().Where(taggroup.WecomGroupIDNotNil(), taggroup.WecomGroupIDNotIn(groupIDs...)).
		ClearWecomGroupID().SetWecomRemovedAt(now).Save(ctx)
	res.Removed += n
	return err
}

// pushTags adds to WeCom the workspace's grouped tags it lacks, group by
// group (a new group with its tags in one add_corp_tag), recording WeCom's
// ids as they come.
func (s *Service) pushTags(ctx context.Context, api *contacts, res *TagSync) error {
	c := txn.Client(ctx, s.Client)
	missing, err := c.Tag.Query().Where(tag.WecomTagIDIsNil(), tag.WecomRemovedAtIsNil(),
		tag.Not(tag.HasGroupWith(taggroup.WecomRemovedAtNotNil()))).WithGroup().Order(ent.Asc(tag.FieldName)).All(ctx)
	if err != nil {
		return err
	}
	byGroup := map[uuid.UUID][]*ent.Tag{}
	var order []*ent.TagGroup
	for _, t := range missing {
		if t.Edges.Group == nil {
			res.Skipped = append(res.Skipped, t.Name)
			continue
		}
		if _, ok := byGroup[t.Edges.Group.ID]; !ok {
			order = append(order, t.Edges.Group)
		}
		byGroup[t.Edges.Group.ID] = append(byGroup[t.Edges.Group.ID], t)
	}
	for _, g := range order {
		req := externalcontact.AddCropTagRequest{GroupName: g.Name}
		if g.WecomGroupID != nil {
			req.GroupID = *g.WecomGroupID
		}
		for _, t := range byGroup[g.ID] {
			req.Tag = append(req.Tag, externalcontact.AddCropTagItem{Name: clipRunes(t.Name, 30)})
		}
		var made *externalcontact.TagGroup
		err := api.retrying(func() error {
			var err error
			made, err = api.client.AddCropTag(req)
			return err
		})
		var ce *util.CommonError
		if errors.As(err, &ce) {
			for _, t := range byGroup[g.ID] {
				res.Skipped = append(res.Skipped, fmt.Sprintf("%s (errcode %d)", t.Name, ce.ErrCode))
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("wecom: add_corp_tag: %w", err)
		}
		if g.WecomGroupID == nil {
			if err := c.TagGroup.UpdateOneID(g.ID).SetWecomGroupID(made.GroupID).Exec(ctx); err != nil {
				return err
			}
		}
		for _, item := range made.Tag {
			i := slices.IndexFunc(byGroup[g.ID], func(t *ent.Tag) bool { return clipRunes(t.Name, 30) == item.Name })
			if i < 0 {
				continue
			}
			if err := c.Tag.UpdateOneID(byGroup[g.ID][i].ID).SetWecomTagID(item.ID).Exec(ctx); err != nil {
				return err
			}
			res.Pushed++
		}
	}
	return nil
}

// corpTagsOf maps WeCom tag ids to the workspace's linked tags.
func corpTagsOf(ctx context.Context, c *ent.Client, wecomIDs []string) ([]uuid.UUID, error) {
	if len(wecomIDs) == 0 {
		return nil, nil
	}
	return c.Tag.Query().Where(tag.WecomTagIDIn(wecomIDs...)).IDs(ctx)
}

type fromWeComKey struct{}

// followTags brings the lead's corp tags in line with the customer's in
// WeCom (d, externalcontact/get read after an edit_external_contact): the
// union of every member's corp tags on the customer (follow_user.tags),
// as far as they are linked to the workspace's tags. Linked tags WeCom has
// and the lead lacks are put on; linked tags the lead has and no member has
// in WeCom come off. Tags the workspace has not linked, and members'
// personal tags (type 2), are left alone. A lead that is also the customer
// of another WeCom identity (two customers merged) only gains tags: the
// other identity's tags were not read. The changes come from WeCom, so they
// are not marked back.
func (s *Service) followTags(ctx context.Context, c *ent.Client, leadID uuid.UUID, ext string,
	d *externalcontact.ExternalUserDetailResponse) error {
	if s.Tags == nil {
		return nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	var ids []string
	for _, f := range d.FollowUser {
		for _, t := range f.Tags {
			if t.TagID != "" && t.Type != 2 {
				ids = append(ids, t.TagID)
			}
		}
	}
	want, err := corpTagsOf(ctx, c, ids)
	if err != nil {
		return err
	}
	want, err = oneOfEachExclusive(ctx, c, want)
	if err != nil {
		return err
	}
	have, err := c.Tag.Query().Where(tag.WecomTagIDNotNil(), tag.HasLeadsWith(lead.ID(leadID))).IDs(ctx)
	if err != nil {
		return err
	}
	var add, remove []uuid.UUID
	for _, id := range want {
		if !slices.Contains(have, id) {
			add = append(add, id)
		}
	}
	for _, id := range have {
		if !slices.Contains(want, id) {
			remove = append(remove, id)
		}
	}
	if len(remove) > 0 {
		var others bool
		if err := txn.QueryRow(ctx, c, `SELECT EXISTS (SELECT 1 FROM wecom_contacts WHERE tenant_id = $1 AND lead_id = $2
			AND external_user_id <> $3 AND lost_at IS NULL AND removed_at IS NULL)`, tid, leadID, ext).Scan(&others); err != nil {
			return err
		}
		if others {
			remove = nil
		}
	}
	ctx = context.WithValue(ctx, fromWeComKey{}, true)
	if len(add) > 0 {
		if _, err := s.Tags.TagLeads(ctx, []uuid.UUID{leadID}, add, nil, "INGEST"); err != nil {
			return fmt.Errorf("wecom: corp tags added in WeCom: %w", err)
		}
	}
	if len(remove) > 0 {
		if _, err := s.Tags.UntagLeads(ctx, []uuid.UUID{leadID}, remove); err != nil {
			return fmt.Errorf("wecom: corp tags removed in WeCom: %w", err)
		}
	}
	return nil
}

// oneOfEachExclusive keeps the first of ids in each exclusive tag group:
// WeCom has no exclusive groups, and tagging refuses two tags of one.
func oneOfEachExclusive(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error) {
	if len(ids) < 2 {
		return ids, nil
	}
	tags, err := c.Tag.Query().Where(tag.IDIn(ids...)).WithGroup().All(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for _, t := range tags {
		if g := t.Edges.Group; g != nil && g.Exclusive {
			if seen[g.ID] {
				continue
			}
			seen[g.ID] = true
		}
		out = append(out, t.ID)
	}
	return out, nil
}

// TagsAdded implements tagging.Watcher: when tags WeCom knows were put on
// leads that are members' external contacts, it queues their marking in
// WeCom (wecom:mark_tags), in the tagging transaction. Tags put on by WeCom
// itself (an add's corp tags) are not sent back.
func (s *Service) TagsAdded(ctx context.Context, added map[uuid.UUID][]uuid.UUID) error {
	if ctx.Value(fromWeComKey{}) != nil {
		return nil
	}
	return s.queueMarks(ctx, added)
}

// TagsRemoved implements tagging.Watcher: a linked tag taken off leads that
// are members' external contacts is taken off them in WeCom too, by the
// same task (which marks what the lead has when it runs).
func (s *Service) TagsRemoved(ctx context.Context, removed map[uuid.UUID][]uuid.UUID) error {
	if ctx.Value(fromWeComKey{}) != nil {
		return nil
	}
	return s.queueMarks(ctx, removed)
}

// queueMarks queues wecom:mark_tags for each linked tag (tag → leads)
// whose leads have a live relationship.
func (s *Service) queueMarks(ctx context.Context, changed map[uuid.UUID][]uuid.UUID) error {
	if s.Queue == nil {
		return nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	c := txn.Client(ctx, s.Client)
	for tagID, leadIDs := range changed {
		var needed bool
		if err := txn.QueryRow(ctx, c, `SELECT EXISTS (SELECT 1 FROM tags WHERE tenant_id = $1 AND id = $2 AND wecom_tag_id IS NOT NULL)
			AND EXISTS (SELECT 1 FROM wecom_contacts WHERE tenant_id = $1 AND lead_id = ANY($3::uuid[]) AND lost_at IS NULL AND removed_at IS NULL)`,
			tid, tagID, txn.UUIDArray(leadIDs)).Scan(&needed); err != nil {
			return err
		}
		if !needed {
			continue
		}
		for chunk := range slices.Chunk(leadIDs, 1000) {
			if err := s.Queue.EnqueueWeComMarkTags(ctx, tid, tagID, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

// MarkTags brings tag on the customers of leads in WeCom in line with the
// leads, once per live (member, customer) relationship: added where the
// lead has the tag now, removed where it does not (so tasks of an add and a
// removal that run out of order still end as the lead is; mark_tag is
// idempotent, so a retried task changes nothing twice). It returns how many
// relationships it marked; one WeCom refuses (the customer is no longer the
// member's) is skipped.
func (s *Service) MarkTags(ctx context.Context, tagID uuid.UUID, leads []uuid.UUID) (int, error) {
	cfg, err := s.syncConfig(ctx)
	if err != nil {
		return 0, err
	}
	api := s.tokens.contacts(cfg)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return 0, err
	}
	t, err := s.Client.Tag.Get(ctx, tagID)
	if ent.IsNotFound(err) || (err == nil && t.WecomTagID == nil) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	rows, err := s.Client.QueryContext(ctx, `SELECT u.wecom_user_id, w.external_user_id,
			EXISTS (SELECT 1 FROM lead_tags lt WHERE lt.tenant_id = w.tenant_id AND lt.lead_id = w.lead_id AND lt.tag_id = $3)
		FROM wecom_contacts w
		JOIN users u ON u.tenant_id = w.tenant_id AND u.id = w.user_id AND u.wecom_user_id IS NOT NULL
		WHERE w.tenant_id = $1 AND w.lead_id = ANY($2::uuid[]) AND w.lost_at IS NULL AND w.removed_at IS NULL
		ORDER BY 1, 2`, tid, txn.UUIDArray(leads), tagID)
	if err != nil {
		return 0, err
	}
	type rel struct {
		member, ext string
		has         bool
	}
	var rels []rel
	for rows.Next() {
		var r rel
		if err := rows.Scan(&r.member, &r.ext, &r.has); err != nil {
			rows.Close()
			return 0, err
		}
		rels = append(rels, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	marked := 0
	for _, r := range rels {
		req := externalcontact.MarkTagRequest{UserID: r.member, ExternalUserID: r.ext, AddTag: []string{}, RemoveTag: []string{}}
		if r.has {
			req.AddTag = []string{*t.WecomTagID}
		} else {
			req.RemoveTag = []string{*t.WecomTagID}
		}
		err := api.retrying(func() error { return api.client.MarkTag(req) })
		var ce *util.CommonError
		if errors.As(err, &ce) {
			continue // refused for this relationship: nothing to retry
		}
		if err != nil {
			return marked, fmt.Errorf("wecom: mark_tag: %w", err)
		}
		marked++
	}
	return marked, nil
}
