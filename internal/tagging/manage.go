package tagging

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/ent/taggroup"
	"github.com/scrmhq/scrm/internal/apperr"
)

// Renaming, moving and deleting tags and tag groups.
//
// A delete is refused (CONFLICT, ErrInUse) while anything names the tag:
// segment rules, journeys that are not archived (trigger, steps, exit rule),
// assignment and scoring rule conditions (by name), contact-way codes that
// are not deleted, and saved views; the error lists them (apperr Details:
// references, referenceCount). A rename is refused while a rule condition
// names the tag, since conditions see tags by name; everything else names
// tags by id and follows a rename.
//
// Tags and groups linked to a WeCom corp tag are renamed and deleted here
// as any other, and the change is sent to WeCom (edit_corp_tag,
// del_corp_tag) by a task that CorpTags (internal/wecom) writes to the
// outbox in the same transaction. A linked name is at most 30 characters
// (WeCom's limit). A linked tag cannot move to another group (WeCom has no
// such call): that is refused (CONFLICT, ErrWeComMove). Without CorpTags
// (tools) renames, moves and deletes of linked tags and groups are refused
// (WECOM_CORP_TAG), since the corp tag sync would undo them.

// Sentinel errors of this file, inside the apperr errors returned.
var (
	// ErrInUse refuses to delete or rename a tag that something names.
	ErrInUse = errors.New("tag in use")
	// ErrWouldBreakExclusive refuses to make a group exclusive (or to move
	// a tag into an exclusive group) while leads would hold two of its tags.
	ErrWouldBreakExclusive = errors.New("leads hold two tags of the group")
	// ErrWeComMove refuses to move a tag linked to a WeCom corp tag to
	// another group (or out of its group): WeCom cannot.
	ErrWeComMove = errors.New("a WeCom corp tag cannot change groups")
)

// maxWeComNameLen is WeCom's limit on a corp tag's or group's name
// (edit_corp_tag, https://developer.work.weixin.qq.com/document/path/92117).
const maxWeComNameLen = 30

// CorpTags sends renames and deletes of the tags and groups linked to WeCom
// corp tags to WeCom (wecom.Service): it writes the task to the outbox in
// the transaction ctx carries.
type CorpTags interface {
	// CorpTagRenamed renames WeCom's tag (or group, when group) wecomID to
	// name; what names the change for the admin.
	CorpTagRenamed(ctx context.Context, wecomID string, group bool, name, what string) error
	// CorpTagsDeleted deletes WeCom's tags tagIDs and groups groupIDs.
	CorpTagsDeleted(ctx context.Context, tagIDs, groupIDs []string, what string) error
}

// weComName refuses a name WeCom would refuse for a corp tag or group.
func weComName(name string) error {
	if utf8.RuneCountInString(name) > maxWeComNameLen {
		return apperr.Input("name", "a WeCom corp tag's or group's name is at most %d characters (WeCom's limit)", maxWeComNameLen)
	}
	return nil
}

// GroupPatch is what UpdateTagGroup changes; nil fields are kept.
type GroupPatch struct {
	Name      *string
	Exclusive *bool
	Position  *int
}

// TagPatch is what UpdateTag changes; nil fields are kept. GroupID moves
// the tag into that group, ClearGroup out of any (not both).
type TagPatch struct {
	Name       *string
	Color      *string
	GroupID    *uuid.UUID
	ClearGroup bool
}

// UpdateTagGroup renames a group, reorders it (position) or changes its
// exclusive flag. Turning exclusive on is refused (CONFLICT at "exclusive",
// Details leadCount) while leads hold two or more of the group's tags.
func (s *Service) UpdateTagGroup(ctx context.Context, id uuid.UUID, p GroupPatch) (*ent.TagGroup, error) {
	c := s.DB(ctx)
	tid, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		n, err := text("name", *p.Name, maxNameLen, true)
		if err != nil {
			return nil, err
		}
		p.Name = &n
	}
	if p.Position != nil && *p.Position < 0 {
		return nil, apperr.Input("position", "position must not be negative")
	}
	var out *ent.TagGroup
	err = withTx(ctx, c, func(c *ent.Client) error {
		if err := lockWorkspace(ctx, c, lockTagNames); err != nil {
			return err
		}
		g, err := c.TagGroup.Query().Where(taggroup.ID(id)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "id", "tag group not found")
		}
		if err != nil {
			return err
		}
		u := c.TagGroup.UpdateOne(g)
		if p.Name != nil && *p.Name != g.Name {
			if g.WecomGroupID != nil {
				if s.CorpTags == nil {
					return refuseWeCom("name", fmt.Sprintf("tag group %q", g.Name), g.Name)
				}
				if err := weComName(*p.Name); err != nil {
					return err
				}
			}
			taken, err := c.TagGroup.Query().Where(taggroup.Name(*p.Name), taggroup.IDNEQ(id)).Exist(ctx)
			if err != nil {
				return err
			}
			if taken {
				return apperr.Wrap(ErrNameTaken, apperr.Conflict, "name", fmt.Sprintf("a tag group named %q exists", *p.Name))
			}
			u.SetName(*p.Name)
			if g.WecomGroupID != nil {
				if err := s.CorpTags.CorpTagRenamed(ent.NewContext(ctx, c), *g.WecomGroupID, true, *p.Name,
					fmt.Sprintf("标签组「%s」改名为「%s」", g.Name, *p.Name)); err != nil {
					return err
				}
			}
		}
		if p.Exclusive != nil && *p.Exclusive && !g.Exclusive {
			n, err := leadsWithTwo(ctx, c, tid, id, nil)
			if err != nil {
				return err
			}
			if n > 0 {
				return refuseExclusive("exclusive", n, fmt.Sprintf("%d leads hold two or more tags of %q: take them off first", n, g.Name))
			}
		}
		if p.Exclusive != nil {
			u.SetExclusive(*p.Exclusive)
		}
		if p.Position != nil {
			u.SetPosition(*p.Position)
		}
		out, err = u.Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Wrap(errors.Join(ErrNameTaken, err), apperr.Conflict, "name", "a tag group with this name exists")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateTag renames a tag, changes its colour or moves it to another group
// (or out of any). A rename is refused while a rule condition names the
// tag; a move into an exclusive group while a lead holds the tag and
// another of that group (CONFLICT at "groupID", Details leadCount).
func (s *Service) UpdateTag(ctx context.Context, id uuid.UUID, p TagPatch) (*ent.Tag, error) {
	c := s.DB(ctx)
	tid, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		n, err := text("name", *p.Name, maxNameLen, true)
		if err != nil {
			return nil, err
		}
		p.Name = &n
	}
	if p.Color != nil {
		col, err := text("color", *p.Color, maxColorLen, false)
		if err != nil {
			return nil, err
		}
		p.Color = &col
	}
	if p.GroupID != nil && p.ClearGroup {
		return nil, apperr.Input("clearGroup", "give groupID or clearGroup, not both")
	}
	var out *ent.Tag
	err = withTx(ctx, c, func(c *ent.Client) error {
		if err := lockWorkspace(ctx, c, lockTagNames); err != nil {
			return err
		}
		t, err := c.Tag.Query().Where(tag.ID(id)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "id", "tag not found")
		}
		if err != nil {
			return err
		}
		u := c.Tag.UpdateOne(t)
		moved := (p.GroupID != nil && (t.GroupID == nil || *t.GroupID != *p.GroupID)) || (p.ClearGroup && t.GroupID != nil)
		if moved && t.WecomTagID != nil {
			if s.CorpTags == nil {
				return refuseWeCom("groupID", fmt.Sprintf("tag %q", t.Name), t.Name)
			}
			field := "groupID"
			if p.ClearGroup {
				field = "clearGroup"
			}
			return apperr.Wrap(ErrWeComMove, apperr.Conflict, field, fmt.Sprintf(
				"tag %q is a WeCom corp tag, and WeCom cannot move a tag to another group: make a new tag in the other group instead", t.Name))
		}
		if p.Name != nil && *p.Name != t.Name {
			if err := s.checkRename(ctx, c, tid, t, *p.Name); err != nil {
				return err
			}
			u.SetName(*p.Name)
			if t.WecomTagID != nil {
				if err := s.CorpTags.CorpTagRenamed(ent.NewContext(ctx, c), *t.WecomTagID, false, *p.Name,
					fmt.Sprintf("标签「%s」改名为「%s」", t.Name, *p.Name)); err != nil {
					return err
				}
			}
		}
		if p.Color != nil {
			u.SetColor(*p.Color)
		}
		if moved && p.GroupID != nil {
			g, err := c.TagGroup.Query().Where(taggroup.ID(*p.GroupID)).Only(ctx)
			if ent.IsNotFound(err) {
				return apperr.New(apperr.NotFound, "groupID", "tag group not found")
			}
			if err != nil {
				return err
			}
			if g.Exclusive {
				n, err := leadsWithTwo(ctx, c, tid, g.ID, &t.ID)
				if err != nil {
					return err
				}
				if n > 0 {
					return refuseExclusive("groupID", n, fmt.Sprintf("%d leads hold %q and another tag of the exclusive group %q", n, t.Name, g.Name))
				}
			}
			u.SetGroupID(g.ID)
		}
		if moved && p.ClearGroup {
			u.ClearGroupID()
		}
		out, err = u.Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Wrap(errors.Join(ErrNameTaken, err), apperr.Conflict, "name", "a tag with this name exists")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkRename refuses to rename t to name when another tag has the name,
// when t is a WeCom corp tag and name is too long for WeCom (or nothing
// sends renames to WeCom), or when a rule condition names t.
func (s *Service) checkRename(ctx context.Context, c *ent.Client, tid uuid.UUID, t *ent.Tag, name string) error {
	if t.WecomTagID != nil {
		if s.CorpTags == nil {
			return refuseWeCom("name", fmt.Sprintf("tag %q", t.Name), t.Name)
		}
		if err := weComName(name); err != nil {
			return err
		}
	}
	taken, err := c.Tag.Query().Where(tag.Name(name), tag.IDNEQ(t.ID)).Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return apperr.Wrap(ErrNameTaken, apperr.Conflict, "name", fmt.Sprintf("a tag named %q exists", name))
	}
	refs, err := references(ctx, c, tid, []*ent.Tag{t}, false)
	if err != nil {
		return err
	}
	return refuse("name", fmt.Sprintf("tag %q (rule conditions name tags by name)", t.Name), refs)
}

// DeleteTag deletes a tag that nothing names, taking it off every lead in
// one statement (their updated_at moves on, as an untag's does), and
// returns how many leads had it. A tag something names is refused
// (CONFLICT at "id" with the references). A WeCom corp tag is deleted in
// WeCom too (del_corp_tag, by the outbox task CorpTags writes).
func (s *Service) DeleteTag(ctx context.Context, id uuid.UUID) (int, error) {
	c := s.DB(ctx)
	tid, err := tenantOf(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = withTx(ctx, c, func(c *ent.Client) error {
		if err := lockWorkspace(ctx, c, lockTagNames); err != nil {
			return err
		}
		// The row lock makes concurrent tagging (whose insert takes a key
		// share lock on the tag) wait, so no edge is added behind the delete.
		t, err := c.Tag.Query().Where(tag.ID(id)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "id", "tag not found")
		}
		if err != nil {
			return err
		}
		if t.WecomTagID != nil && s.CorpTags == nil {
			return refuseWeCom("id", fmt.Sprintf("tag %q", t.Name), t.Name)
		}
		refs, err := references(ctx, c, tid, []*ent.Tag{t}, true)
		if err != nil {
			return err
		}
		if err := refuse("id", fmt.Sprintf("tag %q", t.Name), refs); err != nil {
			return err
		}
		if n, err = s.removeTags(ctx, c, tid, []uuid.UUID{id}); err != nil {
			return err
		}
		if t.WecomTagID != nil {
			return s.CorpTags.CorpTagsDeleted(ent.NewContext(ctx, c), []string{*t.WecomTagID}, nil,
				fmt.Sprintf("删除标签「%s」", t.Name))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// DeleteTagGroup deletes a group with its tags (as WeCom does), each taken
// off every lead as DeleteTag does, and returns how many lead-tag edges went.
// It is refused (CONFLICT at "id") while anything names one of its tags.
// The linked group and linked tags are deleted in WeCom too (del_corp_tag,
// by the outbox task CorpTags writes).
func (s *Service) DeleteTagGroup(ctx context.Context, id uuid.UUID) (int, error) {
	c := s.DB(ctx)
	tid, err := tenantOf(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = withTx(ctx, c, func(c *ent.Client) error {
		if err := lockWorkspace(ctx, c, lockTagNames); err != nil {
			return err
		}
		g, err := c.TagGroup.Query().Where(taggroup.ID(id)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "id", "tag group not found")
		}
		if err != nil {
			return err
		}
		if g.WecomGroupID != nil && s.CorpTags == nil {
			return refuseWeCom("id", fmt.Sprintf("tag group %q", g.Name), g.Name)
		}
		tags, err := c.Tag.Query().Where(tag.GroupID(id)).Order(ent.Asc(tag.FieldName)).ForUpdate().All(ctx)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(tags))
		var linked []Reference
		var wecomTags, wecomGroups []string
		for i, t := range tags {
			ids[i] = t.ID
			if t.WecomTagID != nil {
				linked = append(linked, Reference{Kind: RefWeCom, Name: t.Name, Tag: t.Name})
				wecomTags = append(wecomTags, *t.WecomTagID)
			}
		}
		if g.WecomGroupID != nil {
			wecomGroups = []string{*g.WecomGroupID}
		}
		if s.CorpTags == nil {
			if err := refuse("id", fmt.Sprintf("tag group %q", g.Name), linked); err != nil {
				return err
			}
		}
		refs, err := references(ctx, c, tid, tags, true)
		if err != nil {
			return err
		}
		if err := refuse("id", fmt.Sprintf("tag group %q: its tags", g.Name), refs); err != nil {
			return err
		}
		if n, err = s.removeTags(ctx, c, tid, ids); err != nil {
			return err
		}
		if err := c.TagGroup.DeleteOneID(id).Exec(ctx); err != nil {
			return err
		}
		if len(wecomTags) > 0 || len(wecomGroups) > 0 {
			return s.CorpTags.CorpTagsDeleted(ent.NewContext(ctx, c), wecomTags, wecomGroups,
				fmt.Sprintf("删除标签组「%s」", g.Name))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// removeTagsSQL takes tags $2 off every lead, moves the leads' updated_at
// on to $3, and deletes the tags, in one statement; it returns the number
// of lead-tag edges removed.
const removeTagsSQL = `
WITH removed AS (
	DELETE FROM lead_tags WHERE tenant_id = $1::uuid AND tag_id = ANY($2::uuid[])
	RETURNING lead_id
), touched AS (
	UPDATE leads SET updated_at = $3::timestamptz
	WHERE tenant_id = $1::uuid AND id IN (SELECT lead_id FROM removed)
)
SELECT count(*) FROM removed`

// removeTags takes tags off every lead (removeTagsSQL) and deletes them.
// The watchers are not told: a journey does nothing when a tag is taken
// off, and a linked tag's deletion in WeCom (del_corp_tag) takes it off
// every customer there.
func (s *Service) removeTags(ctx context.Context, c *ent.Client, tid uuid.UUID, ids []uuid.UUID) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	rows, err := c.QueryContext(ctx, removeTagsSQL, tid, uuidArray(ids), s.Now())
	if err != nil {
		return 0, fmt.Errorf("remove tags: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	rows.Close()
	if _, err := c.Tag.Delete().Where(tag.IDIn(ids...)).Exec(ctx); err != nil {
		return 0, fmt.Errorf("delete tags: %w", err)
	}
	return n, nil
}

// leadsWithTwoSQL counts the leads holding two or more tags of group $2
// (with $3, a tag about to join it, counted as one of the group's).
const leadsWithTwoSQL = `
SELECT count(*) FROM (
	SELECT lt.lead_id FROM lead_tags lt JOIN tags t ON t.tenant_id = lt.tenant_id AND t.id = lt.tag_id
	WHERE lt.tenant_id = $1::uuid AND (t.group_id = $2::uuid OR t.id = $3::uuid)
	GROUP BY lt.lead_id HAVING count(*) > 1
) two`

// leadsWithTwo counts the leads that would hold two tags of the exclusive
// group: those of the group itself, plus joining when a tag moves in.
func leadsWithTwo(ctx context.Context, c *ent.Client, tid, group uuid.UUID, joining *uuid.UUID) (int, error) {
	var j any
	if joining != nil {
		j = *joining
	}
	rows, err := c.QueryContext(ctx, leadsWithTwoSQL, tid, group, j)
	if err != nil {
		return 0, fmt.Errorf("count leads with two tags: %w", err)
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// refuseExclusive is the CONFLICT of a change that would leave n leads with
// two tags of an exclusive group (Details leadCount).
func refuseExclusive(field string, n int, msg string) error {
	e := apperr.Wrap(ErrWouldBreakExclusive, apperr.Conflict, field, msg)
	e.Details = map[string]any{"leadCount": n}
	return e
}

// refuseWeCom is the CONFLICT of a rename, move or delete of a tag or group
// linked to a WeCom corp tag when nothing sends it to WeCom (no CorpTags).
func refuseWeCom(field, what, name string) error {
	e := apperr.Wrap(ErrInUse, apperr.Conflict, field,
		what+" is a WeCom corp tag: change or delete it in WeCom, and the corp tag sync brings the change here")
	e.Details = map[string]any{"references": []Reference{{Kind: RefWeCom, Name: name, Tag: name}}, "referenceCount": 1}
	return e
}
