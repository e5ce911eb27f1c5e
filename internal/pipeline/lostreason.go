package pipeline

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lostreason"
	"github.com/scrmhq/scrm/internal/apperr"
)

// CreateLostReason adds a reason to the end of the workspace's lost-reason
// list. Names are unique in the workspace, archived ones included, so a
// report grouping by name never merges two reasons.
func (s *Service) CreateLostReason(ctx context.Context, name string) (*ent.LostReason, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	name, err := text("name", name, maxNameLen, true)
	if err != nil {
		return nil, err
	}
	var out *ent.LostReason
	err = withTx(ctx, c, func(c *ent.Client) error {
		taken, err := c.LostReason.Query().Where(lostreason.Name(name)).Exist(ctx)
		if err != nil {
			return err
		}
		if taken {
			return apperr.New(apperr.Conflict, "name", "a lost reason named %q exists", name)
		}
		pos := 0
		last, err := c.LostReason.Query().Order(lostreason.ByPosition(sql.OrderDesc())).First(ctx)
		switch {
		case err == nil:
			pos = last.Position + 1
		case !ent.IsNotFound(err):
			return err
		}
		out, err = c.LostReason.Create().SetName(name).SetPosition(pos).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Wrap(err, apperr.Conflict, "name", "a lost reason with this name exists")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ArchiveLostReason takes a reason off the list offered for new LOST moves;
// stage changes that recorded it keep it. Archiving twice changes nothing.
func (s *Service) ArchiveLostReason(ctx context.Context, id uuid.UUID) (*ent.LostReason, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	r, err := c.LostReason.Get(ctx, id)
	if err != nil {
		return nil, notFound(err, "id", "lost reason")
	}
	if r.Archived {
		return r, nil
	}
	return r.Update().SetArchived(true).Save(ctx)
}
