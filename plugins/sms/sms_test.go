package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrmhq/scrm/plugins"
	"github.com/scrmhq/scrm/plugins/sms"
)

const (
	appKey    = "app-key-1"
	appSecret = "app-secret-123456"
)

// clock is a settable test clock shared by the provider and the sender.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// answer is a scripted reply of the fake provider's send endpoint.
type answer struct {
	status int
	body   string
}

// provider is an in-process fake SMS provider: it issues tokens that expire on its
// clock, checks them on send, answers sends from a script (then "OK"), and records what
// it was sent.
type provider struct {
	clock *clock
	ttl   time.Duration

	mu         sync.Mutex
	tokens     map[string]time.Time // token → expiry
	tokenCalls int
	sends      []map[string]string // the accepted-for-processing send requests
	script     []answer
}

func newProvider(t *testing.T, c *clock) (*provider, *httptest.Server) {
	p := &provider{clock: c, ttl: time.Hour, tokens: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("POST /sms/send", p.send)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	var in struct{ AppKey, AppSecret string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenCalls++
	if in.AppKey != appKey || in.AppSecret != appSecret {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code":"INVALID_CREDENTIALS","message":"bad app key or secret"}`)
		return
	}
	tok := "tok-" + strconv.Itoa(p.tokenCalls)
	p.tokens[tok] = p.clock.Now().Add(p.ttl)
	fmt.Fprintf(w, `{"access_token":%q,"expires_in":%d}`, tok, int(p.ttl.Seconds()))
}

func (p *provider) send(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	_ = json.NewDecoder(r.Body).Decode(&in)
	p.mu.Lock()
	defer p.mu.Unlock()
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, ok := p.tokens[tok]; !ok || !p.clock.Now().Before(exp) {
		fmt.Fprint(w, `{"code":"TOKEN_EXPIRED","message":"access token expired"}`)
		return
	}
	p.sends = append(p.sends, in)
	if len(p.script) > 0 {
		a := p.script[0]
		p.script = p.script[1:]
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
		return
	}
	fmt.Fprintf(w, `{"code":"OK","messageId":"sms-%d"}`, len(p.sends))
}

// revoke makes the provider forget every token, as after a key rotation.
func (p *provider) revoke() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.tokens)
}

func (p *provider) counts() (tokenCalls, sends int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenCalls, len(p.sends)
}

func (p *provider) setScript(a ...answer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script = a
}

func openSender(t *testing.T, baseURL string, c *clock, override map[string]any) plugins.Sender {
	t.Helper()
	cfg := map[string]any{"baseUrl": baseURL, "appKey": appKey, "appSecret": appSecret, "signName": "ShopCo", "templateCode": "SMS_0001"}
	for k, v := range override {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	ch, ok := plugins.Lookup(sms.Name)
	if !ok {
		t.Fatal("sms channel not registered")
	}
	norm, err := ch.ValidateConfig(raw)
	if err != nil {
		t.Fatalf("ValidateConfig: %v", err)
	}
	s, err := ch.Open(norm, plugins.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func message(id string) plugins.Message {
	return plugins.Message{
		ID:   id,
		Body: "Spring offer: 20% off at ShopCo",
		To:   plugins.Recipient{LeadID: "lead-1", Phone: "+8613800000001", Reachable: []string{plugins.ReachSMS}},
	}
}

func TestSend(t *testing.T) {
	t.Parallel()
	c := newClock()
	p, srv := newProvider(t, c)
	s := openSender(t, srv.URL, c, nil)

	receipt, err := s.Send(context.Background(), message("d-1"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt != (plugins.Receipt{ProviderMessageID: "sms-1", Status: plugins.StatusSent}) {
		t.Errorf("receipt = %+v", receipt)
	}
	want := map[string]string{"to": "+8613800000001", "signName": "ShopCo", "templateCode": "SMS_0001",
		"content": "Spring offer: 20% off at ShopCo", "clientRef": "d-1"}
	p.mu.Lock()
	got := p.sends[0]
	p.mu.Unlock()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("provider got %v, want %v", got, want)
	}

	// The token is reused while it is valid.
	if _, err := s.Send(context.Background(), message("d-2")); err != nil {
		t.Fatal(err)
	}
	if tokens, sends := p.counts(); tokens != 1 || sends != 2 {
		t.Errorf("token calls %d, sends %d; want 1 and 2", tokens, sends)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	t.Parallel()
	c := newClock()
	p, srv := newProvider(t, c)
	s := openSender(t, srv.URL, c, nil)
	if _, err := s.Send(context.Background(), message("d-1")); err != nil {
		t.Fatal(err)
	}
	// 57 minutes into a one-hour token: within the refresh margin (6 minutes), so the
	// sender replaces it instead of sending with a token about to expire.
	c.Advance(57 * time.Minute)
	if _, err := s.Send(context.Background(), message("d-2")); err != nil {
		t.Fatal(err)
	}
	if tokens, sends := p.counts(); tokens != 2 || sends != 2 {
		t.Errorf("token calls %d, sends %d; want 2 and 2", tokens, sends)
	}
}

func TestTokenRejectedIsRefreshedOnce(t *testing.T) {
	t.Parallel()
	c := newClock()
	p, srv := newProvider(t, c)
	s := openSender(t, srv.URL, c, nil)
	if _, err := s.Send(context.Background(), message("d-1")); err != nil {
		t.Fatal(err)
	}
	p.revoke() // the cached token is now unknown to the provider
	receipt, err := s.Send(context.Background(), message("d-2"))
	if err != nil {
		t.Fatalf("Send after revoke: %v", err)
	}
	if tokens, sends := p.counts(); tokens != 2 || sends != 2 || receipt.ProviderMessageID != "sms-2" {
		t.Errorf("token calls %d, sends %d, receipt %+v; want 2, 2, sms-2", tokens, sends, receipt)
	}

	// A provider that rejects even the fresh token: one refresh, then a temporary error.
	p.mu.Lock()
	p.ttl = 0 // tokens are born expired
	p.mu.Unlock()
	p.revoke()
	_, err = s.Send(context.Background(), message("d-3"))
	if err == nil || plugins.IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if tokens, _ := p.counts(); tokens != 3 {
		t.Errorf("token calls = %d, want 3 (one refresh only)", tokens)
	}
}

func TestConcurrentSendsShareOneToken(t *testing.T) {
	t.Parallel()
	c := newClock()
	p, srv := newProvider(t, c)
	s := openSender(t, srv.URL, c, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			if _, err := s.Send(context.Background(), message("d-"+strconv.Itoa(i))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if tokens, sends := p.counts(); tokens != 1 || sends != 20 {
		t.Errorf("token calls %d, sends %d; want 1 and 20", tokens, sends)
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   answer
		wantPerm bool
	}{
		{"invalid number", answer{400, `{"code":"INVALID_NUMBER","message":"no such number"}`}, true},
		{"invalid template", answer{200, `{"code":"INVALID_TEMPLATE","message":"template not approved"}`}, true},
		{"blacklisted", answer{200, `{"code":"BLACKLISTED"}`}, true},
		{"unknown code with 4xx", answer{422, `{"code":"SOMETHING_NEW"}`}, true},
		{"throttled", answer{429, `{"code":"THROTTLED","message":"slow down"}`}, false},
		{"throttled with 200", answer{200, `{"code":"THROTTLED"}`}, false},
		{"provider error", answer{500, `{"code":"SYSTEM_ERROR"}`}, false},
		{"gateway page", answer{502, `<html>bad gateway</html>`}, false},
		{"unknown code with 200", answer{200, `{"code":"SOMETHING_NEW"}`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			p, srv := newProvider(t, c)
			p.setScript(tt.answer)
			s := openSender(t, srv.URL, c, nil)
			_, err := s.Send(context.Background(), message("d-1"))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if plugins.IsPermanent(err) != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.wantPerm, tt.wantPerm)
			}
		})
	}
}

func TestSendRejectsBeforeCallingProvider(t *testing.T) {
	t.Parallel()
	c := newClock()
	p, srv := newProvider(t, c)
	s := openSender(t, srv.URL, c, map[string]any{"templateCode": ""})
	for name, m := range map[string]plugins.Message{
		"no phone":      {ID: "d-1", Body: "hi"},
		"local number":  {ID: "d-1", Body: "hi", To: plugins.Recipient{Phone: "13800000001"}},
		"empty body":    {ID: "d-1", To: plugins.Recipient{Phone: "+8613800000001"}},
		"too long":      {ID: "d-1", Body: strings.Repeat("长", sms.MaxContent+1), To: plugins.Recipient{Phone: "+8613800000001"}},
		"no message id": {Body: "hi", To: plugins.Recipient{Phone: "+8613800000001"}},
	} {
		if _, err := s.Send(context.Background(), m); !plugins.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
	if tokens, sends := p.counts(); tokens != 0 || sends != 0 {
		t.Errorf("provider called: %d token calls, %d sends", tokens, sends)
	}
}

func TestBadCredentialsArePermanent(t *testing.T) {
	t.Parallel()
	c := newClock()
	_, srv := newProvider(t, c)
	s := openSender(t, srv.URL, c, map[string]any{"appSecret": "wrong-secret-123"})
	_, err := s.Send(context.Background(), message("d-1"))
	if !plugins.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-123") {
		t.Errorf("error shows the secret: %v", err)
	}
}

func TestProviderDownIsTemporary(t *testing.T) {
	t.Parallel()
	c := newClock()
	_, srv := newProvider(t, c)
	url := srv.URL
	srv.Close()
	_, err := openSender(t, url, c, nil).Send(context.Background(), message("d-1"))
	if err == nil || plugins.IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
}

func TestReachable(t *testing.T) {
	t.Parallel()
	s := openSender(t, "https://sms.example.com/api", newClock(), nil)
	tests := []struct {
		r    plugins.Recipient
		want bool
	}{
		{plugins.Recipient{Phone: "+8613800000001", Reachable: []string{plugins.ReachSMS}}, true},
		{plugins.Recipient{Phone: "+8613800000001", Reachable: []string{plugins.ReachPhone}}, false},
		{plugins.Recipient{Phone: "", Reachable: []string{plugins.ReachSMS}}, false},
		{plugins.Recipient{Phone: "138 0000 0001", Reachable: []string{plugins.ReachSMS}}, false},
	}
	for _, tt := range tests {
		if got := s.Reachable(tt.r); got != tt.want {
			t.Errorf("Reachable(%+v) = %v, want %v", tt.r, got, tt.want)
		}
	}
}

func callback(t *testing.T, secret string, ts time.Time, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/callbacks/sms", strings.NewReader(body))
	r.Header.Set(sms.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set(sms.HeaderSignature, sms.Sign(secret, ts, []byte(body)))
	return r
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openSender(t, "https://sms.example.com/api", c, nil)
	body := `[
		{"messageId":"sms-1","clientRef":"d-1","status":"DELIVRD","at":"2025-03-01T07:59:00Z"},
		{"messageId":"sms-2","clientRef":"d-2","status":"UNDELIV","errorCode":"MK:0001"},
		{"messageId":"sms-3","status":"ACCEPTD"},
		{"messageId":"sms-1","status":"REPLY","reply":"TD"}
	]`
	got, err := s.ParseCallback(callback(t, appSecret, c.Now(), body))
	if err != nil {
		t.Fatal(err)
	}
	want := []plugins.Callback{
		{ProviderMessageID: "sms-1", MessageID: "d-1", Status: plugins.StatusDelivered, At: c.Now().Add(-time.Minute)},
		{ProviderMessageID: "sms-2", MessageID: "d-2", Status: plugins.StatusFailed, Error: "MK:0001", At: c.Now()},
		{ProviderMessageID: "sms-1", Status: plugins.StatusReplied, Reply: "TD", At: c.Now()},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d callbacks %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) {
			t.Errorf("callback %d at %v, want %v", i, got[i].At, want[i].At)
		}
		got[i].At = want[i].At
		if got[i] != want[i] {
			t.Errorf("callback %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	rejected := map[string]*http.Request{
		"wrong secret": callback(t, "someone-elses-secret", c.Now(), body),
		"stale":        callback(t, appSecret, c.Now().Add(-10*time.Minute), body),
		"unsigned":     httptest.NewRequest(http.MethodPost, "/callbacks/sms", strings.NewReader(body)),
	}
	tampered := callback(t, appSecret, c.Now(), body)
	tampered.Body = http.NoBody
	rejected["tampered"] = tampered
	for name, r := range rejected {
		if _, err := s.ParseCallback(r); !errors.Is(err, plugins.ErrSignature) {
			t.Errorf("%s: err = %v, want ErrSignature", name, err)
		}
	}
	for name, r := range map[string]*http.Request{
		"object instead of array": callback(t, appSecret, c.Now(), `{"messageId":"sms-1","status":"DELIVRD"}`),
		"no ids":                  callback(t, appSecret, c.Now(), `[{"status":"DELIVRD"}]`),
	} {
		if _, err := s.ParseCallback(r); err == nil || errors.Is(err, plugins.ErrSignature) {
			t.Errorf("%s: err = %v, want a malformed-report error", name, err)
		}
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	ch, _ := plugins.Lookup(sms.Name)
	if ch.Requires() != plugins.ReachSMS || fmt.Sprint(ch.Secrets()) != "[appSecret]" {
		t.Errorf("Requires %q, Secrets %v", ch.Requires(), ch.Secrets())
	}
	valid := `"appKey":"k","appSecret":"` + appSecret + `","signName":"ShopCo"`
	tests := []struct {
		name    string
		cfg     string
		wantKey string // "" : valid
	}{
		{"valid", `{"baseUrl":"https://sms.example.com/api/",` + valid + `}`, ""},
		{"loopback http", `{"baseUrl":"http://127.0.0.1:8080",` + valid + `}`, ""},
		{"no base URL", `{` + valid + `}`, "baseUrl"},
		{"http to a remote host", `{"baseUrl":"http://sms.example.com",` + valid + `}`, "baseUrl"},
		{"query in base URL", `{"baseUrl":"https://sms.example.com/?k=v",` + valid + `}`, "baseUrl"},
		{"no app key", `{"baseUrl":"https://sms.example.com","appSecret":"` + appSecret + `","signName":"ShopCo"}`, "appKey"},
		{"short secret", `{"baseUrl":"https://sms.example.com","appKey":"k","appSecret":"abc","signName":"ShopCo"}`, "appSecret"},
		{"no sign name", `{"baseUrl":"https://sms.example.com","appKey":"k","appSecret":"` + appSecret + `"}`, "signName"},
		{"long sign name", `{"baseUrl":"https://sms.example.com",` + valid + `,"signName":"` + strings.Repeat("x", 33) + `"}`, "signName"},
		{"long template", `{"baseUrl":"https://sms.example.com",` + valid + `,"templateCode":"` + strings.Repeat("x", 65) + `"}`, "templateCode"},
		{"unknown key", `{"baseUrl":"https://sms.example.com",` + valid + `,"region":"cn"}`, "region"},
		{"app key not a string", `{"baseUrl":"https://sms.example.com","appKey":7,"appSecret":"` + appSecret + `","signName":"ShopCo"}`, "appKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ch.ValidateConfig(json.RawMessage(tt.cfg))
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("ValidateConfig: %v", err)
				}
				var cfg sms.Config
				if err := json.Unmarshal(got, &cfg); err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(cfg.BaseURL, "/") || cfg.TimeoutSeconds != 10 {
					t.Errorf("normalised = %s", got)
				}
				return
			}
			var cerr *plugins.ConfigError
			if !errors.As(err, &cerr) || cerr.Key != tt.wantKey {
				t.Errorf("err = %v, want a ConfigError for %q", err, tt.wantKey)
			}
		})
	}
}
