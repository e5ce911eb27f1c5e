package wecom

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/wecommedia"
	"github.com/scrmhq/scrm/internal/txn"
)

// Stored media ready ahead of the sends. A welcome must reach WeCom
// within 20 seconds of the add, and the first media/upload of a 10 MB video
// can take most of that, so the upload does not wait for the first add:
// saving a code or a broadcast whose attachments name stored media without
// a WeCom id younger than mediaRenew writes a wecom:media-ready task in the
// save's transaction (QueueMediaReady), and an hourly pass (the
// wecom:media-renew schedule in jobs) uploads again, from mediaRenew on,
// the media that live codes and broadcasts use. A welcome then finds an id
// younger than mediaFresh and calls only send_welcome_msg; its own upload
// (mediaIDs) stays the fallback for a renewal that has not succeeded.

// MediaReadyBatch is the most media one ReadyMedia pass uploads
// (Service.MediaReadyBatch, when set, instead): those whose WeCom id
// expires first (none yet, then the oldest), the rest in the next pass. A
// pass then takes minutes, not hours, however many media a workspace
// uses, and WeCom's upload limits are not spent at once: at 100 an hour
// and 12 hourly passes between MediaRenewAfter and mediaFresh, 1,200 media
// of live codes and broadcasts are kept fresh.
const MediaReadyBatch = 100

// MediaNeededWithin is how far ahead a scheduled broadcast's media are
// uploaded and renewed: a broadcast scheduled later has nothing uploaded at
// its save, and the hourly renewal uploads its media once its time comes
// within this window (a live code needs its media at any time). WeCom's ids
// live 72 hours, so an upload earlier than this would only be renewed
// before the send.
const MediaNeededWithin = 72 * time.Hour

// MediaReadiness is what one ReadyMedia pass did.
type MediaReadiness struct {
	// Uploaded is how many media it uploaded; Fresh how many already had a
	// recent id (another pass or a send got there first).
	Uploaded, Fresh int
	// Deferred is how many were due beyond the pass's batch, left for the
	// next pass.
	Deferred int
	// Refused are WeCom's refusals (or media deleted meanwhile), one line
	// each; the sends that use them report the same.
	Refused []string
}

// ReadyMedia uploads to WeCom those of the workspace's stored media ids
// whose kept WeCom media id is missing or mediaRenew old, or, when ids is
// empty, those of every medium a live code or broadcast uses (MediaUses'
// notion of live): at most a batch (MediaReadyBatch), those expiring
// first, the rest counted in Deferred. Media WeCom refused are not tried
// again. A workspace without the corp's customer-contact secret has
// nothing to send them with: nothing is done. Network errors and WeCom's
// busy errcodes are returned after every medium of the batch was tried
// (the task is retried with its backoff); WeCom's refusals are recorded on
// the media (freshMediaID) and listed in Refused.
func (s *Service) ReadyMedia(ctx context.Context, ids []uuid.UUID) (MediaReadiness, error) {
	var res MediaReadiness
	cfg, err := s.syncConfig(ctx)
	if errors.Is(err, ErrSyncNotConfigured) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if len(ids) == 0 {
		if ids, err = s.usedMedia(ctx); err != nil {
			return res, err
		}
	}
	if ids, err = s.staleMedia(ctx, s.Client, ids); err != nil {
		return res, err
	}
	if batch := s.mediaReadyBatch(); len(ids) > batch {
		ids, res.Deferred = ids[:batch], len(ids)-batch
	}
	api := s.tokens.contacts(cfg)
	var errs []error
	for _, id := range ids {
		_, uploaded, err := s.freshMediaID(ctx, api, id, mediaRenew)
		var me *MediaError
		switch {
		case errors.As(err, &me):
			res.Refused = append(res.Refused, me.Why)
		case err != nil:
			errs = append(errs, err)
		case uploaded:
			res.Uploaded++
		default:
			res.Fresh++
		}
	}
	return res, errors.Join(errs...)
}

// dueMediaRefs is liveMediaRefs without the broadcasts still scheduled
// later than $2 (now + MediaNeededWithin).
var dueMediaRefs = liveMediaRefsWhere(` AND (b.status <> 'SCHEDULED' OR b.scheduled_at <= $2)`)

// usedMedia is the ids of the stored media that the workspace's live codes
// and broadcasts name, but for broadcasts scheduled more than
// MediaNeededWithin ahead.
func (s *Service) usedMedia(ctx context.Context) ([]uuid.UUID, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.Client.QueryContext(ctx, `SELECT DISTINCT u.ref FROM (`+dueMediaRefs+`) u`, tid, s.Now().Add(MediaNeededWithin))
	if err != nil {
		return nil, fmt.Errorf("wecom: used media: %w", err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, fmt.Errorf("wecom: used media: %w", err)
		}
		if id := MediaRef(ref); id != uuid.Nil {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

// mediaReadyBatch is Service.MediaReadyBatch, or MediaReadyBatch.
func (s *Service) mediaReadyBatch() int {
	if s.MediaReadyBatch > 0 {
		return s.MediaReadyBatch
	}
	return MediaReadyBatch
}

// staleMedia is those of ids that are the workspace's stored media without
// a WeCom media id younger than mediaRenew and not refused by WeCom, those
// whose id expires first first: none yet, then the oldest.
func (s *Service) staleMedia(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return c.WeComMedia.Query().Where(wecommedia.IDIn(ids...), wecommedia.UploadFailedAtIsNil(), wecommedia.Or(wecommedia.MediaIDIsNil(),
		wecommedia.MediaUploadedAtIsNil(), wecommedia.MediaUploadedAtLTE(s.Now().Add(-mediaRenew)))).
		Order(wecommedia.ByMediaUploadedAt(sql.OrderNullsFirst()), wecommedia.ByID()).IDs(ctx)
}

// QueueBroadcastMediaReady is QueueMediaReady for a broadcast just saved:
// nothing while it is scheduled more than MediaNeededWithin ahead (the
// hourly renewal uploads its media when it comes within the window).
func (s *Service) QueueBroadcastMediaReady(ctx context.Context, b *ent.Broadcast) error {
	if b.Status == broadcast.StatusSCHEDULED && b.ScheduledAt.After(s.Now().Add(MediaNeededWithin)) {
		return nil
	}
	return s.QueueMediaReady(ctx, b.Attachments)
}

// QueueMediaReady writes, in the transaction ctx carries (the save of a
// code or a broadcast), a wecom:media-ready task for the stored media the
// attachments name that have no WeCom media id younger than mediaRenew;
// nothing when they all have one or when the service has no queue.
func (s *Service) QueueMediaReady(ctx context.Context, atts []schematype.WelcomeAttachment) error {
	if s.Queue == nil {
		return nil
	}
	var ids []uuid.UUID
	for _, a := range atts {
		for _, r := range mediaRefs(a) {
			if id := MediaRef(*r.id); id != uuid.Nil {
				ids = append(ids, id)
			}
		}
	}
	ids, err := s.staleMedia(ctx, txn.Client(ctx, s.Client), ids)
	if err != nil || len(ids) == 0 {
		return err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	return s.Queue.EnqueueWeComMediaReady(ctx, tid, ids)
}
