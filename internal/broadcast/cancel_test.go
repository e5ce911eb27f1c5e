package broadcast_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/delivery"
	"github.com/scrmhq/scrm/internal/broadcast"
)

// counter is a webhook endpoint that counts the messages it receives and
// runs onMessage with the count before it answers.
type counter struct {
	mu        sync.Mutex
	n         int
	onMessage func(n int)
}

func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestCancelIsPrompt: at 2 messages/s (each claim takes 10 rows), a cancel
// stops the loop before its next message, whether it lands while the loop
// waits for its next slot or while the channel handles a message. Nothing
// is handed to the channel after the cancel (the rule allows the one
// message in hand, which here arrived before it), the sent rows stay SENT
// and the rest go back to PENDING.
func TestCancelIsPrompt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inWait bool
	}{{"during the wait", true}, {"during a send", false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			recv := &counter{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				recv.mu.Lock()
				recv.n++
				n, on := recv.n, recv.onMessage
				recv.mu.Unlock()
				if on != nil {
					on(n)
				}
			}))
			t.Cleanup(srv.Close)
			if _, err := f.svc.Configure(f.Ctx, "webhook", map[string]any{"url": srv.URL, "secret": hookSecret, "requires": "WECOM"}, nil); err != nil {
				t.Fatal(err)
			}
			const leads, k = 25, 3
			f.Leads(t, leads, func(i int, q *ent.LeadCreate) { q.SetSource("web").SetReachable([]string{"WECOM"}) })
			seg := f.segmentOf(t, "web")
			rate := 2
			b, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "slow", SegmentID: seg.ID, Channel: "webhook", Template: "x", RatePerSecond: &rate})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.Plan(f.Ctx, b.ID); err != nil {
				t.Fatal(err)
			}

			cancelledAt := -1
			cancel := func() {
				if _, err := f.svc.Cancel(f.Ctx, b.ID); err != nil {
					t.Errorf("cancel: %v", err)
				}
				cancelledAt = recv.count()
			}
			f.svc.Sleep = func(_ context.Context, d time.Duration) error {
				if d != 500*time.Millisecond {
					t.Errorf("paced by %v, want 500ms at 2/s", d)
				}
				if tc.inWait && cancelledAt < 0 && recv.count() == k {
					cancel()
				}
				return nil
			}
			if !tc.inWait {
				recv.onMessage = func(n int) {
					if n == k {
						cancel()
					}
				}
			}
			if err := f.svc.Send(f.Ctx, b.ID); err != nil {
				t.Fatal(err)
			}
			if cancelledAt != k {
				t.Fatalf("cancelled after %d messages, want %d", cancelledAt, k)
			}
			if after := recv.count() - cancelledAt; after > 0 {
				t.Errorf("%d messages arrived after the cancel, want none", after)
			}
			got := recv.count()
			st := f.stats(t, b.ID)
			if st.Sent != got || st.Pending != leads-got {
				t.Errorf("stats %+v after %d messages arrived: want them sent and the rest pending", st, got)
			}
			if n := f.C.Delivery.Query().Where(delivery.BroadcastID(b.ID), delivery.StatusEQ(delivery.StatusSENDING)).CountX(f.Ctx); n != 0 {
				t.Errorf("%d rows left SENDING", n)
			}
			// A later loop (a retried task) sends nothing either.
			if err := f.svc.Send(f.Ctx, b.ID); err != nil {
				t.Fatal(err)
			}
			if n := recv.count(); n != got {
				t.Errorf("a second loop sent %d more", n-got)
			}
		})
	}
}
