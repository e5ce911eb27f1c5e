package broadcast

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/channel"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/plugins"
)

// planChunk is how many members one planning statement writes.
const planChunk = 20000

// Plan snapshots the broadcast's segment and writes one delivery row per
// active member, marking the ones that must not be sent: blacklisted, on
// the do-not-disturb list, without the channel, or over the frequency cap
// (in that order of precedence). Rows are unique per (broadcast, lead), so
// a plan interrupted and run again completes without duplicates. A
// cancelled or already planned broadcast is left alone. Then the sending
// loop is queued.
func (s *Service) Plan(ctx context.Context, id uuid.UUID) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	var b, next *ent.Broadcast
	err = txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		if b, err = c.Broadcast.Query().Where(broadcast.ID(id)).ForUpdate().Only(ctx); err != nil {
			return err
		}
		if b.Status != broadcast.StatusSCHEDULED && b.Status != broadcast.StatusPLANNING {
			b = nil
			return nil
		}
		if b.Status == broadcast.StatusSCHEDULED {
			if b, err = c.Broadcast.UpdateOne(b).SetStatus(broadcast.StatusPLANNING).SetStartedAt(s.now()).Save(ctx); err != nil {
				return err
			}
			if next, err = s.nextRun(ctx, c, b); err != nil {
				return err
			}
		}
		if next != nil && s.Queue != nil {
			return s.Queue.EnqueueBroadcastPlan(ent.NewContext(ctx, c), tid, next.ID, next.ScheduledAt)
		}
		return nil
	})
	if err != nil || b == nil {
		return err
	}
	if err := s.plan(ctx, tid, b); err != nil {
		var failure error = err
		if !errors.Is(err, errPlanStop) {
			failure = errors.New("planning failed; see the worker log")
		}
		if ferr := s.Client.Broadcast.Update().Where(broadcast.ID(id), broadcast.StatusEQ(broadcast.StatusPLANNING)).
			SetStatus(broadcast.StatusFAILED).SetError(failure.Error()).SetFinishedAt(s.now()).Exec(ctx); ferr != nil {
			return errors.Join(err, ferr)
		}
		if errors.Is(err, errPlanStop) {
			return nil // recorded on the broadcast; retrying cannot help
		}
		return err
	}
	// SENDING and the loop's task commit together (the outbox rule).
	return txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		n, err := c.Broadcast.Update().Where(broadcast.ID(id), broadcast.StatusEQ(broadcast.StatusPLANNING)).
			SetStatus(broadcast.StatusSENDING).Save(ctx)
		if err != nil || n == 0 || s.Queue == nil {
			return err
		}
		return s.Queue.EnqueueBroadcastSend(ent.NewContext(ctx, c), tid, id, time.Time{})
	})
}

// errPlanStop marks planning failures that are the broadcast's own (no
// members to snapshot): recorded, not retried.
var errPlanStop = errors.New("plan stopped")

func (s *Service) plan(ctx context.Context, tid uuid.UUID, b *ent.Broadcast) error {
	if b.SegmentID == nil {
		return fmt.Errorf("%w: the broadcast has no segment", errPlanStop)
	}
	seg, err := s.Client.Segment.Get(ctx, *b.SegmentID)
	if err != nil {
		return fmt.Errorf("%w: the segment no longer exists", errPlanStop)
	}
	if seg.VersionID == nil {
		return fmt.Errorf("%w: the segment %q has not been computed yet", errPlanStop, seg.Name)
	}
	members, err := s.Segments.Members(ctx, seg)
	if err != nil {
		return err
	}
	plug, ok := plugins.Lookup(b.Channel)
	if !ok {
		return fmt.Errorf("%w: channel %q is not installed", errPlanStop, b.Channel)
	}
	ch, err := s.Client.Channel.Query().Where(channel.Key(b.Channel)).Only(ctx)
	if err != nil {
		return fmt.Errorf("%w: channel %q is not configured", errPlanStop, b.Channel)
	}
	need := requires(plug, ch)
	now := s.now()
	var capSince *time.Time
	capMax := 0
	if b.CapMax != nil && b.CapDays != nil {
		t := now.Add(-time.Duration(*b.CapDays) * 24 * time.Hour)
		capSince, capMax = &t, *b.CapMax
	}
	var after int64
	for {
		seqs, more := segment.Page(members, after, planChunk)
		if len(seqs) == 0 {
			return nil
		}
		after = seqs[len(seqs)-1]
		if err := s.planChunk(ctx, tid, b, seqs, need, capSince, capMax, now); err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
}

// planChunk writes the delivery rows of one chunk of members (planRows).
func (s *Service) planChunk(ctx context.Context, tid uuid.UUID, b *ent.Broadcast, seqs []int64,
	requires string, capSince *time.Time, capMax int, now time.Time) error {
	return s.planRows(ctx, s.Client, tid, b, `seq = ANY($3::bigint[])`, pq.Int64Array(seqs), requires, capSince, capMax, now)
}

// nextRun schedules the next run of a recurring broadcast when this one
// starts: a copy at the spec's next time after this run's (and after now).
func (s *Service) nextRun(ctx context.Context, c *ent.Client, b *ent.Broadcast) (*ent.Broadcast, error) {
	if b.Cron == "" {
		return nil, nil
	}
	sched, _, err := schedule(b.Cron, "UTC")
	if err != nil {
		return nil, nil // a spec that no longer parses ends the series
	}
	after := b.ScheduledAt
	if now := s.now(); now.After(after) {
		after = now
	}
	create := c.Broadcast.Create()
	if len(b.Attachments) > 0 {
		create.SetAttachments(b.Attachments)
	}
	return create.SetName(b.Name).SetNillableSegmentID(b.SegmentID).SetChannel(b.Channel).SetSubject(b.Subject).
		SetTemplate(b.Template).SetScheduledAt(sched.Next(after)).SetRatePerSecond(b.RatePerSecond).
		SetNillableCapMax(b.CapMax).SetNillableCapDays(b.CapDays).SetNillableQuietStart(b.QuietStart).
		SetNillableQuietEnd(b.QuietEnd).SetNillableQuietTimezone(b.QuietTimezone).SetCron(b.Cron).
		SetNillableSeriesID(b.SeriesID).SetNillableCreatedByID(b.CreatedByID).Save(ctx)
}
