package broadcast_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	entbroadcast "github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/delivery"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/rules/rulestest"
	"github.com/scrmhq/scrm/internal/secretbox"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/testenv"
	_ "github.com/scrmhq/scrm/plugins/all"
	"github.com/scrmhq/scrm/plugins/webhook"
)

const hookSecret = "webhook-secret-0123456789"

// t0 is 23:00 in Shanghai.
var t0 = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

type fixture struct {
	*rulestest.Workspace
	clock *platform.FakeClock
	svc   *broadcast.Service
	queue *recorder
	hook  *receiver
}

// recorder is the queue: tests run the steps themselves.
type recorder struct {
	mu    sync.Mutex
	plans []time.Time
	sends []time.Time
}

func (r *recorder) EnqueueBroadcastPlan(_ context.Context, _, _ uuid.UUID, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plans = append(r.plans, at)
	return nil
}

func (r *recorder) EnqueueBroadcastSend(_ context.Context, _, _ uuid.UUID, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sends = append(r.sends, at)
	return nil
}

// receiver is a webhook endpoint on loopback that checks every signature and
// counts messages per lead.
type receiver struct {
	mu      sync.Mutex
	perLead map[string]int
	bodies  []string
	bad     int
	srv     *httptest.Server
}

// newReceiver verifies signatures at now: the sender signs with the
// service's (injected) clock.
func newReceiver(t *testing.T, now func() time.Time) *receiver {
	r := &receiver{perLead: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify(hookSecret, req.Header, body, now(), 5*time.Minute); err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m struct{ LeadID, Body string }
		_ = json.Unmarshal(body, &m)
		r.perLead[m.LeadID]++
		r.bodies = append(r.bodies, m.Body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.NewDatabase(t)
	w := rulestest.NewWorkspace(t, db)
	clock := platform.NewFakeClock(t0)
	box, err := secretbox.New("test-server-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	q := &recorder{}
	f := &fixture{Workspace: w, clock: clock, queue: q, hook: newReceiver(t, clock.Now)}
	f.svc = &broadcast.Service{Client: w.C, DB: db.DB, Box: box, Queue: q, Now: clock.Now,
		Segments: &segment.Service{Client: w.C, Fields: w.Fields, Now: clock.Now},
		Sleep:    func(context.Context, time.Duration) error { return nil }}
	if _, err := f.svc.Configure(w.Ctx, "webhook", map[string]any{"url": f.hook.srv.URL, "secret": hookSecret, "requires": "WECOM"}, nil); err != nil {
		t.Fatalf("configure webhook: %v", err)
	}
	return f
}

// segmentOf saves and computes a segment of the leads with source src.
func (f *fixture) segmentOf(t *testing.T, src string) *ent.Segment {
	t.Helper()
	rule := segment.Rule{Attribute: &schematype.AttributeCondition{Key: "source", Op: "EQ", Value: src}}
	s, err := f.svc.Segments.Create(f.Ctx, segment.Input{Name: src, Rule: &rule})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Segments.Compute(f.Ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) stats(t *testing.T, id uuid.UUID) broadcast.Stats {
	t.Helper()
	st, err := f.svc.StatsOf(f.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return *st
}

// TestBroadcastSuppressesAndSendsEachLeadOnce: 5,000 members, of which 300
// are on the do-not-disturb list, 200 blacklisted by phone, 500 over the
// frequency cap and 100 without the channel: the stats are exact and the
// webhook receiver gets each remaining lead's message once, signed.
func TestBroadcastSuppressesAndSendsEachLeadOnce(t *testing.T) {
	f := newFixture(t)
	f.Field(t, "city", fields.TypeText)
	ids := f.Leads(t, 5000, func(i int, q *ent.LeadCreate) {
		q.SetSource("expo").SetName(fmt.Sprintf("lead %d", i)).SetPhone(fmt.Sprintf("+86138%08d", i)).
			SetAttributes(map[string]any{"city": "上海"})
		if i >= 1000 && i < 1100 {
			q.SetReachable([]string{"PHONE"})
		} else {
			q.SetReachable([]string{"WECOM", "PHONE"})
		}
	})
	for i := range 300 {
		f.C.Suppression.Create().SetKind("DND").SetLeadID(ids[i]).SaveX(f.Ctx)
	}
	for i := 300; i < 500; i++ {
		f.C.Suppression.Create().SetKind("BLACKLIST").SetPhone(fmt.Sprintf("+86138%08d", i)).SaveX(f.Ctx)
	}
	// A lapsed blacklist entry suppresses nobody.
	f.C.Suppression.Create().SetKind("BLACKLIST").SetPhone(fmt.Sprintf("+86138%08d", 4999)).SetUntil(t0.Add(-time.Hour)).SaveX(f.Ctx)
	// Two messages in the last week to leads 500..999 (the cap is 2 in 7
	// days); leads 1100..1199 got theirs 8 days ago, outside the window.
	seg := f.segmentOf(t, "expo")
	for k := range 2 {
		old := f.C.Broadcast.Create().SetName(fmt.Sprintf("old %d", k)).SetSegmentID(seg.ID).SetChannel("webhook").
			SetTemplate("hi").SetScheduledAt(t0.Add(-10 * 24 * time.Hour)).SetStatus(entbroadcast.StatusDONE).SaveX(f.Ctx)
		var bulk []*ent.DeliveryCreate
		for i := 500; i < 1200; i++ {
			sent := t0.Add(-24 * time.Hour)
			if i >= 1100 {
				sent = t0.Add(-8 * 24 * time.Hour)
			}
			bulk = append(bulk, f.C.Delivery.Create().SetBroadcastID(old.ID).SetLeadID(ids[i]).SetStatus(delivery.StatusDELIVERED).SetSentAt(sent))
		}
		f.C.Delivery.CreateBulk(bulk...).ExecX(f.Ctx)
	}

	rate := 1000
	b, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "双十二", SegmentID: seg.ID, Channel: "webhook",
		Template: "{{.name}}，{{.attributes.city}}门店双十二见", FrequencyCap: &broadcast.Cap{Max: 2, Days: 7}, RatePerSecond: &rate})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // planning twice writes each row once
		if err := f.svc.Plan(f.Ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		f.C.Broadcast.UpdateOneID(b.ID).SetStatus(entbroadcast.StatusPLANNING).ExecX(f.Ctx)
	}
	f.C.Broadcast.UpdateOneID(b.ID).SetStatus(entbroadcast.StatusSENDING).ExecX(f.Ctx)
	want := broadcast.Stats{Targeted: 5000, SuppressedDnd: 300, SuppressedBlacklist: 200, SuppressedCap: 500, Unreachable: 100, Pending: 3900}
	if got := f.stats(t, b.ID); got != want {
		t.Fatalf("planned stats %+v, want %+v", got, want)
	}
	for range 2 { // a second loop finds nothing to send
		if err := f.svc.Send(f.Ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	want.Pending, want.Sent, want.Delivered = 0, 3900, 3900
	if got := f.stats(t, b.ID); got != want {
		t.Fatalf("sent stats %+v, want %+v", got, want)
	}
	f.hook.mu.Lock()
	defer f.hook.mu.Unlock()
	if f.hook.bad != 0 || len(f.hook.perLead) != 3900 {
		t.Fatalf("receiver: %d leads, %d bad signatures; want 3900 and 0", len(f.hook.perLead), f.hook.bad)
	}
	for i, id := range ids {
		n := f.hook.perLead[id.String()]
		eligible := i >= 1100
		if eligible && n != 1 || !eligible && n != 0 {
			t.Fatalf("lead %d got %d messages", i, n)
		}
	}
	for _, b := range f.hook.bodies {
		var n int
		if _, err := fmt.Sscanf(b, "lead %d，上海门店双十二见", &n); err != nil || n < 1100 {
			t.Fatalf("rendered %q", b)
		}
	}
	if got, _ := f.C.Broadcast.Get(f.Ctx, b.ID); got.Status != entbroadcast.StatusDONE || got.FinishedAt == nil {
		t.Errorf("broadcast %s", got.Status)
	}
}

// TestQuietHoursPauseAndResume: inside quiet hours (22:00–08:00 Shanghai,
// injected clock) nothing is sent and the loop is queued for 08:00; after
// it, everything goes.
func TestQuietHoursPauseAndResume(t *testing.T) {
	f := newFixture(t)
	f.Leads(t, 20, func(i int, q *ent.LeadCreate) { q.SetSource("web").SetReachable([]string{"WECOM"}) })
	seg := f.segmentOf(t, "web")
	b, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "night", SegmentID: seg.ID, Channel: "webhook", Template: "hi {{.name}}",
		QuietHours: &broadcast.Quiet{Start: "22:00", End: "08:00", Timezone: "Asia/Shanghai"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Plan(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Send(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	wake := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) // 08:00 in Shanghai
	if got := f.stats(t, b.ID); got.Sent != 0 || got.Pending != 20 {
		t.Fatalf("sent during quiet hours: %+v", got)
	}
	if st, _ := f.C.Broadcast.Get(f.Ctx, b.ID); st.Status != entbroadcast.StatusPAUSED {
		t.Fatalf("status %s, want PAUSED", st.Status)
	}
	// The plan queued the loop now; the paused loop queued itself for 08:00.
	if n := len(f.queue.sends); n != 2 || !f.queue.sends[1].Equal(wake) {
		t.Fatalf("queued sends %v, want the second at %v", f.queue.sends, wake)
	}
	f.clock.Advance(wake.Sub(t0))
	if err := f.svc.Send(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.stats(t, b.ID); got.Sent != 20 {
		t.Fatalf("after quiet hours: %+v", got)
	}
}

// TestThrottleCancelAndErrors: sends are paced to the rate; a cancelled
// broadcast sends nothing more; bad input is refused with its field.
func TestThrottleCancelAndErrors(t *testing.T) {
	f := newFixture(t)
	f.Leads(t, 30, func(i int, q *ent.LeadCreate) { q.SetSource("web").SetReachable([]string{"WECOM"}) })
	seg := f.segmentOf(t, "web")
	var waited time.Duration
	f.svc.Sleep = func(_ context.Context, d time.Duration) error { waited += d; return nil }
	rate := 10
	b, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "slow", SegmentID: seg.ID, Channel: "webhook", Template: "x", RatePerSecond: &rate})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Plan(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Send(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if waited != 3*time.Second {
		t.Errorf("30 messages at 10/s waited %v, want 3s", waited)
	}
	// The plan is queued for the scheduled time (now when none is given).
	later := t0.Add(36 * time.Hour)
	if _, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "later", SegmentID: seg.ID, Channel: "webhook", Template: "x", ScheduledAt: &later}); err != nil {
		t.Fatal(err)
	}
	if p := f.queue.plans; len(p) != 2 || !p[0].Equal(t0) || !p[1].Equal(later) {
		t.Errorf("plans queued at %v, want %v then %v", p, t0, later)
	}

	c, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "cancelled", SegmentID: seg.ID, Channel: "webhook", Template: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Plan(f.Ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Cancel(f.Ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Send(f.Ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.stats(t, c.ID); got.Sent != 0 {
		t.Errorf("a cancelled broadcast sent %d", got.Sent)
	}
	if _, err := f.svc.Cancel(f.Ctx, c.ID); !isCode(err, apperr.Conflict, "id") {
		t.Errorf("cancelling twice: %v", err)
	}
	// A page of broadcasts counts in one statement, each its own rows.
	none := uuid.New()
	many, err := f.svc.StatsFor(f.Ctx, []uuid.UUID{b.ID, c.ID, none})
	if err != nil {
		t.Fatal(err)
	}
	if many[b.ID].Sent != 30 || many[b.ID].Pending != 0 || many[c.ID].Pending != 30 || many[c.ID].Sent != 0 ||
		*many[none] != (broadcast.Stats{}) {
		t.Errorf("stats of a page: %+v %+v %+v", *many[b.ID], *many[c.ID], *many[none])
	}

	for _, bad := range []struct {
		in    broadcast.Input
		field string
	}{
		{broadcast.Input{Name: "", SegmentID: seg.ID, Channel: "webhook", Template: "x"}, "input.name"},
		{broadcast.Input{Name: "n", SegmentID: uuid.New(), Channel: "webhook", Template: "x"}, "input.segmentID"},
		{broadcast.Input{Name: "n", SegmentID: seg.ID, Channel: "sms", Template: "x"}, "input.channel"},
		{broadcast.Input{Name: "n", SegmentID: seg.ID, Channel: "webhook", Template: "{{.nmae}}"}, "input.template"},
		{broadcast.Input{Name: "n", SegmentID: seg.ID, Channel: "webhook", Template: "{{.attributes.nope}}"}, "input.template"},
		{broadcast.Input{Name: "n", SegmentID: seg.ID, Channel: "webhook", Template: "{{if}}"}, "input.template"},
		{broadcast.Input{Name: "n", SegmentID: seg.ID, Channel: "webhook", Template: "x", QuietHours: &broadcast.Quiet{Start: "25:00", End: "08:00"}}, "input.quietHours.start"},
		{broadcast.Input{Name: "n", SegmentID: seg.ID, Channel: "webhook", Template: "x", FrequencyCap: &broadcast.Cap{Max: 0, Days: 1}}, "input.frequencyCap.max"},
		{broadcast.Input{Name: "n", SegmentID: seg.ID, Channel: "webhook", Template: "x", ScheduledAt: ptr(t0.Add(-time.Hour))}, "input.scheduledAt"},
	} {
		if _, err := f.svc.Create(f.Ctx, bad.in); !isCode(err, "", bad.field) {
			t.Errorf("%+v: %v, want an error at %s", bad.in, err, bad.field)
		}
	}
	if _, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "n", SegmentID: seg.ID, Channel: "webhook", Template: "hi\n  {{.nmae}}"}); err == nil ||
		!bytes.Contains([]byte(err.Error()), []byte("2:4")) {
		t.Errorf("template error without its position: %v", err)
	}
}

// TestRepliesComeBackThroughCallbacks: a signed reply marks the delivery
// REPLIED and records a broadcast.replied event, of which the Events
// watcher (journeys' event trigger) is told in the event's transaction; a
// forged one changes nothing.
func TestRepliesComeBackThroughCallbacks(t *testing.T) {
	f := newFixture(t)
	told := &eventsTold{}
	f.svc.Events = &events.Recorder{Watcher: told}
	ids := f.Leads(t, 2, func(i int, q *ent.LeadCreate) { q.SetSource("web").SetReachable([]string{"WECOM"}) })
	seg := f.segmentOf(t, "web")
	b, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "reply", SegmentID: seg.ID, Channel: "webhook", Template: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Plan(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Send(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	d := f.C.Delivery.Query().Where(delivery.LeadID(ids[0]), delivery.BroadcastID(b.ID)).OnlyX(f.Ctx)
	post := func(secret string) (*broadcast.CallbackResult, error) {
		body, _ := json.Marshal(map[string]any{"messageId": d.ID.String(), "status": "REPLIED", "reply": "好的", "at": t0})
		req := httptest.NewRequest(http.MethodPost, "/v1/callbacks/x/webhook", bytes.NewReader(body))
		req.Header.Set(webhook.HeaderTimestamp, fmt.Sprint(f.clock.Now().Unix()))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, f.clock.Now(), body))
		return f.svc.Callback(f.Ctx, "webhook", req)
	}
	if _, err := post("forged-secret-0123456789"); err == nil {
		t.Fatal("a forged callback was accepted")
	}
	res, err := post(hookSecret)
	if err != nil || res.Matched != 1 {
		t.Fatalf("callback: %+v, %v", res, err)
	}
	if again, _ := post(hookSecret); again.Matched != 0 {
		t.Error("a replayed reply matched again")
	}
	got := f.C.Delivery.GetX(f.Ctx, d.ID)
	if got.Status != delivery.StatusREPLIED || got.Reply == nil || *got.Reply != "好的" {
		t.Errorf("delivery %s %v", got.Status, got.Reply)
	}
	if st := f.stats(t, b.ID); st.Replied != 1 || st.Delivered != 2 || st.Sent != 2 {
		t.Errorf("stats %+v", st)
	}
	var n int
	rows, err := f.C.QueryContext(f.Ctx, `SELECT count(*) FROM events WHERE tenant_id = $1 AND lead_id = $2 AND name = 'broadcast.replied'`, f.ID, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	_ = rows.Scan(&n)
	rows.Close()
	if n != 1 {
		t.Errorf("%d reply events", n)
	}
	if want := []string{broadcast.EventReplied + " " + ids[0].String() + " in a transaction"}; !slices.Equal(told.got, want) {
		t.Errorf("the watcher was told %q, want %q", told.got, want)
	}
}

// eventsTold records what an events.Watcher is told.
type eventsTold struct{ got []string }

func (e *eventsTold) EventTracked(ctx context.Context, name string, leads []uuid.UUID) error {
	for _, l := range leads {
		s := name + " " + l.String()
		if ent.TxFromContext(ctx) != nil {
			s += " in a transaction"
		}
		e.got = append(e.got, s)
	}
	return nil
}

func isCode(err error, code apperr.Code, field string) bool {
	ae, ok := apperr.As(err)
	return ok && (code == "" || ae.Code == code) && ae.Field == field
}

func ptr[T any](v T) *T { return &v }

// TestRecurringBroadcasts: a cron broadcast first runs at the spec's next
// time (workspace time zone); when a run starts, the next one is scheduled;
// cancelling a run stops the series.
func TestRecurringBroadcasts(t *testing.T) {
	f := newFixture(t)
	f.Leads(t, 3, func(i int, q *ent.LeadCreate) { q.SetSource("web").SetReachable([]string{"WECOM"}) })
	seg := f.segmentOf(t, "web")
	if _, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "bad", SegmentID: seg.ID, Channel: "webhook", Template: "x", Cron: "every day"}); !isCode(err, apperr.BadInput, "input.cron") {
		t.Fatalf("a bad spec: %v", err)
	}
	// Every day at 10:00 Shanghai: t0 is 23:00 there, so the first run is 02:00 UTC tomorrow.
	b, err := f.svc.Create(f.Ctx, broadcast.Input{Name: "daily", SegmentID: seg.ID, Channel: "webhook", Template: "早安 {{.name}}", Cron: "0 10 * * *"})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	if !b.ScheduledAt.Equal(first) || b.SeriesID == nil || *b.SeriesID != b.ID {
		t.Fatalf("first run at %v (series %v), want %v", b.ScheduledAt, b.SeriesID, first)
	}
	f.clock.Advance(first.Sub(t0))
	if err := f.svc.Plan(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Plan(f.Ctx, b.ID); err != nil { // a retried plan schedules nothing more
		t.Fatal(err)
	}
	runs := f.C.Broadcast.Query().Where(entbroadcast.SeriesID(b.ID)).Order(ent.Asc(entbroadcast.FieldScheduledAt)).AllX(f.Ctx)
	if len(runs) != 2 || !runs[1].ScheduledAt.Equal(first.Add(24*time.Hour)) || runs[1].Status != entbroadcast.StatusSCHEDULED || runs[1].Template != b.Template {
		t.Fatalf("runs after the first started: %d, next at %v", len(runs), runs[len(runs)-1].ScheduledAt)
	}
	if p := f.queue.plans; len(p) != 2 || !p[1].Equal(runs[1].ScheduledAt) {
		t.Errorf("plans queued %v", p)
	}
	if err := f.svc.Send(f.Ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Cancel(f.Ctx, runs[1].ID); err != nil {
		t.Fatal(err)
	}
	if got := f.C.Broadcast.GetX(f.Ctx, runs[1].ID); got.Status != entbroadcast.StatusCANCELLED {
		t.Errorf("next run %s", got.Status)
	}
	if st := f.stats(t, b.ID); st.Sent != 3 {
		t.Errorf("first run sent %d", st.Sent)
	}
}
