package tagging

import (
	"context"
	"errors"
	"fmt"

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
// Tags and groups linked to a WeCom corp tag are renamed, moved and deleted
// in WeCom: the corp tag sync (internal/wecom) takes WeCom's names over the
// workspace's and unlinks what WeCom deleted, and no task sends a rename or
// a delete the other way, so here they are refused (WECOM_CORP_TAG) rather
// than undone by the next sync. A colour, which WeCom does not have, and a
// group's exclusive flag and position may change.

// Sentinel errors of this file, inside the apperr errors returned.
var (
	// ErrInUse refuses to delete or rename a tag that something names.
	ErrInUse = errors.New("tag in use")
	// ErrWouldBreakExclusive refuses to make a group exclusive (or to move
	// a tag into an exclusive group) while leads would hold two of its tags.
	ErrWouldBreakExclusive = errors.New("leads hold two tags of the group")
)

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
				return refuseWeCom("name", fmt.Sprintf("tag group %q", g.Name), g.Name)
			}
			taken, err := c.TagGroup.Query().Where(taggroup.Name(*p.Name), taggroup.IDNEQ(id)).Exist(ctx)
			if err != nil {
				return err
			}
			if taken {
				return apperr.Wrap(ErrNameTaken, apperr.Conflict, "name", fmt.Sprintf("a tag group named %q exists", *p.Name))
			}
			u.SetName(*p.Name)
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
		if p.Name != nil && *p.Name != t.Name {
			if err := s.checkRename(ctx, c, tid, t, *p.Name); err != nil {
				return err
			}
			u.SetName(*p.Name)
		}
		if p.Color != nil {
			u.SetColor(*p.Color)
		}
		moved := (p.GroupID != nil && (t.GroupID == nil || *t.GroupID != *p.GroupID)) || (p.ClearGroup && t.GroupID != nil)
		if moved && t.WecomTagID != nil {
			return refuseWeCom("groupID", fmt.Sprintf("tag %q", t.Name), t.Name)
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
// when t is a WeCom corp tag, or when a rule condition names t.
func (s *Service) checkRename(ctx context.Context, c *ent.Client, tid uuid.UUID, t *ent.Tag, name string) error {
	if t.WecomTagID != nil {
		return refuseWeCom("name", fmt.Sprintf("tag %q", t.Name), t.Name)
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
// (CONFLICT at "id" with the references), as is a WeCom corp tag.
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
		if t.WecomTagID != nil {
			return refuseWeCom("id", fmt.Sprintf("tag %q", t.Name), t.Name)
		}
		refs, err := references(ctx, c, tid, []*ent.Tag{t}, true)
		if err != nil {
			return err
		}
		if err := refuse("id", fmt.Sprintf("tag %q", t.Name), refs); err != nil {
			return err
		}
		n, err = s.removeTags(ctx, c, tid, []uuid.UUID{id})
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// DeleteTagGroup deletes a group with its tags (as WeCom does), each taken
// off every lead as DeleteTag does, and returns how many lead-tag edges went.
// It is refused (CONFLICT at "id") while anything names one of its tags, or
// when the group or one of its tags is linked to a WeCom corp tag.
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
		if g.WecomGroupID != nil {
			return refuseWeCom("id", fmt.Sprintf("tag group %q", g.Name), g.Name)
		}
		tags, err := c.Tag.Query().Where(tag.GroupID(id)).Order(ent.Asc(tag.FieldName)).ForUpdate().All(ctx)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(tags))
		var linked []Reference
		for i, t := range tags {
			ids[i] = t.ID
			if t.WecomTagID != nil {
				linked = append(linked, Reference{Kind: RefWeCom, Name: t.Name, Tag: t.Name})
			}
		}
		if err := refuse("id", fmt.Sprintf("tag group %q", g.Name), linked); err != nil {
			return err
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
		return c.TagGroup.DeleteOneID(id).Exec(ctx)
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
// off, and WeCom's mark_tag concerns linked tags only, which are never
// deleted here.
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
// linked to a WeCom corp tag, which is done in WeCom.
func refuseWeCom(field, what, name string) error {
	e := apperr.Wrap(ErrInUse, apperr.Conflict, field,
		what+" is a WeCom corp tag: change or delete it in WeCom, and the corp tag sync brings the change here")
	e.Details = map[string]any{"references": []Reference{{Kind: RefWeCom, Name: name, Tag: name}}, "referenceCount": 1}
	return e
}
