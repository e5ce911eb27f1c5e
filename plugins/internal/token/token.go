// Package token caches a provider's access token: fetched on first use, reused until
// shortly before it expires, refreshed once by one caller while the others wait.
package token

import (
	"context"
	"time"
)

// Fetch obtains a new token and how long it stays valid.
type Fetch func(ctx context.Context) (token string, ttl time.Duration, err error)

// Source hands out a cached token. It is safe for concurrent use.
type Source struct {
	fetch Fetch
	now   func() time.Time

	// lock is a one-slot semaphore rather than a sync.Mutex so that callers waiting
	// for another caller's fetch still honour their context.
	lock    chan struct{}
	token   string
	refresh time.Time // when to fetch a new token, a margin before it expires
}

// New returns a source that fetches with fetch and reads time from now.
func New(fetch Fetch, now func() time.Time) *Source {
	return &Source{fetch: fetch, now: now, lock: make(chan struct{}, 1)}
}

// Token returns the cached token, fetching a new one when there is none or it is about
// to expire.
func (s *Source) Token(ctx context.Context) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	if s.token != "" && s.now().Before(s.refresh) {
		return s.token, nil
	}
	tok, ttl, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	s.token = tok
	s.refresh = s.now().Add(ttl - margin(ttl))
	return tok, nil
}

// Invalidate drops tok after the provider rejected it as expired or invalid, so the next
// Token fetches a new one. A token another caller has already replaced is left alone.
func (s *Source) Invalidate(ctx context.Context, tok string) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	if s.token == tok {
		s.token = ""
	}
	return nil
}

// margin is how long before expiry a token is replaced: a tenth of its lifetime, at
// most five minutes, so a request in flight never carries a token that expires on the
// way.
func margin(ttl time.Duration) time.Duration {
	return min(ttl/10, 5*time.Minute)
}

func (s *Source) acquire(ctx context.Context) error {
	select {
	case s.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Source) release() { <-s.lock }
