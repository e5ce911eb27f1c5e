package broadcast

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/plugins"
)

// CallbackResult counts what a provider callback changed.
type CallbackResult struct{ Matched, Ignored int }

// Callback applies a provider's status reports and replies (the channel
// plugin parses and verifies the request) to the workspace's deliveries,
// matched by provider message id or by our message id. Only forward moves
// are applied: SENT → DELIVERED or FAILED, SENT or DELIVERED → REPLIED; a
// replay changes nothing. A reply also records the event
// "broadcast.replied" on the lead, for segments and the funnel.
func (s *Service) Callback(ctx context.Context, key string, r *http.Request) (*CallbackResult, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	snd, _, err := s.sender(ctx, s.Client, key)
	if err != nil {
		return nil, err
	}
	defer snd.Close()
	cbs, err := snd.ParseCallback(r)
	if err != nil {
		return nil, err
	}
	res := &CallbackResult{}
	for _, cb := range cbs {
		at := cb.At
		if at.IsZero() {
			at = s.now()
		}
		var msgID *uuid.UUID
		if id, err := uuid.Parse(cb.MessageID); err == nil {
			msgID = &id
		}
		var from []string
		switch cb.Status {
		case plugins.StatusDelivered:
			from = []string{"SENT"}
		case plugins.StatusFailed:
			from = []string{"SENT"}
		case plugins.StatusReplied:
			from = []string{"SENT", "DELIVERED"}
		default:
			res.Ignored++
			continue
		}
		rows, err := s.Client.QueryContext(ctx, `UPDATE deliveries SET status = $4::text,
				delivered_at = CASE WHEN $4::text IN ('DELIVERED', 'REPLIED') THEN COALESCE(delivered_at, $5::timestamptz) ELSE delivered_at END,
				replied_at = CASE WHEN $4::text = 'REPLIED' THEN $5::timestamptz ELSE replied_at END,
				reply = CASE WHEN $4::text = 'REPLIED' THEN NULLIF($6::text, '') ELSE reply END,
				error = CASE WHEN $4::text = 'FAILED' THEN NULLIF($7::text, '') ELSE error END
			WHERE tenant_id = $1 AND status = ANY($8::text[])
				AND ((provider_message_id = NULLIF($2::text, '')) OR id = $3::uuid)
			RETURNING lead_id`,
			tid, cb.ProviderMessageID, msgID, string(cb.Status), at, cb.Reply, cb.Error, pq.StringArray(from))
		if err != nil {
			return res, err
		}
		var leads []uuid.UUID
		for rows.Next() {
			var l uuid.UUID
			if err := rows.Scan(&l); err != nil {
				rows.Close()
				return res, err
			}
			leads = append(leads, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, err
		}
		if len(leads) == 0 {
			res.Ignored++
			continue
		}
		res.Matched += len(leads)
		if cb.Status == plugins.StatusReplied {
			// The event and the journeys it triggers commit together.
			err := txn.Retry(ctx, s.Client, 1, func(error) bool { return false }, func(ctx context.Context, c *ent.Client) error {
				return s.Events.Record(ctx, c, leads, EventReplied, key, map[string]any{"reply": cb.Reply}, at)
			})
			if err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// EventReplied is the event a reply records on its lead.
const EventReplied = "broadcast.replied"

// WorkspaceOf reads the workspace id of a callback URL.
func WorkspaceOf(raw string) (uuid.UUID, bool) {
	id, err := gid.Decode(raw)
	if err != nil {
		if id, err = uuid.Parse(raw); err != nil {
			return uuid.Nil, false
		}
	}
	return id, true
}
