package graph

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/txn"
)

// NotificationFeed announces users' new notifications (notices.Feed).
type NotificationFeed interface {
	Subscribe(ctx context.Context, user uuid.UUID) (*notices.Subscription, error)
	Announce(ctx context.Context, user uuid.UUID, a notices.Announcement) error
}

// announceRead tells user's live subscriptions, once the transaction ctx
// carries commits, that n of their notifications were marked read, so
// their other tabs and devices resync. Best effort: a lost announcement
// leaves a badge stale until its next resync.
func (r *Resolver) announceRead(ctx context.Context, user uuid.UUID, n int) {
	if n == 0 || r.Feed == nil {
		return
	}
	txn.AfterCommit(ent.TxFromContext(ctx), func() {
		if err := r.Feed.Announce(context.WithoutCancel(ctx), user, notices.Announcement{Read: true}); err != nil {
			slog.Default().WarnContext(ctx, "announce notifications read", "err", err)
		}
	})
}

// subscribeTimeout bounds the wait for Redis to confirm a subscription.
const subscribeTimeout = 10 * time.Second

type slotsKey struct{}

// subscriptionSlots counts the live subscriptions of one websocket.
type subscriptionSlots struct {
	mu      sync.Mutex
	used, n int
}

// WithSubscriptionSlots returns ctx (a websocket connection's) in which at
// most n subscriptions run at once.
func WithSubscriptionSlots(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, slotsKey{}, &subscriptionSlots{n: n})
}

// takeSlot takes one of the connection's subscription slots; release gives
// it back. Without slots in ctx there is no limit.
func takeSlot(ctx context.Context) (release func(), err error) {
	s, _ := ctx.Value(slotsKey{}).(*subscriptionSlots)
	if s == nil {
		return func() {}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used >= s.n {
		return nil, apperr.New(apperr.LimitExceeded, "", "at most %d subscriptions per connection", s.n)
	}
	s.used++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.used--
			s.mu.Unlock()
		})
	}, nil
}

// notificationStream pushes one user's new notifications to out, read
// through the same service and client as Query.notifications, until ctx
// ends or the user is deactivated.
type notificationStream struct {
	c    *ent.Client
	user uuid.UUID
	sub  *notices.Subscription
	out  chan<- *model.NotificationEvent
	log  *slog.Logger
}

// subscribeNotifications starts the caller's notificationAdded stream.
func (r *Resolver) subscribeNotifications(ctx context.Context) (<-chan *model.NotificationEvent, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	if v.UserID == uuid.Nil {
		return nil, apperr.New(apperr.Forbidden, "", "notifications belong to users: an API key has none to subscribe to")
	}
	if r.Feed == nil {
		return nil, apperr.New(apperr.Internal, "", "live notifications are not available on this server")
	}
	release, err := takeSlot(ctx)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, subscribeTimeout)
	sub, err := r.Feed.Subscribe(sctx, v.UserID)
	cancel()
	if err != nil {
		release()
		return nil, err
	}
	out := make(chan *model.NotificationEvent, 1)
	s := &notificationStream{c: r.db(ctx), user: v.UserID, sub: sub, out: out, log: slog.Default()}
	go func() {
		defer release()
		defer sub.Close()
		defer close(out)
		s.run(ctx)
	}()
	return out, nil
}

// run sends a resync first (the unread count as of a confirmed
// subscription), then an event per announced notification.
func (s *notificationStream) run(ctx context.Context) {
	if !s.send(ctx, nil, true) {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.sub.Ready():
		}
		ids, resync := s.sub.Take()
		if !s.send(ctx, ids, resync) {
			return
		}
	}
}

// send pushes a resync when asked, then the events of ids; false ends the
// stream.
func (s *notificationStream) send(ctx context.Context, ids []uuid.UUID, resync bool) bool {
	// A socket outlives the sign-in check of its connection_init: a user
	// deactivated since gets nothing more.
	active, err := s.c.User.Query().Where(user.ID(s.user), user.Active(true)).Exist(ctx)
	if err != nil || !active {
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "notificationAdded: check the user", "err", err)
		}
		return false
	}
	var notes []*ent.Notification
	if len(ids) > 0 {
		q, err := notices.Inbox(s.c, s.user, notices.Filter{})
		if err == nil {
			notes, err = q.Where(notification.IDIn(ids...)).
				Order(ent.Asc(notification.FieldCreatedAt), ent.Asc(notification.FieldID)).All(ctx)
		}
		if err != nil {
			s.log.ErrorContext(ctx, "notificationAdded: read the notifications", "err", err)
			resync = true
		}
	}
	if !resync && len(notes) == 0 {
		return true // nothing readable (gone since it was announced)
	}
	n, err := notices.Unread(ctx, s.c, s.user)
	if err != nil {
		s.log.ErrorContext(ctx, "notificationAdded: count the unread", "err", err)
		return ctx.Err() == nil
	}
	events := make([]*model.NotificationEvent, 0, len(notes)+1)
	if resync {
		events = append(events, &model.NotificationEvent{UnreadCount: n})
	}
	for _, note := range notes {
		events = append(events, &model.NotificationEvent{Notification: note, UnreadCount: n})
	}
	for _, e := range events {
		select {
		case <-ctx.Done():
			return false
		case s.out <- e:
		}
	}
	return true
}
