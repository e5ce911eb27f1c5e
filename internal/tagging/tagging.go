// Package tagging manages a workspace's tag groups and tags and puts tags on
// leads in bulk.
//
// Tag names are unique in the whole workspace, not only in their group:
// ingest, imports and segment rules name tags by name, and a name that meant
// two tags would make them ambiguous. In an exclusive group a lead carries at
// most one tag: tagging with another tag of the group replaces it.
//
// The Service works in the transaction the context carries, or opens its
// own. Bulk writes are set-based: one statement per batch, whatever the
// number of leads.
package tagging

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/ent/taggroup"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service creates tags and tag groups and tags leads, in the transaction
// the context carries or in its own.
type Service struct {
	txn.Root
	// Watchers learn, in the tagging transaction, which leads got or lost
	// which tags (journeys triggered by a tag, WeCom's mark_tag).
	Watchers []Watcher
	// CorpTags, when set, sends renames and deletes of tags and groups
	// linked to WeCom corp tags to WeCom; nil refuses them (manage.go).
	CorpTags CorpTags
}

// Watcher is told about new and removed lead-tag edges (internal/journey,
// internal/wecom); ctx carries the tagging transaction.
type Watcher interface {
	// TagsAdded gets the leads that got each tag (tag → leads).
	TagsAdded(ctx context.Context, added map[uuid.UUID][]uuid.UUID) error
	// TagsRemoved gets the leads that lost each tag (untagged, or replaced
	// by another tag of an exclusive group).
	TagsRemoved(ctx context.Context, removed map[uuid.UUID][]uuid.UUID) error
}

// New returns the service over the root client c with the clock now (nil:
// the system clock); app.New builds the one the processes use.
func New(c *ent.Client, now func() time.Time) *Service {
	return &Service{Root: txn.NewRoot(c).WithClock(now)}
}

// Sentinel errors, the causes inside the apperr errors this package returns,
// for callers that branch with errors.Is.
var (
	// ErrNameTaken refuses a tag or group name already in use.
	ErrNameTaken = errors.New("name already in use")
	// ErrExclusive refuses two tags of one exclusive group in one call.
	ErrExclusive = errors.New("two tags of an exclusive group")
)

// Length limits in characters, matching the schema.
const (
	maxNameLen  = 100
	maxColorLen = 32
)

// CreateTagGroup creates a tag group and, in the same transaction, a tag for
// each of tags (in that order, without colour). exclusive groups allow at most
// one of their tags per lead; position orders groups in lists.
func (s *Service) CreateTagGroup(ctx context.Context, name string, exclusive bool, position int, tags []string) (*ent.TagGroup, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	name, err := text("name", name, maxNameLen, true)
	if err != nil {
		return nil, err
	}
	if position < 0 {
		return nil, apperr.Input("position", "position must not be negative")
	}
	names := make([]string, len(tags))
	seen := make(map[string]int, len(tags))
	for i, t := range tags {
		field := fmt.Sprintf("tags[%d]", i)
		if names[i], err = text(field, t, maxNameLen, true); err != nil {
			return nil, err
		}
		if j, dup := seen[names[i]]; dup {
			return nil, apperr.Input(field, "tag %q is also tags[%d]", names[i], j)
		}
		seen[names[i]] = i
	}
	var out *ent.TagGroup
	err = withTx(ctx, c, func(c *ent.Client) error {
		if err := lockWorkspace(ctx, c, lockTagNames); err != nil {
			return err
		}
		taken, err := c.TagGroup.Query().Where(taggroup.Name(name)).Exist(ctx)
		if err != nil {
			return err
		}
		if taken {
			return apperr.Wrap(ErrNameTaken, apperr.Conflict, "name", fmt.Sprintf("a tag group named %q exists", name))
		}
		if len(names) > 0 {
			existing, err := c.Tag.Query().Where(tag.NameIn(names...)).Select(tag.FieldName).Strings(ctx)
			if err != nil {
				return err
			}
			if len(existing) > 0 {
				// Report the first clash in the caller's order, not the database's.
				clash := make(map[string]bool, len(existing))
				for _, n := range existing {
					clash[n] = true
				}
				for i, n := range names {
					if clash[n] {
						return apperr.Wrap(ErrNameTaken, apperr.Conflict, fmt.Sprintf("tags[%d]", i), fmt.Sprintf("a tag named %q exists", n))
					}
				}
			}
		}
		g, err := c.TagGroup.Create().SetName(name).SetExclusive(exclusive).SetPosition(position).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Wrap(errors.Join(ErrNameTaken, err), apperr.Conflict, "name", "a tag group with this name exists")
		}
		if err != nil {
			return err
		}
		creates := make([]*ent.TagCreate, len(names))
		for i, n := range names {
			creates[i] = c.Tag.Create().SetName(n).SetGroupID(g.ID)
		}
		g.Edges.Tags, err = c.Tag.CreateBulk(creates...).Save(ctx)
		if err != nil {
			return err
		}
		out = g
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateTag creates a tag, in group groupID or in no group.
func (s *Service) CreateTag(ctx context.Context, name, color string, groupID *uuid.UUID) (*ent.Tag, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	name, err := text("name", name, maxNameLen, true)
	if err != nil {
		return nil, err
	}
	if color, err = text("color", color, maxColorLen, false); err != nil {
		return nil, err
	}
	var out *ent.Tag
	err = withTx(ctx, c, func(c *ent.Client) error {
		if groupID != nil {
			ok, err := c.TagGroup.Query().Where(taggroup.ID(*groupID)).Exist(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return apperr.New(apperr.NotFound, "groupID", "tag group not found")
			}
		}
		if err := lockWorkspace(ctx, c, lockTagNames); err != nil {
			return err
		}
		taken, err := c.Tag.Query().Where(tag.Name(name)).Exist(ctx)
		if err != nil {
			return err
		}
		if taken {
			return apperr.Wrap(ErrNameTaken, apperr.Conflict, "name", fmt.Sprintf("a tag named %q exists", name))
		}
		out, err = c.Tag.Create().SetName(name).SetColor(color).SetNillableGroupID(groupID).Save(ctx)
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
