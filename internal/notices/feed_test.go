package notices_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/testenv"
)

const deadline = 10 * time.Second

// take waits for s to have something and returns it.
func take(t *testing.T, s *notices.Subscription) ([]uuid.UUID, bool) {
	t.Helper()
	select {
	case <-s.Ready():
		return s.Take()
	case <-time.After(deadline):
		t.Fatal("nothing announced before the deadline")
		return nil, false
	}
}

// TestFeedFansOutAndResyncsAfterADrop: announcements reach the
// subscriptions of their user only; when the feed's Redis connection is
// killed, it dials again, and its subscribers are told to resync and then
// get what is published next.
func TestFeedFansOutAndResyncsAfterADrop(t *testing.T) {
	rd := testenv.NewRedis(t)
	name := "scrm-feed-" + uuid.NewString()[:8]
	rdb := redis.NewClient(&redis.Options{Addr: rd.Addr, DB: rd.DB, ClientName: name})
	t.Cleanup(func() { rdb.Close() })
	f := notices.NewFeed(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Backoff = 10 * time.Millisecond
	ctx := context.Background()
	alice, bob := uuid.New(), uuid.New()
	a1, err := f.Subscribe(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	defer a1.Close()
	a2, err := f.Subscribe(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Subscribe(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	publish := func(user uuid.UUID) uuid.UUID {
		t.Helper()
		id := uuid.New()
		if err := notices.Publish(ctx, rd.Client, user, notices.Announcement{ID: id, Kind: "k"}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	first, second := publish(alice), publish(bob)
	for _, s := range []*notices.Subscription{a1, a2} {
		if ids, resync := take(t, s); resync || len(ids) != 1 || ids[0] != first {
			t.Fatalf("alice's subscription took %v (resync %v), want %v", ids, resync, first)
		}
	}
	// Bob's own announcement is all bob has: alice's, published first,
	// would be ahead of it.
	if ids, _ := take(t, b); len(ids) != 1 || ids[0] != second {
		t.Fatalf("bob took %v, want %v", ids, second)
	}
	a2.Close()

	// Kill the feed's connection (found by its client name).
	list, err := rd.Client.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^id=(\d+) .*name=` + name + ` `).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("no connection named %s in\n%s", name, list)
	}
	if err := rd.Client.Do(ctx, "CLIENT", "KILL", "ID", m[1]).Err(); err != nil {
		t.Fatal(err)
	}
	if _, resync := take(t, a1); !resync {
		t.Fatal("alice was not told to resync after the drop")
	}
	// Subscribed again: what is published now arrives.
	third := publish(alice)
	if ids, _ := take(t, a1); len(ids) != 1 || ids[0] != third {
		t.Fatalf("after the drop alice took %v, want %v", ids, third)
	}
}

// TestFeedLimitsSubscriptionsPerUser refuses a user's subscription past
// MaxSubscriptionsPerUser and takes one again once another closed.
func TestFeedLimitsSubscriptionsPerUser(t *testing.T) {
	rd := testenv.NewRedis(t)
	f := notices.NewFeed(rd.Client, nil)
	ctx := context.Background()
	u := uuid.New()
	var subs []*notices.Subscription
	for i := range notices.MaxSubscriptionsPerUser {
		s, err := f.Subscribe(ctx, u)
		if err != nil {
			t.Fatalf("subscription %d: %v", i, err)
		}
		subs = append(subs, s)
	}
	if _, err := f.Subscribe(ctx, u); !errors.Is(err, notices.ErrTooManySubscriptions) {
		t.Fatalf("one more: %v", err)
	}
	subs[0].Close()
	s, err := f.Subscribe(ctx, u)
	if err != nil {
		t.Fatal(fmt.Errorf("after a close: %w", err))
	}
	s.Close()
	for _, s := range subs[1:] {
		s.Close()
	}
}
