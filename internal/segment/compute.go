package segment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/ent/segmentversion"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// Compute evaluates the segment's rule and makes the result its current
// version. It runs as the system (no row scope): members are the workspace's,
// and readers apply their own scope. A failure is recorded on the segment
// (FAILED with the error) and leaves the current members in place.
func (s *Service) Compute(ctx context.Context, id uuid.UUID) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	started := s.now()
	var ver *ent.SegmentVersion
	var seg *ent.Segment
	err = txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		if seg, err = c.Segment.Query().Where(segment.ID(id)).ForUpdate().Only(ctx); err != nil {
			return err
		}
		last, err := c.SegmentVersion.Query().Where(segmentversion.SegmentID(id)).
			Order(ent.Desc(segmentversion.FieldVersion)).First(ctx)
		next := 1
		switch {
		case err == nil:
			next = last.Version + 1
		case !ent.IsNotFound(err):
			return err
		}
		if ver, err = c.SegmentVersion.Create().SetSegmentID(id).SetVersion(next).SetStartedAt(started).Save(ctx); err != nil {
			return err
		}
		return c.Segment.UpdateOneID(id).SetStatus(segment.StatusCOMPUTING).Exec(ctx)
	})
	if err != nil {
		return err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	timeout := s.ComputeTimeout
	if timeout <= 0 {
		timeout = DefaultComputeTimeout
	}
	var members *roaring.Bitmap
	evalErr := s.readOnly(ctx, timeout, func(tx *ent.Client) error {
		ev := &evaluator{c: tx, sch: sch, env: env{tid: tid, now: started}, visiting: map[uuid.UUID]bool{id: true}}
		var err error
		members, err = ev.members(ctx, &seg.Rule, mentionsStatus(&seg.Rule))
		return err
	})
	finished := s.now()
	next := nextRefresh(seg, finished)
	if evalErr != nil {
		msg := failure(evalErr, timeout)
		err := txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
			if err := c.SegmentVersion.UpdateOneID(ver.ID).SetStatus(segmentversion.StatusFAILED).
				SetError(msg).SetFinishedAt(finished).Exec(ctx); err != nil {
				return err
			}
			return c.Segment.UpdateOneID(id).SetStatus(segment.StatusFAILED).SetError(msg).
				SetNillableNextRefreshAt(next).Exec(ctx)
		})
		return errors.Join(fmt.Errorf("compute segment %s: %w", id, evalErr), err)
	}
	members.RunOptimize()
	blob, err := members.ToBytes()
	if err != nil {
		return err
	}
	count := int(members.GetCardinality())
	return txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		// The version this one replaces, read under the row lock that
		// serialises the replacement, for the Watcher.
		cur, err := c.Segment.Query().Where(segment.ID(id)).Select(segment.FieldVersionID).ForUpdate().Only(ctx)
		if err != nil {
			return err
		}
		if err := c.SegmentVersion.UpdateOneID(ver.ID).SetStatus(segmentversion.StatusREADY).
			SetMembers(blob).SetMemberCount(count).SetFinishedAt(finished).Exec(ctx); err != nil {
			return err
		}
		// Only a newer version replaces the current one: two computations
		// that overlap finish in either order.
		n, err := c.Segment.Update().Where(segment.ID(id), func(sel *sql.Selector) {
			sel.Where(sql.P(func(b *sql.Builder) {
				b.WriteString("(" + sel.C(segment.FieldVersionID) + " IS NULL OR (SELECT v.version FROM segment_versions v WHERE v.id = " +
					sel.C(segment.FieldVersionID) + ") < ").Arg(ver.Version).WriteString(")")
			}))
		}).SetVersionID(ver.ID).SetMemberCount(count).SetComputedAt(finished).
			SetStatus(segment.StatusREADY).ClearError().SetNillableNextRefreshAt(next).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil // a newer version won
		}
		if err := s.notifyEntered(ent.NewContext(ctx, c), c, id, cur.VersionID, members); err != nil {
			return err
		}
		_, err = c.SegmentVersion.Delete().Where(segmentversion.SegmentID(id),
			segmentversion.VersionLTE(ver.Version-keepVersions)).Exec(ctx)
		return err
	})
}

// notifyEntered tells the Watcher, in the transaction c that makes members
// current, which leads were not members of the version prev it replaces.
func (s *Service) notifyEntered(ctx context.Context, c *ent.Client, id uuid.UUID, prev *uuid.UUID, members *roaring.Bitmap) error {
	if s.Watcher == nil || prev == nil {
		return nil
	}
	watched, err := s.Watcher.Watches(ctx, id)
	if err != nil || !watched {
		return err
	}
	before, err := loadVersion(ctx, c, *prev)
	if err != nil {
		return err
	}
	entered := roaring.AndNot(members, before)
	if entered.IsEmpty() {
		return nil
	}
	return s.Watcher.SegmentEntered(ctx, id, entered)
}

func nextRefresh(seg *ent.Segment, at time.Time) *time.Time {
	if seg.Kind != segment.KindDYNAMIC || seg.RefreshEveryMinutes == nil {
		return nil
	}
	t := at.Add(time.Duration(*seg.RefreshEveryMinutes) * time.Minute)
	return &t
}

// failure is the message stored on a failed computation: no SQL, no stack.
func failure(err error, timeout time.Duration) string {
	var pe *pq.Error
	switch {
	case errors.As(err, &pe) && pe.Code == "57014":
		return fmt.Sprintf("the computation took longer than %s", timeout)
	case errors.Is(err, ErrCycle):
		return err.Error()
	case ent.IsNotFound(err):
		return "a referenced segment no longer exists"
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return "the computation failed; see the worker log"
}
