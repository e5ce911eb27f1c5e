package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/egress"
	"github.com/scrmhq/scrm/plugins"
)

const testSecret = "0123456789abcdef-secret"

func TestRegistered(t *testing.T) {
	t.Parallel()
	ch, ok := plugins.Lookup(Name)
	if !ok {
		t.Fatalf("channel %q not registered", Name)
	}
	if ch.Requires() != "" {
		t.Errorf("Requires() = %q, want every lead", ch.Requires())
	}
	if got := ch.Secrets(); len(got) != 1 || got[0] != "secret" {
		t.Errorf("Secrets() = %v", got)
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		wantKey string // "" with wantErr false: valid
		wantErr bool
		want    map[string]any // checked keys of the normalised config
	}{
		{name: "defaults", raw: `{"url":"https://hooks.example.com/scrm","secret":"` + testSecret + `"}`,
			want: map[string]any{"url": "https://hooks.example.com/scrm", "timeoutSeconds": 10.0, "maxAttempts": 3.0}},
		{name: "query kept, headers canonical", raw: `{"url":"https://example.com/h?team=7","secret":"` + testSecret + `","timeoutSeconds":5,"maxAttempts":1,"headers":{"x-team":"7"}}`,
			want: map[string]any{"url": "https://example.com/h?team=7", "timeoutSeconds": 5.0, "maxAttempts": 1.0, "headers": map[string]any{"X-Team": "7"}}},
		{name: "http to localhost", raw: `{"url":"http://localhost:8080/h","secret":"` + testSecret + `"}`},
		{name: "http to 127.0.0.0/8", raw: `{"url":"http://127.1.2.3/h","secret":"` + testSecret + `"}`},
		{name: "http to ::1", raw: `{"url":"http://[::1]:9000/h","secret":"` + testSecret + `"}`},
		{name: "not an object", raw: `[1]`, wantErr: true, wantKey: ""},
		{name: "unknown key", raw: `{"url":"https://example.com","secret":"` + testSecret + `","secert":"x"}`, wantErr: true, wantKey: "secert"},
		{name: "missing url", raw: `{"secret":"` + testSecret + `"}`, wantErr: true, wantKey: "url"},
		{name: "http to a public host", raw: `{"url":"http://example.com/h","secret":"` + testSecret + `"}`, wantErr: true, wantKey: "url"},
		{name: "http to a private address", raw: `{"url":"http://10.0.0.1/h","secret":"` + testSecret + `"}`, wantErr: true, wantKey: "url"},
		{name: "other scheme", raw: `{"url":"ftp://example.com/h","secret":"` + testSecret + `"}`, wantErr: true, wantKey: "url"},
		{name: "relative url", raw: `{"url":"/hook","secret":"` + testSecret + `"}`, wantErr: true, wantKey: "url"},
		{name: "credentials in url", raw: `{"url":"https://u:p@example.com/h","secret":"` + testSecret + `"}`, wantErr: true, wantKey: "url"},
		{name: "short secret", raw: `{"url":"https://example.com/h","secret":"short"}`, wantErr: true, wantKey: "secret"},
		{name: "no secret", raw: `{"url":"https://example.com/h"}`, wantErr: true, wantKey: "secret"},
		{name: "timeout too long", raw: `{"url":"https://example.com/h","secret":"` + testSecret + `","timeoutSeconds":600}`, wantErr: true, wantKey: "timeoutSeconds"},
		{name: "timeout as a string", raw: `{"url":"https://example.com/h","secret":"` + testSecret + `","timeoutSeconds":"10"}`, wantErr: true, wantKey: "timeoutSeconds"},
		{name: "too many attempts", raw: `{"url":"https://example.com/h","secret":"` + testSecret + `","maxAttempts":11}`, wantErr: true, wantKey: "maxAttempts"},
		{name: "negative attempts", raw: `{"url":"https://example.com/h","secret":"` + testSecret + `","maxAttempts":-1}`, wantErr: true, wantKey: "maxAttempts"},
		{name: "reserved header", raw: `{"url":"https://example.com/h","secret":"` + testSecret + `","headers":{"x-scrm-signature":"forged"}}`, wantErr: true, wantKey: "headers.x-scrm-signature"},
		{name: "idempotency header", raw: `{"url":"https://example.com/h","secret":"` + testSecret + `","headers":{"Idempotency-Key":"1"}}`, wantErr: true, wantKey: "headers.Idempotency-Key"},
		{name: "bad header name", raw: `{"url":"https://example.com/h","secret":"` + testSecret + `","headers":{"X Bad":"1"}}`, wantErr: true, wantKey: "headers.X Bad"},
		{name: "header injection", raw: `{"url":"https://example.com/h","secret":"` + testSecret + `","headers":{"X-A":"1\r\nX-B: 2"}}`, wantErr: true, wantKey: "headers.X-A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Channel{}.ValidateConfig(json.RawMessage(tt.raw))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("ValidateConfig: %v", err)
				}
				var m map[string]any
				if err := json.Unmarshal(got, &m); err != nil {
					t.Fatal(err)
				}
				for k, v := range tt.want {
					gotV, _ := json.Marshal(m[k])
					wantV, _ := json.Marshal(v)
					if string(gotV) != string(wantV) {
						t.Errorf("%s = %s, want %s", k, gotV, wantV)
					}
				}
				// Normalising is idempotent: a saved config validates to itself.
				again, err := Channel{}.ValidateConfig(got)
				if err != nil || string(again) != string(got) {
					t.Errorf("revalidated = %s, %v; want %s", again, err, got)
				}
				return
			}
			var cerr *plugins.ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want *plugins.ConfigError", err)
			}
			if cerr.Key != tt.wantKey {
				t.Errorf("key = %q (%v), want %q", cerr.Key, cerr, tt.wantKey)
			}
		})
	}
}

// receiver is a test endpoint answering with the next status of its script (the last
// one repeats) and recording the requests.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	requests []*http.Request
	bodies   [][]byte
	// delay, when set, is slept (or until the request is abandoned) on the attempts
	// it names (1-based).
	delay    time.Duration
	delayOn  map[int]bool
	header   http.Header
	attempts atomic.Int32
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(rc.attempts.Add(1))
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests = append(rc.requests, r)
	rc.bodies = append(rc.bodies, body)
	status := rc.statuses[min(n, len(rc.statuses))-1]
	rc.mu.Unlock()
	if rc.delayOn[n] {
		select {
		case <-time.After(rc.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, vs := range rc.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"ok":` + strconv.FormatBool(status < 300) + `}`))
}

// seen returns the requests and bodies received so far.
func (rc *receiver) seen() ([]*http.Request, [][]byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests, rc.bodies
}

func openSender(t *testing.T, url string, extra string, now func() time.Time) *sender {
	t.Helper()
	raw := `{"url":"` + url + `","secret":"` + testSecret + `"` + extra + `}`
	s, err := Channel{}.Open(json.RawMessage(raw), plugins.Options{Now: now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ws := s.(*sender)
	// Keep retries fast; the production backoff starts at 100ms.
	ws.backoff = 5 * time.Millisecond
	return ws
}

func testMessage() plugins.Message {
	return plugins.Message{
		ID:          "01900000-0000-7000-8000-000000000001",
		BroadcastID: "b-1",
		Subject:     "Spring offer",
		Body:        "Hello Ann <3",
		To: plugins.Recipient{
			LeadID: "lead-1", Name: "Ann", Phone: "+8613800000000", Email: "ann@example.com",
			ExternalID: "wm-1", Attributes: map[string]any{"city": "Shanghai"},
		},
	}
}

func TestSendSignsAndDelivers(t *testing.T) {
	t.Parallel()
	rc := &receiver{statuses: []int{200}, header: http.Header{"X-Message-Id": {"rcv-42"}}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	s := openSender(t, srv.URL+"/hook?team=7", `,"headers":{"X-Team":"seven"}`, func() time.Time { return now })

	receipt, err := s.Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt != (plugins.Receipt{ProviderMessageID: "rcv-42", Status: plugins.StatusDelivered}) {
		t.Errorf("receipt = %+v", receipt)
	}
	requests, bodies := rc.seen()
	if len(requests) != 1 {
		t.Fatalf("%d requests, want 1", len(requests))
	}
	r, body := requests[0], bodies[0]
	if r.Method != http.MethodPost || r.URL.Path != "/hook" || r.URL.Query().Get("team") != "7" {
		t.Errorf("request %s %s", r.Method, r.URL)
	}
	if err := Verify(testSecret, r.Header, body, now.Add(time.Minute), 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify("another-secret-of-16+", r.Header, body, now, 0); !errors.Is(err, plugins.ErrSignature) {
		t.Errorf("Verify with the wrong secret = %v, want ErrSignature", err)
	}
	if got := r.Header.Get(HeaderTimestamp); got != strconv.FormatInt(now.Unix(), 10) {
		t.Errorf("timestamp = %q", got)
	}
	for name, want := range map[string]string{
		HeaderIdempotencyKey: testMessage().ID,
		"Content-Type":       "application/json",
		"X-Team":             "seven",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": testMessage().ID, "broadcastId": "b-1", "leadId": "lead-1",
		"subject": "Spring offer", "body": "Hello Ann <3", "sentAt": "2025-03-01T08:00:00Z",
		"recipient": map[string]any{"name": "Ann", "phone": "+8613800000000", "email": "ann@example.com",
			"externalId": "wm-1", "attributes": map[string]any{"city": "Shanghai"}},
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("body = %s\nwant   %s", gotJSON, wantJSON)
	}
}

func TestSendWithoutReceiverID(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&receiver{statuses: []int{204}})
	defer srv.Close()
	s := openSender(t, srv.URL, "", nil)
	receipt, err := s.Send(context.Background(), testMessage())
	if err != nil {
		t.Fatal(err)
	}
	if receipt.ProviderMessageID != testMessage().ID || receipt.Status != plugins.StatusDelivered {
		t.Errorf("receipt = %+v, want the message id and DELIVERED", receipt)
	}
}

func TestSendRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		statuses     []int
		maxAttempts  int
		wantAttempts int32
		wantErr      bool
		wantPerm     bool
	}{
		{name: "500 then success", statuses: []int{500, 502, 200}, maxAttempts: 3, wantAttempts: 3},
		{name: "429 then success", statuses: []int{429, 200}, maxAttempts: 3, wantAttempts: 2},
		{name: "5xx exhausts attempts", statuses: []int{503}, maxAttempts: 4, wantAttempts: 4, wantErr: true},
		{name: "single attempt", statuses: []int{500, 200}, maxAttempts: 1, wantAttempts: 1, wantErr: true},
		{name: "400 is not retried", statuses: []int{400, 200}, maxAttempts: 3, wantAttempts: 1, wantErr: true, wantPerm: true},
		{name: "410 is not retried", statuses: []int{410}, maxAttempts: 3, wantAttempts: 1, wantErr: true, wantPerm: true},
		{name: "redirect is not followed", statuses: []int{307, 200}, maxAttempts: 3, wantAttempts: 1, wantErr: true, wantPerm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := &receiver{statuses: tt.statuses, header: http.Header{"Location": {"/elsewhere"}}}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			s := openSender(t, srv.URL, `,"maxAttempts":`+strconv.Itoa(tt.maxAttempts), nil)
			_, err := s.Send(context.Background(), testMessage())
			if got := rc.attempts.Load(); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && plugins.IsPermanent(err) != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.wantPerm, tt.wantPerm)
			}
			// Every attempt is the same message, so the receiver can deduplicate.
			requests, bodies := rc.seen()
			for i, b := range bodies {
				if string(b) != string(bodies[0]) || requests[i].Header.Get(HeaderIdempotencyKey) != testMessage().ID {
					t.Errorf("attempt %d differs from the first", i+1)
				}
			}
		})
	}
}

func TestSendRetriesTimeout(t *testing.T) {
	t.Parallel()
	rc := &receiver{statuses: []int{200}, delay: 5 * time.Second, delayOn: map[int]bool{1: true}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s := openSender(t, srv.URL, "", nil)
	s.timeout = 100 * time.Millisecond
	start := time.Now()
	receipt, err := s.Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.Status != plugins.StatusDelivered || rc.attempts.Load() != 2 {
		t.Errorf("receipt %+v after %d attempts, want delivered on the 2nd", receipt, rc.attempts.Load())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v: the first attempt was not cut at its timeout", d)
	}
}

func TestSendTimeoutIsTemporary(t *testing.T) {
	t.Parallel()
	rc := &receiver{statuses: []int{200}, delay: 5 * time.Second, delayOn: map[int]bool{1: true, 2: true}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s := openSender(t, srv.URL, `,"maxAttempts":2`, nil)
	s.timeout = 50 * time.Millisecond
	_, err := s.Send(context.Background(), testMessage())
	if err == nil || plugins.IsPermanent(err) {
		t.Fatalf("err = %v, want a temporary error", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
}

func TestSendHonoursContext(t *testing.T) {
	t.Parallel()
	rc := &receiver{statuses: []int{500}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s := openSender(t, srv.URL, `,"maxAttempts":10`, nil)
	s.backoff = 10 * time.Second // the cancellation must cut the wait short
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := s.Send(ctx, testMessage())
	if !errors.Is(err, context.Canceled) || plugins.IsPermanent(err) {
		t.Fatalf("err = %v, want temporary context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send returned %v after cancel", d)
	}
	if n := rc.attempts.Load(); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestSendLongRetryAfterLeavesRetryToQueue(t *testing.T) {
	t.Parallel()
	rc := &receiver{statuses: []int{429, 200}, header: http.Header{"Retry-After": {"120"}}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s := openSender(t, srv.URL, "", nil)
	_, err := s.Send(context.Background(), testMessage())
	if err == nil || plugins.IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if n := rc.attempts.Load(); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestSendNetworkErrorIsTemporary(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	s := openSender(t, url, `,"maxAttempts":2`, nil)
	_, err := s.Send(context.Background(), testMessage())
	if err == nil || plugins.IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("error leaks the secret: %v", err)
	}
}

func TestSendWithoutID(t *testing.T) {
	t.Parallel()
	s := openSender(t, "https://example.com/h", "", nil)
	m := testMessage()
	m.ID = ""
	if _, err := s.Send(context.Background(), m); !plugins.IsPermanent(err) {
		t.Errorf("err = %v, want permanent", err)
	}
}

func signedRequest(t *testing.T, method, secret string, ts time.Time, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, "/callbacks/webhook", strings.NewReader(body))
	r.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set(HeaderSignature, Sign(secret, ts, []byte(body)))
	return r
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	s := openSender(t, "https://example.com/h", "", func() time.Time { return now })

	t.Run("one event", func(t *testing.T) {
		t.Parallel()
		r := signedRequest(t, http.MethodPost, testSecret, now, `{"messageId":"m-1","status":"REPLIED","reply":"yes please","at":"2025-03-01T07:59:00Z"}`)
		got, err := s.ParseCallback(r)
		if err != nil {
			t.Fatal(err)
		}
		want := plugins.Callback{MessageID: "m-1", Status: plugins.StatusReplied, Reply: "yes please", At: now.Add(-time.Minute)}
		if len(got) != 1 || !got[0].At.Equal(want.At) {
			t.Fatalf("got %+v, want [%+v]", got, want)
		}
		got[0].At = want.At
		if got[0] != want {
			t.Errorf("got %+v, want %+v", got[0], want)
		}
	})
	t.Run("array, time defaults to now", func(t *testing.T) {
		t.Parallel()
		r := signedRequest(t, http.MethodPost, testSecret, now, `[{"messageId":"m-1","status":"delivered"},{"messageId":"m-2","status":"FAILED","error":"mailbox full"}]`)
		got, err := s.ParseCallback(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Status != plugins.StatusDelivered || !got[0].At.Equal(now) ||
			got[1].Status != plugins.StatusFailed || got[1].Error != "mailbox full" {
			t.Errorf("got %+v", got)
		}
	})
	bad := []struct {
		name    string
		req     func() *http.Request
		wantSig bool
	}{
		{name: "wrong secret", wantSig: true, req: func() *http.Request {
			return signedRequest(t, http.MethodPost, "not-the-channel-secret", now, `{"messageId":"m-1","status":"DELIVERED"}`)
		}},
		{name: "tampered body", wantSig: true, req: func() *http.Request {
			r := signedRequest(t, http.MethodPost, testSecret, now, `{"messageId":"m-1","status":"DELIVERED"}`)
			r.Body = io.NopCloser(strings.NewReader(`{"messageId":"m-2","status":"DELIVERED"}`))
			return r
		}},
		{name: "stale timestamp", wantSig: true, req: func() *http.Request {
			return signedRequest(t, http.MethodPost, testSecret, now.Add(-time.Hour), `{"messageId":"m-1","status":"DELIVERED"}`)
		}},
		{name: "unsigned", wantSig: true, req: func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"messageId":"m-1","status":"DELIVERED"}`))
		}},
		{name: "unknown status", req: func() *http.Request {
			return signedRequest(t, http.MethodPost, testSecret, now, `{"messageId":"m-1","status":"OPENED"}`)
		}},
		{name: "no message id", req: func() *http.Request {
			return signedRequest(t, http.MethodPost, testSecret, now, `{"status":"DELIVERED"}`)
		}},
		{name: "not JSON", req: func() *http.Request {
			return signedRequest(t, http.MethodPost, testSecret, now, `status=DELIVERED`)
		}},
		{name: "GET", req: func() *http.Request {
			return signedRequest(t, http.MethodGet, testSecret, now, ``)
		}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.ParseCallback(tt.req())
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if errors.Is(err, plugins.ErrSignature) != tt.wantSig {
				t.Errorf("err = %v; ErrSignature %v, want %v", err, !tt.wantSig, tt.wantSig)
			}
		})
	}
}

func TestVerifyAcceptsRotatedSecrets(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"m-1"}`)
	h := http.Header{}
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderSignature, Sign("old-secret-0123456789", now, body)+", "+Sign("new-secret-0123456789", now, body))
	for _, secret := range []string{"old-secret-0123456789", "new-secret-0123456789"} {
		if err := Verify(secret, h, body, now, time.Minute); err != nil {
			t.Errorf("Verify(%s): %v", secret, err)
		}
	}
	if err := Verify("third-secret-0123456789", h, body, now, time.Minute); !errors.Is(err, plugins.ErrSignature) {
		t.Errorf("Verify(third) = %v, want ErrSignature", err)
	}
	if err := Verify("old-secret-0123456789", h, body, now.Add(2*time.Minute), time.Minute); !errors.Is(err, plugins.ErrSignature) {
		t.Errorf("Verify past tolerance = %v, want ErrSignature", err)
	}
	if err := Verify("old-secret-0123456789", h, body, now.Add(-2*time.Minute), time.Minute); !errors.Is(err, plugins.ErrSignature) {
		t.Errorf("Verify of a future timestamp = %v, want ErrSignature", err)
	}
}

// A URL on a private network is refused before anything is dialled, as a
// permanent failure; an operator's policy may allow the network.
func TestSendRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"https://10.255.255.1/hook", "https://169.254.169.254/latest/meta-data/"} {
		_, err := openSender(t, u, "", time.Now).Send(context.Background(), testMessage())
		if !errors.Is(err, egress.ErrRefused) || !plugins.IsPermanent(err) {
			t.Errorf("%s: Send = %v, want a permanent egress refusal", u, err)
		}
	}
	rc := &receiver{statuses: []int{200}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	none, _ := egress.Parse("none")
	raw := `{"url":"` + srv.URL + `","secret":"` + testSecret + `","maxAttempts":3}`
	s, err := Channel{}.Open(json.RawMessage(raw), plugins.Options{HTTPClient: none.Client(), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), testMessage()); !errors.Is(err, egress.ErrRefused) || !plugins.IsPermanent(err) {
		t.Errorf("loopback with policy none: Send = %v", err)
	}
	if reqs, _ := rc.seen(); len(reqs) != 0 {
		t.Errorf("the receiver got %d requests", len(reqs))
	}
}
