package wecom_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrmhq/scrm/plugins"
	"github.com/scrmhq/scrm/plugins/wecom"
)

const (
	corpID        = "ww0123456789abcdef"
	corpSecret    = "corp-secret-0123456789"
	agentID       = 1000002
	callbackToken = "CallbackTok3n"
)

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

// fakeWeCom is an in-process stand-in for WeCom's API: tokens that expire on its clock
// (42001) or are unknown (40014), sends answered from a script and recorded.
type fakeWeCom struct {
	clock *clock
	ttl   time.Duration

	mu         sync.Mutex
	tokens     map[string]time.Time
	tokenCalls int
	sends      []json.RawMessage
	script     []string // raw JSON answers to sends, then success
	status     int      // HTTP status for the next send, once
}

func newFake(t *testing.T, c *clock) (*fakeWeCom, *httptest.Server) {
	f := &fakeWeCom{clock: c, ttl: 7200 * time.Second, tokens: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", f.getToken)
	mux.HandleFunc("POST /cgi-bin/message/send", f.send)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeWeCom) getToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCalls++
	q := r.URL.Query()
	switch {
	case q.Get("corpid") != corpID:
		fmt.Fprint(w, `{"errcode":40013,"errmsg":"invalid corpid"}`)
	case q.Get("corpsecret") != corpSecret:
		fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
	default:
		tok := "tok-" + strconv.Itoa(f.tokenCalls)
		f.tokens[tok] = f.clock.Now().Add(f.ttl)
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","access_token":%q,"expires_in":%d}`, tok, int(f.ttl.Seconds()))
	}
}

func (f *fakeWeCom) send(w http.ResponseWriter, r *http.Request) {
	var body json.RawMessage
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.tokens[r.URL.Query().Get("access_token")]
	switch {
	case !ok:
		fmt.Fprint(w, `{"errcode":40014,"errmsg":"invalid access_token"}`)
		return
	case !f.clock.Now().Before(exp):
		fmt.Fprint(w, `{"errcode":42001,"errmsg":"access_token expired"}`)
		return
	}
	f.sends = append(f.sends, body)
	if f.status != 0 {
		w.WriteHeader(f.status)
		fmt.Fprint(w, `<html>upstream error</html>`)
		f.status = 0
		return
	}
	if len(f.script) > 0 {
		fmt.Fprint(w, f.script[0])
		f.script = f.script[1:]
		return
	}
	fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","invaliduser":"","msgid":"msg-%d"}`, len(f.sends))
}

func (f *fakeWeCom) counts() (tokenCalls, sends int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls, len(f.sends)
}

// expireAll makes the tokens issued so far expired on the fake's side only.
func (f *fakeWeCom) expireAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok := range f.tokens {
		f.tokens[tok] = f.clock.Now()
	}
}

func openSender(t *testing.T, baseURL string, c *clock, override map[string]any) plugins.Sender {
	t.Helper()
	cfg := map[string]any{"baseUrl": baseURL, "corpId": corpID, "corpSecret": corpSecret, "agentId": agentID, "callbackToken": callbackToken}
	for k, v := range override {
		if v == nil {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	raw, _ := json.Marshal(cfg)
	ch, ok := plugins.Lookup(wecom.Name)
	if !ok {
		t.Fatal("wecom channel not registered")
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
		ID:      id,
		Subject: "Spring offer",
		Body:    "20% off this week",
		To:      plugins.Recipient{LeadID: "lead-1", ExternalID: "wmABC123", Reachable: []string{plugins.ReachWeCom}},
	}
}

func TestSend(t *testing.T) {
	t.Parallel()
	c := newClock()
	f, srv := newFake(t, c)
	s := openSender(t, srv.URL, c, nil)

	receipt, err := s.Send(context.Background(), message("d-1"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt != (plugins.Receipt{ProviderMessageID: "msg-1", Status: plugins.StatusSent}) {
		t.Errorf("receipt = %+v", receipt)
	}
	f.mu.Lock()
	first := f.sends[0]
	f.mu.Unlock()
	var got map[string]any
	if err := json.Unmarshal(first, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"touser": "wmABC123", "msgtype": "text", "agentid": float64(agentID),
		"text":                   map[string]any{"content": "Spring offer\n\n20% off this week"},
		"enable_duplicate_check": 1.0, "duplicate_check_interval": 1800.0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sent %v\nwant %v", got, want)
	}

	// Reused token; then, near expiry (7200 s token, 5 min margin), a new one.
	if _, err := s.Send(context.Background(), message("d-2")); err != nil {
		t.Fatal(err)
	}
	if tokens, _ := f.counts(); tokens != 1 {
		t.Errorf("token calls = %d, want 1", tokens)
	}
	c.Advance(7200*time.Second - 4*time.Minute)
	if _, err := s.Send(context.Background(), message("d-3")); err != nil {
		t.Fatal(err)
	}
	if tokens, sends := f.counts(); tokens != 2 || sends != 3 {
		t.Errorf("token calls %d, sends %d; want 2 and 3", tokens, sends)
	}
}

func TestTokenErrorsRefreshOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(*fakeWeCom)
	}{
		{"expired 42001", (*fakeWeCom).expireAll},
		{"unknown 40014", func(f *fakeWeCom) { f.mu.Lock(); clear(f.tokens); f.mu.Unlock() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			f, srv := newFake(t, c)
			s := openSender(t, srv.URL, c, nil)
			if _, err := s.Send(context.Background(), message("d-1")); err != nil {
				t.Fatal(err)
			}
			tt.spoil(f)
			receipt, err := s.Send(context.Background(), message("d-2"))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if tokens, sends := f.counts(); tokens != 2 || sends != 2 || receipt.ProviderMessageID != "msg-2" {
				t.Errorf("token calls %d, sends %d, receipt %+v", tokens, sends, receipt)
			}
		})
	}

	t.Run("rejected again", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		f, srv := newFake(t, c)
		f.ttl = 0 // every token is born expired
		s := openSender(t, srv.URL, c, nil)
		_, err := s.Send(context.Background(), message("d-1"))
		if err == nil || plugins.IsPermanent(err) {
			t.Fatalf("err = %v, want temporary", err)
		}
		if tokens, _ := f.counts(); tokens != 2 {
			t.Errorf("token calls = %d, want 2", tokens)
		}
	})
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   string
		status   int
		wantPerm bool
	}{
		{name: "system busy", answer: `{"errcode":-1,"errmsg":"system busy"}`},
		{name: "frequency limit", answer: `{"errcode":45009,"errmsg":"api freq out of limit"}`},
		{name: "gateway error page", status: http.StatusBadGateway},
		{name: "user not found", answer: `{"errcode":60111,"errmsg":"userid not found"}`, wantPerm: true},
		{name: "all recipients invalid", answer: `{"errcode":81013,"errmsg":"user & party & tag all invalid"}`, wantPerm: true},
		{name: "invalid user reported", answer: `{"errcode":0,"errmsg":"ok","invaliduser":"wmABC123","msgid":"x"}`, wantPerm: true},
		{name: "bad agent", answer: `{"errcode":40056,"errmsg":"invalid agentid"}`, wantPerm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			f, srv := newFake(t, c)
			if tt.answer != "" {
				f.script = []string{tt.answer}
			}
			f.status = tt.status
			_, err := openSender(t, srv.URL, c, nil).Send(context.Background(), message("d-1"))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if plugins.IsPermanent(err) != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.wantPerm, tt.wantPerm)
			}
		})
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	c := newClock()
	_, srv := newFake(t, c)
	for name, override := range map[string]map[string]any{
		"secret": {"corpSecret": "not-the-secret-123"},
		"corpid": {"corpId": "ww9999999999999999"},
	} {
		_, err := openSender(t, srv.URL, c, override).Send(context.Background(), message("d-1"))
		if !plugins.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
}

func TestProviderDownLeaksNoSecret(t *testing.T) {
	t.Parallel()
	c := newClock()
	_, srv := newFake(t, c)
	base := srv.URL
	srv.Close()
	_, err := openSender(t, base, c, nil).Send(context.Background(), message("d-1"))
	if err == nil || plugins.IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if strings.Contains(err.Error(), corpSecret) {
		t.Errorf("error shows the corp secret: %v", err)
	}
}

func TestSendRejectsBeforeCallingWeCom(t *testing.T) {
	t.Parallel()
	c := newClock()
	f, srv := newFake(t, c)
	s := openSender(t, srv.URL, c, nil)
	noID := message("d-1")
	noID.To.ExternalID = ""
	noID.To.UnionID = "o6_bmasdasdsad6_2sgVt7hMZOPfL"
	long := message("d-1")
	long.Body = strings.Repeat("长", wecom.MaxContent/3+1)
	empty := message("d-1")
	empty.Subject, empty.Body = "", " "
	for name, m := range map[string]plugins.Message{"unionid only": noID, "too long": long, "empty": empty} {
		if _, err := s.Send(context.Background(), m); !plugins.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
	if tokens, sends := f.counts(); tokens+sends != 0 {
		t.Errorf("WeCom called: %d token calls, %d sends", tokens, sends)
	}
}

func TestReachable(t *testing.T) {
	t.Parallel()
	s := openSender(t, "", newClock(), map[string]any{"baseUrl": nil})
	tests := []struct {
		r    plugins.Recipient
		want bool
	}{
		{plugins.Recipient{ExternalID: "wm1", Reachable: []string{plugins.ReachWeCom}}, true},
		{plugins.Recipient{ExternalID: "wm1", Reachable: []string{plugins.ReachOfficialAccount}}, false},
		{plugins.Recipient{UnionID: "o6_x", Reachable: []string{plugins.ReachWeCom}}, false},
	}
	for _, tt := range tests {
		if got := s.Reachable(tt.r); got != tt.want {
			t.Errorf("Reachable(%+v) = %v, want %v", tt.r, got, tt.want)
		}
	}
}

func signed(t *testing.T, tok string, ts time.Time, nonce, body string) *http.Request {
	t.Helper()
	tsRaw := strconv.FormatInt(ts.Unix(), 10)
	q := url.Values{"timestamp": {tsRaw}, "nonce": {nonce}, "msg_signature": {wecom.Signature(tok, tsRaw, nonce, []byte(body))}}
	return httptest.NewRequest(http.MethodPost, "/callbacks/wecom?"+q.Encode(), strings.NewReader(body))
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openSender(t, "", c, map[string]any{"baseUrl": nil})
	body := `{"agentId":1000002,"events":[
		{"msgId":"msg-1","status":"DELIVERED","createTime":1740815940},
		{"msgId":"msg-2","status":"failed","errMsg":"user blocked the app"},
		{"msgId":"msg-1","status":"REPLIED","content":"how much?"}]}`
	got, err := s.ParseCallback(signed(t, callbackToken, c.Now(), "n0nce", body))
	if err != nil {
		t.Fatal(err)
	}
	want := []plugins.Callback{
		{ProviderMessageID: "msg-1", Status: plugins.StatusDelivered, At: time.Unix(1740815940, 0)},
		{ProviderMessageID: "msg-2", Status: plugins.StatusFailed, Error: "user blocked the app", At: c.Now()},
		{ProviderMessageID: "msg-1", Status: plugins.StatusReplied, Reply: "how much?", At: c.Now()},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) {
			t.Errorf("event %d at %v, want %v", i, got[i].At, want[i].At)
		}
		got[i].At = want[i].At
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	noNonce := signed(t, callbackToken, c.Now(), "", body)
	tampered := signed(t, callbackToken, c.Now(), "n0nce", body)
	tampered.Body = http.NoBody
	for name, r := range map[string]*http.Request{
		"wrong token": signed(t, "OtherToken", c.Now(), "n0nce", body),
		"stale":       signed(t, callbackToken, c.Now().Add(-time.Hour), "n0nce", body),
		"no nonce":    noNonce,
		"tampered":    tampered,
		"unsigned":    httptest.NewRequest(http.MethodPost, "/callbacks/wecom", strings.NewReader(body)),
	} {
		if _, err := s.ParseCallback(r); !errors.Is(err, plugins.ErrSignature) {
			t.Errorf("%s: err = %v, want ErrSignature", name, err)
		}
	}
	for name, b := range map[string]string{
		"other agent":    `{"agentId":7,"events":[{"msgId":"m","status":"DELIVERED"}]}`,
		"unknown status": `{"events":[{"msgId":"m","status":"READ"}]}`,
		"no msgId":       `{"events":[{"status":"DELIVERED"}]}`,
	} {
		if _, err := s.ParseCallback(signed(t, callbackToken, c.Now(), "n", b)); err == nil || errors.Is(err, plugins.ErrSignature) {
			t.Errorf("%s: err = %v, want a malformed-callback error", name, err)
		}
	}

	without := openSender(t, "", c, map[string]any{"baseUrl": nil, "callbackToken": nil})
	if _, err := without.ParseCallback(signed(t, callbackToken, c.Now(), "n0nce", body)); !errors.Is(err, plugins.ErrUnsupported) {
		t.Errorf("without callbackToken: err = %v, want ErrUnsupported", err)
	}
}

func TestSignatureMatchesWeComConstruction(t *testing.T) {
	t.Parallel()
	// sha1("1409659589" + "263014780" + "QDG6eK" + "body") with the parts sorted.
	// Order: "1409659589" < "263014780" < "QDG6eK" < "body".
	got := wecom.Signature("QDG6eK", "1409659589", "263014780", []byte("body"))
	if got != "a26c0cca7c0ce4fa1dc7c4fb88e1603be3dcf8a3" {
		t.Errorf("Signature = %s", got)
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	ch, _ := plugins.Lookup(wecom.Name)
	if ch.Requires() != plugins.ReachWeCom || fmt.Sprint(ch.Secrets()) != "[corpSecret callbackToken contactSecret encodingAESKey]" {
		t.Errorf("Requires %q, Secrets %v", ch.Requires(), ch.Secrets())
	}
	base := `"corpId":"` + corpID + `","corpSecret":"` + corpSecret + `","agentId":1000002`
	tests := []struct {
		name    string
		cfg     string
		wantKey string // "" : valid
	}{
		{"minimal", `{` + base + `}`, ""},
		{"custom base", `{"baseUrl":"https://wecom-proxy.example.com/",` + base + `,"callbackToken":"abc123"}`, ""},
		{"no corp id", `{"corpSecret":"` + corpSecret + `","agentId":1}`, "corpId"},
		{"corp id with symbols", `{"corpId":"ww 01","corpSecret":"` + corpSecret + `","agentId":1}`, "corpId"},
		{"no secret", `{"corpId":"` + corpID + `","agentId":1}`, "corpSecret"},
		{"no agent", `{"corpId":"` + corpID + `","corpSecret":"` + corpSecret + `"}`, "agentId"},
		{"agent as string", `{"corpId":"` + corpID + `","corpSecret":"` + corpSecret + `","agentId":"1000002"}`, "agentId"},
		{"bad callback token", `{` + base + `,"callbackToken":"has space"}`, "callbackToken"},
		{"http base", `{"baseUrl":"http://qyapi.weixin.qq.com",` + base + `}`, "baseUrl"},
		{"unknown key", `{` + base + `,"aesKey":"x"}`, "aesKey"},
		{"customer layer", `{"corpId":"` + corpID + `","contactSecret":"` + corpSecret + `","agentId":1,"callbackToken":"abc123","encodingAESKey":"` + strings.Repeat("a", 43) + `"}`, ""},
		{"bad AES key", `{` + base + `,"callbackToken":"abc123","encodingAESKey":"x"}`, "encodingAESKey"},
		{"AES key without token", `{` + base + `,"encodingAESKey":"` + strings.Repeat("a", 43) + `"}`, "callbackToken"},
		{"reminder at a minute", `{` + base + `,"massSendRemindAfterMinutes":1}`, ""},
		{"reminder at the last minute", `{` + base + `,"massSendRemindAfterMinutes":4260}`, ""},
		{"reminder past the template's 3 days", `{` + base + `,"massSendRemindAfterMinutes":4261}`, "massSendRemindAfterMinutes"},
		{"negative reminder", `{` + base + `,"massSendRemindAfterMinutes":-5}`, "massSendRemindAfterMinutes"},
		{"reminder as text", `{` + base + `,"massSendRemindAfterMinutes":"30"}`, "massSendRemindAfterMinutes"},
		{"one upload a day", `{` + base + `,"imageUploadsPerDay":1}`, ""},
		{"WeCom's daily uploads", `{` + base + `,"imageUploadsPerDay":1000}`, ""},
		{"uploads past WeCom's limit", `{` + base + `,"imageUploadsPerDay":1001}`, "imageUploadsPerDay"},
		{"negative uploads", `{` + base + `,"imageUploadsPerDay":-1}`, "imageUploadsPerDay"},
		{"sidebar origin", `{` + base + `,"sidebarOrigin":"https://scrm.example.com"}`, ""},
		{"sidebar origin with a port and a slash", `{` + base + `,"sidebarOrigin":"https://scrm.example.com:8443/"}`, ""},
		{"sidebar origin over http", `{` + base + `,"sidebarOrigin":"http://scrm.example.com"}`, "sidebarOrigin"},
		{"sidebar origin with a path", `{` + base + `,"sidebarOrigin":"https://scrm.example.com/app"}`, "sidebarOrigin"},
		{"sidebar origin without a scheme", `{` + base + `,"sidebarOrigin":"scrm.example.com"}`, "sidebarOrigin"},
		{"verify file", `{` + base + `,"verifyFileName":"WW_verify_4ZNaK9fT3FA6ljQH.txt","verifyFileContent":" 4ZNaK9fT3FA6ljQH\n"}`, ""},
		{"verify file without content", `{` + base + `,"verifyFileName":"WW_verify_4ZNaK9fT3FA6ljQH.txt"}`, "verifyFileContent"},
		{"verify content without a name", `{` + base + `,"verifyFileContent":"4ZNaK9fT3FA6ljQH"}`, "verifyFileName"},
		{"verify file of another name", `{` + base + `,"verifyFileName":"index.html","verifyFileContent":"x"}`, "verifyFileName"},
		{"verify file in a folder", `{` + base + `,"verifyFileName":"../WW_verify_abc.txt","verifyFileContent":"x"}`, "verifyFileName"},
		{"verify file of another kind", `{` + base + `,"verifyFileName":"WW_verify_abc.html","verifyFileContent":"x"}`, "verifyFileName"},
		{"verify content with markup", `{` + base + `,"verifyFileName":"WW_verify_abc.txt","verifyFileContent":"<script> x"}`, "verifyFileContent"},
		{"verify content too long", `{` + base + `,"verifyFileName":"WW_verify_abc.txt","verifyFileContent":"` + strings.Repeat("a", 129) + `"}`, "verifyFileContent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ch.ValidateConfig(json.RawMessage(tt.cfg))
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("ValidateConfig: %v", err)
				}
				var cfg wecom.Config
				_ = json.Unmarshal(got, &cfg)
				if cfg.BaseURL == "" || strings.HasSuffix(cfg.BaseURL, "/") || cfg.TimeoutSeconds != 10 {
					t.Errorf("normalised = %s", got)
				}
				return
			}
			var cerr *plugins.ConfigError
			if !errors.As(err, &cerr) || cerr.Key != tt.wantKey {
				t.Errorf("err = %v, want a ConfigError for %q", err, tt.wantKey)
			}
			// The reminder's bounds are said (the channel form shows the message on the field).
			if tt.wantKey == "massSendRemindAfterMinutes" && !strings.Contains(tt.cfg, `"30"`) && !strings.Contains(cerr.Message, "1 to 4260 minutes") {
				t.Errorf("message %q does not say the bounds", cerr.Message)
			}
			if tt.wantKey == "imageUploadsPerDay" && !strings.Contains(cerr.Message, "1 to 1000") {
				t.Errorf("message %q does not say the bounds", cerr.Message)
			}
		})
	}
}
