package notices

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/internal/apperr"
)

// Channel is the Redis channel a user's new notifications are announced
// on, by whichever process delivers them (jobs' notifications:deliver, after
// the writing transaction committed), to every api process.
func Channel(userID uuid.UUID) string { return channelPrefix + userID.String() }

const channelPrefix = "scrm:notifications:"

// Announcement is what a notification's delivery publishes on Channel.
// Subscribers use only the id: they read the row again as its user. An
// announcement with Read and no id says the user marked notifications read
// (on another tab or device): subscribers resync.
type Announcement struct {
	ID        uuid.UUID  `json:"id"`
	Read      bool       `json:"read,omitempty"`
	Kind      string     `json:"kind"`
	LeadID    *uuid.UUID `json:"leadID,omitempty"`
	Message   string     `json:"message"`
	CreatedAt time.Time  `json:"createdAt"`
}

// Publish announces a delivered notification of user on rdb.
func Publish(ctx context.Context, rdb redis.UniversalClient, user uuid.UUID, a Announcement) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := rdb.Publish(ctx, Channel(user), raw).Err(); err != nil {
		return fmt.Errorf("notices: publish: %w", err)
	}
	return nil
}

// Limits of a Feed.
const (
	// MaxSubscriptionsPerUser bounds one user's live subscriptions in one
	// process (browser tabs, devices).
	MaxSubscriptionsPerUser = 20
	// maxPending is how many announced ids a slow subscriber may have
	// waiting; beyond it they are dropped and the subscriber told to resync.
	maxPending = 100
)

// ErrTooManySubscriptions refuses a subscription past MaxSubscriptionsPerUser.
var ErrTooManySubscriptions = apperr.New(apperr.LimitExceeded, "",
	"at most %d live notification subscriptions per user", MaxSubscriptionsPerUser)

// Feed is one api process's view of the announcements: a single Redis
// connection in subscribe mode, subscribed to the channels of the users who
// have a live subscription here, fanned out to them. It runs while anyone
// subscribes. A dropped connection is dialled again (go-redis subscribes it
// to the same channels); what was published meanwhile is lost, so every
// subscriber is then told to resync.
type Feed struct {
	rdb redis.UniversalClient
	log *slog.Logger
	// Ping is how long the connection may be silent before it is checked
	// with a PING; Backoff the wait before dialling again after an error.
	Ping, Backoff time.Duration

	mu    sync.Mutex
	ps    *redis.PubSub
	stop  context.CancelFunc
	users map[uuid.UUID]*listeners
}

// listeners are the subscriptions of one user; active is closed once Redis
// confirmed the subscription to the user's channel.
type listeners struct {
	subs   map[*Subscription]struct{}
	active chan struct{}
}

// NewFeed returns the feed of rdb.
func NewFeed(rdb redis.UniversalClient, log *slog.Logger) *Feed {
	if log == nil {
		log = slog.Default()
	}
	return &Feed{rdb: rdb, log: log, Ping: 30 * time.Second, Backoff: time.Second, users: map[uuid.UUID]*listeners{}}
}

// Subscription is one live subscriber of a user's announcements. Ready is
// signalled when Take has something.
type Subscription struct {
	feed  *Feed
	user  uuid.UUID
	ready chan struct{}

	mu      sync.Mutex
	pending []uuid.UUID
	resync  bool
	closed  bool
}

// Ready is signalled when ids or a resync wait for Take.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take returns the announced ids in order and whether the subscriber is to
// read its state again before them: announcements may have been lost since
// the last Take (the Redis connection dropped, or the subscriber fell
// maxPending behind), or the user marked notifications read.
func (s *Subscription) Take() (ids []uuid.UUID, resync bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, resync = s.pending, s.resync
	s.pending, s.resync = nil, false
	return ids, resync
}

func (s *Subscription) add(id uuid.UUID, resync bool) {
	s.mu.Lock()
	switch {
	case s.closed:
	case resync:
		// What is pending is still new: it stays, after the resync.
		s.resync = true
	case len(s.pending) >= maxPending:
		s.pending, s.resync = nil, true
	default:
		s.pending = append(s.pending, id)
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Close ends the subscription; the feed stops when it was the last.
func (s *Subscription) Close() {
	s.mu.Lock()
	closed := s.closed
	s.closed = true
	s.mu.Unlock()
	if !closed {
		s.feed.leave(s)
	}
}

// Announce publishes a on user's channel, to every api process.
func (f *Feed) Announce(ctx context.Context, user uuid.UUID, a Announcement) error {
	return Publish(ctx, f.rdb, user, a)
}

// Subscribe starts a subscription to user's announcements and returns once
// Redis confirmed it: what is published after that reaches it. It fails
// when Redis cannot be reached or the user has MaxSubscriptionsPerUser here.
func (f *Feed) Subscribe(ctx context.Context, user uuid.UUID) (*Subscription, error) {
	s, active, err := f.join(ctx, user)
	if err != nil {
		return nil, err
	}
	select {
	case <-active:
		return s, nil
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
}

func (f *Feed) join(ctx context.Context, user uuid.UUID) (*Subscription, <-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.users[user]
	if l != nil && len(l.subs) >= MaxSubscriptionsPerUser {
		return nil, nil, ErrTooManySubscriptions
	}
	if f.ps == nil {
		f.start()
	}
	if l == nil {
		l = &listeners{subs: map[*Subscription]struct{}{}, active: make(chan struct{})}
		if err := f.ps.Subscribe(ctx, Channel(user)); err != nil {
			f.stopIfIdle()
			return nil, nil, fmt.Errorf("notices: subscribe: %w", err)
		}
		f.users[user] = l
	}
	s := &Subscription{feed: f, user: user, ready: make(chan struct{}, 1)}
	l.subs[s] = struct{}{}
	return s, l.active, nil
}

func (f *Feed) leave(s *Subscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.users[s.user]
	if l == nil {
		return
	}
	delete(l.subs, s)
	if len(l.subs) > 0 {
		return
	}
	delete(f.users, s.user)
	if f.ps != nil {
		if err := f.ps.Unsubscribe(context.Background(), Channel(s.user)); err != nil {
			f.log.Warn("notices: unsubscribe", "err", err)
		}
	}
	f.stopIfIdle()
}

// start opens the connection and its reader; f.mu is held.
func (f *Feed) start() {
	ctx, stop := context.WithCancel(context.Background())
	f.ps, f.stop = f.rdb.Subscribe(ctx), stop
	go f.run(ctx, f.ps)
}

// stopIfIdle closes the connection when nobody subscribes; f.mu is held.
func (f *Feed) stopIfIdle() {
	if len(f.users) > 0 || f.ps == nil {
		return
	}
	f.stop()
	_ = f.ps.Close()
	f.ps = nil
}

// run reads the connection until ctx ends.
func (f *Feed) run(ctx context.Context, ps *redis.PubSub) {
	lost := false
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, f.Ping)
		if err != nil && isTimeout(err) {
			// Silent for a while: a PING answers on a live connection and
			// dials a dropped one again.
			err = ps.Ping(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !lost {
				f.log.Warn("notices: the notification feed lost Redis; dialling again", "err", err)
			}
			lost = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(f.Backoff):
			}
			continue
		}
		if lost {
			// Subscribed again (or answering): what was published in
			// between is lost to this process.
			lost = false
			f.log.Info("notices: the notification feed is back; subscribers resync")
			f.resyncAll()
		}
		switch m := msg.(type) {
		case *redis.Message:
			f.dispatch(m)
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				f.confirmed(m.Channel)
			}
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (f *Feed) dispatch(m *redis.Message) {
	user, ok := channelUser(m.Channel)
	if !ok {
		return
	}
	var a Announcement
	if err := json.Unmarshal([]byte(m.Payload), &a); err != nil || (a.ID == uuid.Nil && !a.Read) {
		f.log.Warn("notices: an announcement that does not parse", "channel", m.Channel)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.users[user]; l != nil {
		for s := range l.subs {
			s.add(a.ID, a.Read)
		}
	}
}

// confirmed marks the user of channel ch subscribed.
func (f *Feed) confirmed(ch string) {
	user, ok := channelUser(ch)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.users[user]; l != nil {
		select {
		case <-l.active:
		default:
			close(l.active)
		}
	}
}

func channelUser(ch string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(ch, channelPrefix)
	if !ok {
		return uuid.Nil, false
	}
	user, err := uuid.Parse(rest)
	return user, err == nil
}

func (f *Feed) resyncAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.users {
		for s := range l.subs {
			s.add(uuid.Nil, true)
		}
	}
}
