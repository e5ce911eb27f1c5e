package broadcast

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/delivery"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/plugins"
)

// Sending. One loop per broadcast sends its PENDING rows: it holds a
// session advisory lock on its own connection, so a second loop (a retried
// task, a sweep) exits at once, and a loop whose worker died releases the
// lock with its connection. Each row is claimed (SENDING) before it is sent
// and marked SENT with the provider's message id right after, one row at a
// time. A row left SENDING can only belong to a loop that died mid-send:
// the next loop sends it again with the same message id, which channels pass
// to providers as the idempotency key, so the recipient gets it once. Rows
// are claimed in batches, but the broadcast's status is read again before
// each message, so a cancel stops the loop at the next message.
//
// The loop's own statements run on its locked connection with
// synchronous_commit off: a row's new state is committed at once (other
// sessions see it; a dead worker loses nothing) without waiting for the WAL
// flush. Only a crash of PostgreSQL itself can lose the last fraction of a
// second of them, which puts those rows back to SENDING, and they are sent
// again under the same idempotency key.

const (
	lockClass = 7402
	// maxAttempts is how many temporary failures a row gets before FAILED.
	maxAttempts = 5
	// outage pauses the loop after this many temporary failures in a row.
	outage = 20
	// outagePause is when the loop tries again after an outage.
	outagePause = 30 * time.Second
)

// Send runs the sending loop of a broadcast until its rows are sent, it is
// cancelled, its quiet hours start (it is PAUSED and resumes when they end)
// or the channel fails repeatedly (it resumes after a pause).
//
// A lost database connection (PostgreSQL restarting, a network cut) does
// not end the loop: it waits for the database, takes the broadcast's lock
// again on a new connection and goes on, first recording the message that
// was in flight when the connection broke. If another loop took the lock
// meanwhile, this one exits and the other sends that message again under
// its key.
func (s *Service) Send(ctx context.Context, id uuid.UUID) error {
	if done, err := s.sendGroup(ctx, id); done || err != nil {
		return err
	}
	var inflight []sentRow
	for tries := 0; ; tries++ {
		err := s.send(ctx, id, &inflight)
		if err == nil || !lostConnection(err) || tries >= maxReconnects || ctx.Err() != nil {
			return err
		}
		if err := s.wait(ctx, reconnectDelay(tries)); err != nil {
			return err
		}
	}
}

// sendGroup runs a pass of a WeCom staff mass send when the broadcast is
// one (done reports it was): quiet hours pause it as they pause the loop,
// and the broadcast is DONE once every template's results are known. While
// members have not sent their templates the broadcast stays SENDING, and
// the resume pass runs the next pass.
func (s *Service) sendGroup(ctx context.Context, id uuid.UUID) (done bool, err error) {
	if s.Group == nil {
		return false, nil
	}
	b, err := s.Client.Broadcast.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if b.Channel != "wecom" {
		return false, nil
	}
	if ok, err := s.Group.Handles(ctx); err != nil || !ok {
		return false, err
	}
	if b.Status == broadcast.StatusCANCELLED {
		// Under the loop's lock, so no pass makes a template meanwhile; a
		// pass still running makes this task retry after it.
		conn, err := s.lockConn(ctx, id)
		if err != nil {
			return true, err
		}
		if conn == nil {
			return true, fmt.Errorf("broadcast %s: a send pass is running; its templates are cancelled on the retry", id)
		}
		defer conn.Close()
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1::int4, hashtext($2::text))`, lockClass, id.String()) //nolint:errcheck // released with the connection anyway
		return true, s.Group.CancelGroup(ctx, b)
	}
	if b.Status != broadcast.StatusSENDING && b.Status != broadcast.StatusPAUSED {
		return true, nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return true, err
	}
	if until, quiet := quietUntil(b, s.now()); quiet {
		return true, s.pause(ctx, tid, id, until)
	}
	if b.Status == broadcast.StatusPAUSED {
		if b, err = s.Client.Broadcast.UpdateOne(b).SetStatus(broadcast.StatusSENDING).Save(ctx); err != nil {
			return true, err
		}
	}
	// The loop's session lock: one pass per broadcast at a time, so two
	// passes never make the same template.
	conn, err := s.lockConn(ctx, id)
	if err != nil || conn == nil {
		return true, err
	}
	defer conn.Close()
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1::int4, hashtext($2::text))`, lockClass, id.String()) //nolint:errcheck // released with the connection anyway
	pending, err := s.Group.SendGroup(ctx, b)
	if err != nil || pending {
		return true, err
	}
	return true, s.Client.Broadcast.Update().Where(broadcast.ID(id), broadcast.StatusEQ(broadcast.StatusSENDING)).
		SetStatus(broadcast.StatusDONE).SetFinishedAt(s.now()).Exec(ctx)
}

// maxReconnects bounds how often one loop reconnects (about three minutes
// of waiting); after that the task fails and Asynq's retry or the resume
// pass starts a new loop.
const maxReconnects = 40

func reconnectDelay(tries int) time.Duration {
	return min(250*time.Millisecond<<min(tries, 5), 5*time.Second)
}

// lostConnection reports whether err means the database connection broke
// or the database could not be reached, as opposed to a statement failing.
func lostConnection(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		// Connection exceptions; the server shutting down or starting up.
		return pe.Code.Class() == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	return false
}

// sentRow is a message the channel accepted whose row is not recorded yet.
type sentRow struct {
	id         uuid.UUID
	status     delivery.Status
	providerID string
}

// lockConn returns a connection of the pool holding the broadcast's session
// lock, or nil when another loop holds it. A pooled connection may be dead
// (the database restarted while it was idle); it is discarded and the next
// one tried.
func (s *Service) lockConn(ctx context.Context, id uuid.UUID) (*sql.Conn, error) {
	for range 64 {
		conn, err := s.DB.Conn(ctx)
		if err != nil {
			return nil, err
		}
		var locked bool
		err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1::int4, hashtext($2::text))`, lockClass, id.String()).Scan(&locked)
		if errors.Is(err, driver.ErrBadConn) {
			_ = conn.Close()
			continue
		}
		if err != nil || !locked {
			_ = conn.Close()
			return nil, err
		}
		return conn, nil
	}
	return nil, driver.ErrBadConn
}

// send is one run of the loop on one connection; inflight carries the
// messages a lost connection could not record to the next run.
func (s *Service) send(ctx context.Context, id uuid.UUID, inflight *[]sentRow) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	conn, err := s.lockConn(ctx, id)
	if err != nil || conn == nil {
		return err // nil: another loop is sending this broadcast
	}
	defer conn.Close()
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1::int4, hashtext($2::text))`, lockClass, id.String()) //nolint:errcheck // released with the connection anyway
	if _, err := conn.ExecContext(ctx, `SET synchronous_commit = off`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `RESET synchronous_commit`) //nolint:errcheck // a pooled connection must not keep it
	lp := &loop{Service: s, conn: conn, tid: tid}
	// This loop holds the lock: a row still SENDING was sent by the run
	// before and is recorded now instead of being sent again.
	for len(*inflight) > 0 {
		r := (*inflight)[0]
		if err := lp.sent(ctx, r.id, r.status, r.providerID); err != nil {
			return err
		}
		*inflight = (*inflight)[1:]
	}

	b, err := s.Client.Broadcast.Get(ctx, id)
	if err != nil {
		return err
	}
	if b.Status != broadcast.StatusSENDING && b.Status != broadcast.StatusPAUSED {
		return nil
	}
	sch, err := s.Segments.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	tpl, err := ParseTemplate("template", b.Template, sch)
	if err != nil {
		return s.fail(ctx, id, "the template no longer renders: "+err.Error())
	}
	snd, need, err := s.sender(ctx, s.Client, b.Channel)
	if lostConnection(err) {
		return err // not the channel's fault: try again, do not fail the broadcast
	}
	if err != nil {
		return s.fail(ctx, id, err.Error())
	}
	defer snd.Close()
	batch := min(max(b.RatePerSecond, 10), 500)
	interval := time.Second / time.Duration(b.RatePerSecond)
	failures := 0
	for {
		b, err = s.Client.Broadcast.Get(ctx, id)
		if err != nil {
			return err
		}
		if b.Status == broadcast.StatusCANCELLED {
			return nil
		}
		if until, quiet := quietUntil(b, s.now()); quiet {
			return s.pause(ctx, tid, id, until)
		}
		if b.Status == broadcast.StatusPAUSED {
			if err := s.Client.Broadcast.UpdateOne(b).SetStatus(broadcast.StatusSENDING).Exec(ctx); err != nil {
				return err
			}
		}
		rows, err := lp.claim(ctx, id, batch)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return s.Client.Broadcast.Update().Where(broadcast.ID(id), broadcast.StatusEQ(broadcast.StatusSENDING)).
				SetStatus(broadcast.StatusDONE).SetFinishedAt(s.now()).Exec(ctx)
		}
		leads, err := s.leadsOf(ctx, rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := s.wait(ctx, interval); err != nil {
				return lp.release(context.WithoutCancel(ctx), rows)
			}
			l := leads[r.leadID]
			if l == nil {
				lp.finish(ctx, r.id, delivery.StatusFAILED, "the lead no longer exists")
				continue
			}
			rcpt := recipient(l)
			if !snd.Reachable(rcpt) || (need != "" && !slices.Contains(rcpt.Reachable, need)) {
				lp.finish(ctx, r.id, delivery.StatusUNREACHABLE, "")
				continue
			}
			body, err := tpl.Render(data(l, sch))
			if err != nil {
				lp.finish(ctx, r.id, delivery.StatusFAILED, "template: "+err.Error())
				continue
			}
			// A cancel ends the loop before the next message, not after the
			// batch: only a message already with the channel may still go.
			if stop, err := lp.stopped(ctx, id); err != nil {
				return err
			} else if stop {
				return lp.release(context.WithoutCancel(ctx), rows)
			}
			rec, err := snd.Send(ctx, plugins.Message{ID: r.id.String(), BroadcastID: id.String(), To: rcpt, Subject: b.Subject, Body: body})
			switch {
			case err == nil:
				failures = 0
				st := delivery.StatusSENT
				if rec.Status == plugins.StatusDelivered {
					st = delivery.StatusDELIVERED
				}
				if err := lp.sent(ctx, r.id, st, rec.ProviderMessageID); err != nil {
					*inflight = append(*inflight, sentRow{id: r.id, status: st, providerID: rec.ProviderMessageID})
					return err
				}
			case plugins.IsPermanent(err):
				failures = 0
				lp.finish(ctx, r.id, delivery.StatusFAILED, errText(err))
			case ctx.Err() != nil:
				return lp.release(context.WithoutCancel(ctx), rows)
			default:
				failures++
				if r.attempts >= maxAttempts {
					lp.finish(ctx, r.id, delivery.StatusFAILED, errText(err))
				} else if err := lp.set(ctx, r.id, "PENDING", errText(err)); err != nil {
					return err
				}
				if failures >= outage {
					if err := lp.release(ctx, rows); err != nil {
						return err
					}
					return s.Queue.EnqueueBroadcastSend(ctx, tid, id, s.now().Add(outagePause))
				}
			}
		}
	}
}

type claimed struct {
	id, leadID uuid.UUID
	attempts   int
}

// loop is one sending loop's connection (holding the broadcast's lock).
type loop struct {
	*Service
	conn *sql.Conn
	tid  uuid.UUID
}

// claim takes up to n rows to send: PENDING ones and any left SENDING by a
// loop that died (this loop holds the broadcast's lock, so no live loop owns
// them).
func (l *loop) claim(ctx context.Context, id uuid.UUID, n int) ([]claimed, error) {
	rows, err := l.conn.QueryContext(ctx, `UPDATE deliveries SET status = 'SENDING', claimed_at = $3, attempts = attempts + 1
		WHERE id IN (SELECT id FROM deliveries WHERE tenant_id = $1 AND broadcast_id = $2 AND status IN ('PENDING', 'SENDING')
			ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING id, lead_id, attempts`, l.tid, id, l.now(), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []claimed
	for rows.Next() {
		var c claimed
		if err := rows.Scan(&c.id, &c.leadID, &c.attempts); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b claimed) int { return compareUUID(a.id, b.id) })
	return out, rows.Err()
}

func compareUUID(a, b uuid.UUID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// stopped reports whether the broadcast was cancelled (or failed) since the
// loop last looked: one primary-key read on the loop's connection, made
// right before each message is handed to the channel.
func (l *loop) stopped(ctx context.Context, id uuid.UUID) (bool, error) {
	var st string
	err := l.conn.QueryRowContext(ctx, `SELECT status FROM broadcasts WHERE tenant_id = $1 AND id = $2`, l.tid, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return st != string(broadcast.StatusSENDING) && st != string(broadcast.StatusPAUSED), nil
}

// release puts the rows of an interrupted batch that were not sent back to
// PENDING.
func (l *loop) release(ctx context.Context, rows []claimed) error {
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	_, err := l.conn.ExecContext(ctx, `UPDATE deliveries SET status = 'PENDING' WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'SENDING'`,
		l.tid, txn.UUIDArray(ids))
	return err
}

func (s *Service) leadsOf(ctx context.Context, rows []claimed) (map[uuid.UUID]*ent.Lead, error) {
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.leadID
	}
	ls, err := s.Client.Lead.Query().Where(lead.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]*ent.Lead, len(ls))
	for _, l := range ls {
		out[l.ID] = l
	}
	return out, nil
}

func recipient(l *ent.Lead) plugins.Recipient {
	return plugins.Recipient{LeadID: l.ID.String(), Name: l.Name, Phone: deref(l.Phone), Email: deref(l.Email),
		UnionID: deref(l.UnionID), OpenID: deref(l.OpenID), ExternalID: deref(l.ExternalID),
		Reachable: l.Reachable, Attributes: l.Attributes}
}

// sent records a message the channel accepted; only a row still SENDING
// moves (a callback may already have moved it further).
func (l *loop) sent(ctx context.Context, id uuid.UUID, st delivery.Status, providerID string) error {
	_, err := l.conn.ExecContext(ctx, `UPDATE deliveries SET status = $3::text, sent_at = $4::timestamptz, error = NULL,
			provider_message_id = COALESCE(NULLIF($5::text, ''), provider_message_id),
			delivered_at = CASE WHEN $3::text = 'DELIVERED' THEN $4::timestamptz ELSE delivered_at END
		WHERE tenant_id = $1 AND id = $2 AND status = 'SENDING'`, l.tid, id, string(st), l.now(), providerID)
	return err
}

// set moves a row to status with an error message.
func (l *loop) set(ctx context.Context, id uuid.UUID, status, msg string) error {
	_, err := l.conn.ExecContext(ctx, `UPDATE deliveries SET status = $3::text, error = NULLIF($4::text, '') WHERE tenant_id = $1 AND id = $2`,
		l.tid, id, status, msg)
	return err
}

// finish records a row that was not sent (the error is kept on the row). A
// lost update leaves the row SENDING; the next loop settles it.
func (l *loop) finish(ctx context.Context, id uuid.UUID, st delivery.Status, msg string) {
	_ = l.set(ctx, id, string(st), msg)
}

func (s *Service) fail(ctx context.Context, id uuid.UUID, msg string) error {
	return s.Client.Broadcast.Update().Where(broadcast.ID(id), broadcast.StatusIn(broadcast.StatusSENDING, broadcast.StatusPAUSED)).
		SetStatus(broadcast.StatusFAILED).SetError(errText(errors.New(msg))).SetFinishedAt(s.now()).Exec(ctx)
}

// wait paces the sends to the broadcast's rate.
func (s *Service) wait(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errText is an error as stored on a row: at most 500 characters.
func errText(err error) string {
	m := []rune(err.Error())
	if len(m) > 500 {
		return string(m[:500]) + "…"
	}
	return string(m)
}

// pause marks broadcast id PAUSED and queues its loop at until in one
// transaction, as the outbox rule asks: no commit leaves a paused broadcast
// without the task that resumes it.
func (s *Service) pause(ctx context.Context, tid, id uuid.UUID, until time.Time) error {
	return txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		if err := c.Broadcast.UpdateOneID(id).SetStatus(broadcast.StatusPAUSED).Exec(ctx); err != nil {
			return err
		}
		return s.Queue.EnqueueBroadcastSend(ent.NewContext(ctx, c), tid, id, until)
	})
}
