package graph

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
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

// A LiveSession is the sign-in of a long-lived connection (a websocket, an
// SSE stream) as its subscriptions see it at each event: the viewer it had
// at connection_init may have lost a role, moved team or been deactivated
// since.
type LiveSession interface {
	// Viewer is the connection's viewer as a request with its credential
	// would have it now, through the same cached reads (the users and
	// policy change tokens make it cheap).
	Viewer(ctx context.Context) (*auth.Viewer, error)
	// Refuse ends the connection, saying why (a websocket closes with 4403).
	Refuse(reason string)
}

type liveSessionKey struct{}

// WithLiveSession returns ctx (a connection's) whose subscriptions read
// their viewer from s for each event.
func WithLiveSession(ctx context.Context, s LiveSession) context.Context {
	return context.WithValue(ctx, liveSessionKey{}, s)
}

// LiveViewers is the handler extension that has each event of a
// subscription marshalled with the viewer it was read for: gqlgen
// marshals every event of a subscription with the context of its start,
// whose viewer would still mask and scope the lead of a notification with
// the roles of connection_init. Each response of a subscription gets a
// viewer of its own, which the stream fills in (takeEventViewer) before
// it sends the event that response receives; until then it is a viewer
// without roles, which sees no lead and every contact masked. So every
// subscription's stream hands each event its viewer (handOver) before
// sending it.
type LiveViewers struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = LiveViewers{}

// ExtensionName names the extension.
func (LiveViewers) ExtensionName() string { return "LiveViewers" }

// Validate accepts any schema.
func (LiveViewers) Validate(graphql.ExecutableSchema) error { return nil }

// eventViewers hands a subscription's responses' viewers to its stream:
// the response waiting for the next event puts its viewer in, the stream
// takes it, fills it and sends the event. Responses run one at a time, so
// one slot is enough.
type eventViewers chan *auth.Viewer

type eventViewersKey struct{}

// InterceptOperation gives a subscription its eventViewers.
func (LiveViewers) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		ctx = context.WithValue(ctx, eventViewersKey{}, make(eventViewers, 1))
	}
	return next(ctx)
}

// InterceptResponse runs a subscription's next response with a viewer of
// its own.
func (LiveViewers) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	ev, _ := ctx.Value(eventViewersKey{}).(eventViewers)
	v := auth.FromContext(ctx)
	if ev == nil || v == nil {
		return next(ctx)
	}
	own := &auth.Viewer{TenantID: v.TenantID, UserID: v.UserID, APIKeyID: v.APIKeyID, ExpiresAt: v.ExpiresAt, PolicySynced: true}
	select {
	case ev <- own:
	default: // a response the stream never answered (it ended): none waits
		select {
		case <-ev:
		default:
		}
		ev <- own
	}
	return next(auth.NewContext(ctx, own))
}

// notificationStream pushes one user's new notifications to out, read
// through the same service and client as Query.notifications, until ctx
// ends or the user can no longer read them (deactivated: the connection is
// refused). Each event is marshalled with the viewer as it is when the
// event is sent (LiveViewers), so a role, team or policy changed since the
// connection signed in masks and scopes the notification's lead as a
// request would.
type notificationStream struct {
	c       *ent.Client
	user    uuid.UUID
	sub     *notices.Subscription
	out     chan<- *model.NotificationEvent
	log     *slog.Logger
	session LiveSession  // nil: the viewer of the start, checked active
	viewers eventViewers // nil: events marshalled with the start's viewer
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
	s.session, _ = ctx.Value(liveSessionKey{}).(LiveSession)
	s.viewers, _ = ctx.Value(eventViewersKey{}).(eventViewers)
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
	// A connection outlives the sign-in check of its start: the viewer is
	// read again for each event, and a user deactivated since gets nothing
	// more.
	v, ok := s.viewer(ctx)
	if !ok {
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
		if !s.handOver(ctx, v) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case s.out <- e:
		}
	}
	return true
}

// viewer is the subscriber's viewer now; false ends the stream (and, when
// the user can no longer read notifications, refuses the connection).
func (s *notificationStream) viewer(ctx context.Context) (*auth.Viewer, bool) {
	if s.session == nil {
		active, err := s.c.User.Query().Where(user.ID(s.user), user.Active(true)).Exist(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "notificationAdded: check the user", "err", err)
		}
		return auth.FromContext(ctx), err == nil && active
	}
	v, err := s.session.Viewer(ctx)
	switch {
	case ctx.Err() != nil:
		return nil, false
	case errors.Is(err, auth.ErrUnauthenticated) || err == nil && v.UserID != s.user:
		s.session.Refuse("the user can no longer read notifications")
		return nil, false
	case err != nil:
		s.log.ErrorContext(ctx, "notificationAdded: read the viewer", "err", err)
		return nil, false
	}
	return v, true
}

// handOver gives the response that will receive the next event the viewer
// v it is to be marshalled with; false when ctx ended first.
func (s *notificationStream) handOver(ctx context.Context, v *auth.Viewer) bool {
	if s.viewers == nil {
		return true
	}
	select {
	case <-ctx.Done():
		return false
	case own := <-s.viewers:
		*own = *v
		own.Roles, own.TerritoryIDs, own.LeadScopes = slices.Clone(v.Roles), slices.Clone(v.TerritoryIDs), slices.Clone(v.LeadScopes)
		return true
	}
}
