package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/jobs"
)

// switchProxy forwards TCP connections to a Redis while up, and drops them
// at once while down: a Redis outage without touching the shared server.
type switchProxy struct {
	l  net.Listener
	up atomic.Bool
}

func newSwitchProxy(t *testing.T, target string) *switchProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{l: l}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !p.up.Load() {
				_ = c.Close()
				continue
			}
			go func() {
				defer c.Close()
				r, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer r.Close()
				go func() { _, _ = io.Copy(r, c); _ = r.Close() }()
				_, _ = io.Copy(c, r)
			}()
		}
	}()
	return p
}

// TestSpoolKeepsTasksThroughARedisOutage: with Redis unreachable, an api's
// enqueue succeeds into the spool (the first after Redis's dial fails, the
// next at once), and the tasks reach Redis, in order, when it answers again.
func TestSpoolKeepsTasksThroughARedisOutage(t *testing.T) {
	rd := testenv.NewRedis(t)
	proxy := newSwitchProxy(t, rd.Addr)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: proxy.l.Addr().String(), DB: rd.DB, DialTimeout: 200 * time.Millisecond})
	defer client.Close()
	spool := jobs.NewSpool(client, log)
	q := jobs.Queue{Client: client, Spool: spool}
	ctx := context.Background()
	tid := uuid.New()

	for i := range 3 {
		if err := q.LeadsChanged(ctx, tid, []uuid.UUID{uuid.New()}); err != nil {
			t.Fatalf("enqueue %d with Redis down: %v; want it spooled", i, err)
		}
	}
	if n := spool.Len(); n != 3 {
		t.Fatalf("%d tasks spooled; want 3", n)
	}
	// Without a spool the same outage is an error (what workers get).
	if err := (jobs.Queue{Client: client}).LeadsChanged(ctx, tid, []uuid.UUID{uuid.New()}); err == nil {
		t.Fatal("an enqueue without a spool succeeded with Redis down")
	}

	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { spool.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(300 * time.Millisecond) // a failed flush or two while still down
	if n := spool.Len(); n != 3 {
		t.Fatalf("%d tasks spooled while Redis is still down; want 3", n)
	}
	proxy.up.Store(true)
	deadline := time.Now().Add(20 * time.Second)
	for spool.Len() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks still spooled 20s after Redis came back", spool.Len())
		}
		time.Sleep(20 * time.Millisecond)
	}
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: rd.Addr, DB: rd.DB})
	defer insp.Close()
	pending, err := insp.ListPendingTasks("default")
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 3 {
		t.Fatalf("%d tasks pending in Redis; want the 3 spooled", len(pending))
	}
	for _, p := range pending {
		if p.Type != jobs.TypeLeadsScore {
			t.Errorf("pending task of type %s", p.Type)
		}
	}
}
