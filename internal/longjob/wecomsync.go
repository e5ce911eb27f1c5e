package longjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/job"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/wecom"
)

// StartWeComSync queues a sync of the corp's customers (internal/wecom
// SyncContacts).
func (s *Service) StartWeComSync(ctx context.Context) (*ent.Job, error) {
	raw, err := json.Marshal(input{Viewer: auth.FromContext(ctx)})
	if err != nil {
		return nil, err
	}
	return s.create(ctx, newJob{kind: job.KindWECOM_SYNC, input: raw})
}

// runWeComSync runs the sync as the callbacks do, without a viewer (the
// customers are the corp's, whoever asked), recording its progress after
// every chunk of relationships. A rerun skips what the first one wrote.
func (s *Service) runWeComSync(ctx context.Context, j *ent.Job) error {
	if s.WeCom == nil {
		return fmt.Errorf("%w: WeCom is not available in this process", ErrPermanent)
	}
	ctx = auth.NewContext(ctx, nil)
	err := s.WeCom.SyncContacts(ctx, func(ctx context.Context, done, failed, total int) error {
		if total != j.Total {
			j.Total = total
			if err := s.DB(ctx).Job.UpdateOneID(j.ID).SetTotal(total).Exec(ctx); err != nil {
				return err
			}
		}
		cancelled, err := s.progress(ctx, s.DB(ctx), j.ID, done, failed, nil)
		if err == nil && cancelled {
			err = ErrCancelled
		}
		return err
	})
	if errors.Is(err, wecom.ErrSyncNotConfigured) {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	return err
}
