package authz

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/changetoken"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/testenv"
)

// switchable forwards connections to a real Redis while up, and closes them
// at once while down (an outage, as the client sees it).
type switchable struct {
	l     net.Listener
	to    string
	up    atomic.Bool
	mu    sync.Mutex
	conns []net.Conn
}

func newSwitchable(t *testing.T, to string) *switchable {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &switchable{l: l, to: to}
	s.up.Store(true)
	t.Cleanup(func() { _ = l.Close(); s.cut() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !s.up.Load() {
				_ = c.Close()
				continue
			}
			r, err := net.Dial("tcp", to)
			if err != nil {
				_ = c.Close()
				continue
			}
			s.mu.Lock()
			s.conns = append(s.conns, c, r)
			s.mu.Unlock()
			go func() { _, _ = io.Copy(r, c); _ = r.Close() }()
			go func() { _, _ = io.Copy(c, r); _ = c.Close() }()
		}
	}()
	return s
}

// cut closes every forwarded connection.
func (s *switchable) cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

// counter counts the GET commands the client sends (or tries to), not the
// connection's own handshake.
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "get" {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// While Redis does not answer, requests decide from the loaded policy
// without asking it; a probe off the request path finds it back, and a
// policy change made meanwhile is loaded then.
func TestRedisOutageIsNotAskedOnEveryRequest(t *testing.T) {
	db := testenv.NewDatabase(t)
	r := testenv.NewRedis(t)
	sw := newSwitchable(t, r.Addr)
	rdb := redis.NewClient(&redis.Options{Addr: sw.l.Addr().String(), DB: r.DB})
	t.Cleanup(func() { _ = rdb.Close() })
	cnt := &counter{}
	rdb.AddHook(cnt)
	clock := platform.NewFakeClock(time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC))
	ctx := context.Background()
	s, err := New(ctx, db.Client, rdb, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ask := func() {
		t.Helper()
		v := &auth.Viewer{TenantID: uuid.New(), Roles: []string{"admin"}}
		if _, err := s.Allowed(ctx, v, "lead", "read"); err != nil {
			t.Fatal(err)
		}
	}
	ask()
	if n := cnt.n.Load(); n != 2 { // New's read and the request's
		t.Fatalf("%d commands with Redis up, want 2", n)
	}

	sw.up.Store(false)
	sw.cut()
	for range 5 {
		ask()
	}
	if n := cnt.n.Load(); n != 3 {
		t.Errorf("%d commands after five requests in the outage, want 3 (only the first asks)", n)
	}
	clock.Advance(changetoken.RedisPause - time.Second)
	ask()
	if n := cnt.n.Load(); n != 3 {
		t.Errorf("%d commands within the pause, want 3", n)
	}

	// A policy change made through another process while this one could
	// not see it.
	if err := r.Client.Incr(ctx, versionKey).Err(); err != nil {
		t.Fatal(err)
	}
	sw.up.Store(true)
	clock.Advance(time.Second)
	ask() // starts the probe and does not wait for it
	s.probes.Wait()
	if n := cnt.n.Load(); n != 4 {
		t.Errorf("%d commands after the pause, want 4 (one probe)", n)
	}
	if v := s.version.Load(); v != 1 {
		t.Errorf("loaded policy version %d after the probe, want 1", v)
	}
	ask()
	if n := cnt.n.Load(); n != 5 {
		t.Errorf("%d commands once Redis answered, want 5 (asked on the request again)", n)
	}
}
