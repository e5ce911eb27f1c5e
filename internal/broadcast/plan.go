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
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/suppress"
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
			next, err = s.nextRun(ctx, c, b)
		}
		return err
	})
	if err != nil || b == nil {
		return err
	}
	if next != nil && s.Queue != nil {
		if err := s.Queue.EnqueueBroadcastPlan(ctx, tid, next.ID, next.ScheduledAt); err != nil {
			return err
		}
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
	n, err := s.Client.Broadcast.Update().Where(broadcast.ID(id), broadcast.StatusEQ(broadcast.StatusPLANNING)).
		SetStatus(broadcast.StatusSENDING).Save(ctx)
	if err != nil || n == 0 || s.Queue == nil {
		return err
	}
	return s.Queue.EnqueueBroadcastSend(ctx, tid, id, time.Time{})
}

// errPlanStop marks planning failures that are the broadcast's own (no
// members to snapshot): recorded, not retried.
var errPlanStop = errors.New("plan stopped")

func (s *Service) plan(ctx context.Context, tid uuid.UUID, b *ent.Broadcast) error {
	seg, err := s.Client.Segment.Get(ctx, b.SegmentID)
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

// planChunk writes the delivery rows of one chunk of members in one
// statement: the chunk's active leads, their suppressions and recent message
// counts gathered with hash joins (no per-row subqueries), then one row per
// lead classified in precedence order. Row ids are type-carrying UUIDv7s
// (internal/gid) made in SQL: the time in milliseconds, the Delivery type
// code, random bits.
func (s *Service) planChunk(ctx context.Context, tid uuid.UUID, b *ent.Broadcast, seqs []int64,
	requires string, capSince *time.Time, capMax int, now time.Time) error {
	probe := gid.New(gid.Delivery)
	_, err := s.Client.ExecContext(ctx, `WITH l AS MATERIALIZED (
			SELECT id, phone, email, reachable FROM leads
			WHERE tenant_id = $1 AND seq = ANY($3::bigint[]) AND status = 'ACTIVE'),
		s AS MATERIALIZED (
			`+suppress.InForceSQL("$1", "$4")+`),
		hit AS MATERIALIZED (
			SELECT l.id, s.kind FROM l JOIN s ON s.lead_id = l.id
			UNION ALL SELECT l.id, s.kind FROM l JOIN s ON s.phone = l.phone
			UNION ALL SELECT l.id, s.kind FROM l JOIN s ON s.email = l.email),
		flags AS MATERIALIZED (
			SELECT id, bool_or(kind = 'BLACKLIST') AS blacklist, bool_or(kind = 'DND') AS dnd FROM hit GROUP BY id),
		recent AS MATERIALIZED (
			SELECT d.lead_id, count(*) AS n FROM deliveries d JOIN l ON l.id = d.lead_id
			WHERE d.tenant_id = $1 AND $6::timestamptz IS NOT NULL AND d.sent_at >= $6::timestamptz GROUP BY d.lead_id)
		INSERT INTO deliveries (id, tenant_id, broadcast_id, lead_id, status, attempts)
		SELECT `+gid.NewSQLMillis(`(extract(epoch FROM clock_timestamp()) * 1000)::int8`, "$8::bytea")+`,
			$1, $2, l.id, CASE
				WHEN f.blacklist THEN 'SUPPRESSED_BLACKLIST'
				WHEN f.dnd THEN 'SUPPRESSED_DND'
				WHEN $5 <> '' AND NOT (l.reachable ? $5) THEN 'UNREACHABLE'
				WHEN r.n >= $7 THEN 'SUPPRESSED_CAP'
				ELSE 'PENDING' END, 0
		FROM l LEFT JOIN flags f ON f.id = l.id LEFT JOIN recent r ON r.lead_id = l.id
		ON CONFLICT (tenant_id, broadcast_id, lead_id) DO NOTHING`,
		tid, b.ID, pq.Int64Array(seqs), now, requires, capSince, capMax, []byte{probe[6], probe[7]})
	return err
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
	return c.Broadcast.Create().SetName(b.Name).SetSegmentID(b.SegmentID).SetChannel(b.Channel).SetSubject(b.Subject).
		SetTemplate(b.Template).SetScheduledAt(sched.Next(after)).SetRatePerSecond(b.RatePerSecond).
		SetNillableCapMax(b.CapMax).SetNillableCapDays(b.CapDays).SetNillableQuietStart(b.QuietStart).
		SetNillableQuietEnd(b.QuietEnd).SetNillableQuietTimezone(b.QuietTimezone).SetCron(b.Cron).
		SetNillableSeriesID(b.SeriesID).SetNillableCreatedByID(b.CreatedByID).Save(ctx)
}
