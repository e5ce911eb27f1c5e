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
	var b *ent.Broadcast
	err = txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		if b, err = c.Broadcast.Query().Where(broadcast.ID(id)).ForUpdate().Only(ctx); err != nil {
			return err
		}
		if b.Status != broadcast.StatusSCHEDULED && b.Status != broadcast.StatusPLANNING {
			b = nil
			return nil
		}
		if b.Status == broadcast.StatusSCHEDULED {
			b, err = c.Broadcast.UpdateOne(b).SetStatus(broadcast.StatusPLANNING).SetStartedAt(s.now()).Save(ctx)
		}
		return err
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
	members, err := s.Segments.Members(ctx, s.Client, seg)
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

// planChunk writes the delivery rows of one chunk of members in two
// statements: the chunk's active leads, then one INSERT ... SELECT that
// classifies each.
func (s *Service) planChunk(ctx context.Context, tid uuid.UUID, b *ent.Broadcast, seqs []int64,
	requires string, capSince *time.Time, capMax int, now time.Time) error {
	rows, err := s.Client.QueryContext(ctx, `SELECT id FROM leads WHERE tenant_id = $1 AND seq = ANY($2::bigint[]) AND status = 'ACTIVE'`,
		tid, pq.Int64Array(seqs))
	if err != nil {
		return err
	}
	var leads []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		leads = append(leads, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(leads) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(leads))
	for i := range ids {
		ids[i] = gid.New(gid.Delivery)
	}
	// suppressed is "a suppression of kind k that is in force matches the
	// lead by id, phone or email" as three index lookups.
	suppressed := func(kind string) string {
		return `(EXISTS (SELECT 1 FROM suppressions s WHERE s.tenant_id = $1 AND s.kind = '` + kind + `' AND (s.until IS NULL OR s.until > $4) AND s.lead_id = l.id)
			OR (l.phone IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions s WHERE s.tenant_id = $1 AND s.kind = '` + kind + `' AND (s.until IS NULL OR s.until > $4) AND s.phone = l.phone))
			OR (l.email IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions s WHERE s.tenant_id = $1 AND s.kind = '` + kind + `' AND (s.until IS NULL OR s.until > $4) AND s.email = l.email)))`
	}
	_, err = s.Client.ExecContext(ctx, `INSERT INTO deliveries (id, tenant_id, broadcast_id, lead_id, status, attempts)
		SELECT x.id, $1, $2, l.id, CASE
			WHEN `+suppressed("BLACKLIST")+` THEN 'SUPPRESSED_BLACKLIST'
			WHEN `+suppressed("DND")+` THEN 'SUPPRESSED_DND'
			WHEN $5 <> '' AND NOT (l.reachable ? $5) THEN 'UNREACHABLE'
			WHEN $6::timestamptz IS NOT NULL AND (SELECT count(*) FROM deliveries d
				WHERE d.tenant_id = $1 AND d.lead_id = l.id AND d.sent_at >= $6) >= $7 THEN 'SUPPRESSED_CAP'
			ELSE 'PENDING' END, 0
		FROM unnest($3::uuid[], $8::uuid[]) AS x(id, lead_id)
		JOIN leads l ON l.tenant_id = $1 AND l.id = x.lead_id
		ON CONFLICT (broadcast_id, lead_id) DO NOTHING`,
		tid, b.ID, txn.UUIDArray(ids), now, requires, capSince, capMax, txn.UUIDArray(leads))
	return err
}
