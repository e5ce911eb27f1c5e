package token

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// counter fetches tok-1, tok-2, … valid for ttl.
type counter struct {
	mu    sync.Mutex
	n     int
	ttl   time.Duration
	err   error
	block chan struct{} // when set, fetches wait for it
}

func (c *counter) fetch(ctx context.Context) (string, time.Duration, error) {
	if c.block != nil {
		select {
		case <-c.block:
		case <-ctx.Done():
			return "", 0, ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.err != nil {
		return "", 0, c.err
	}
	return "tok-" + strconv.Itoa(c.n), c.ttl, nil
}

func (c *counter) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestTokenCachedUntilMargin(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	f := &counter{ttl: 100 * time.Second} // margin: 10 s
	s := New(f.fetch, clk.Now)
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "tok-1"},
		{89 * time.Second, "tok-1"}, // 89 s old: still good
		{time.Second, "tok-2"},      // 90 s old: inside the margin
		{time.Second, "tok-2"},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		got, err := s.Token(ctx)
		if err != nil || got != st.want {
			t.Fatalf("step %d: Token = %q, %v; want %q", i, got, err, st.want)
		}
	}
}

func TestMarginCappedAtFiveMinutes(t *testing.T) {
	t.Parallel()
	if got := margin(2 * time.Hour); got != 5*time.Minute {
		t.Errorf("margin(2h) = %v", got)
	}
	if got := margin(time.Minute); got != 6*time.Second {
		t.Errorf("margin(1m) = %v", got)
	}
}

func TestInvalidate(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	f := &counter{ttl: time.Hour}
	s := New(f.fetch, clk.Now)
	ctx := context.Background()
	tok1, _ := s.Token(ctx)
	if err := s.Invalidate(ctx, tok1); err != nil {
		t.Fatal(err)
	}
	tok2, _ := s.Token(ctx)
	if tok2 != "tok-2" {
		t.Fatalf("after Invalidate, Token = %q, want tok-2", tok2)
	}
	// A late Invalidate of the old token (another caller's) leaves the new one alone.
	if err := s.Invalidate(ctx, tok1); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Token(ctx); got != "tok-2" || f.calls() != 2 {
		t.Errorf("Token = %q after %d fetches, want tok-2 after 2", got, f.calls())
	}
}

func TestFetchErrorIsNotCached(t *testing.T) {
	t.Parallel()
	f := &counter{ttl: time.Hour, err: errors.New("provider down")}
	s := New(f.fetch, time.Now)
	if _, err := s.Token(context.Background()); err == nil {
		t.Fatal("no error")
	}
	f.mu.Lock()
	f.err = nil
	f.mu.Unlock()
	if got, err := s.Token(context.Background()); err != nil || got != "tok-2" {
		t.Errorf("Token = %q, %v; want tok-2", got, err)
	}
}

func TestOneFetchForConcurrentCallers(t *testing.T) {
	t.Parallel()
	f := &counter{ttl: time.Hour, block: make(chan struct{})}
	s := New(f.fetch, time.Now)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if got, err := s.Token(context.Background()); err != nil || got != "tok-1" {
				t.Errorf("Token = %q, %v", got, err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let them queue behind the first fetch
	close(f.block)
	wg.Wait()
	if n := f.calls(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestWaiterHonoursContext(t *testing.T) {
	t.Parallel()
	f := &counter{ttl: time.Hour, block: make(chan struct{})}
	defer close(f.block)
	s := New(f.fetch, time.Now)
	go func() { _, _ = s.Token(context.Background()) }() // holds the lock, fetching
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}
