// Package wecom is the "wecom" channel: text messages through a WeCom (企业微信)
// self-built application's API.
//
//	GET  {baseUrl}/cgi-bin/gettoken?corpid=…&corpsecret=…
//	     → {"errcode": 0, "access_token", "expires_in"}
//	POST {baseUrl}/cgi-bin/message/send?access_token=…
//	     {"touser", "msgtype": "text", "agentid", "text": {"content"},
//	      "enable_duplicate_check": 1, "duplicate_check_interval": 1800}
//	     → {"errcode": 0, "msgid", "invaliduser"}
//
// A message goes to the lead's ExternalID, the WeCom user id the lead is known by to the
// corp. A lead with only a UnionID is not reachable: a WeChat unionid must first be
// converted to an external_userid with the external-contact API, which this channel
// does not call. The content is the body, preceded by the subject and a blank line when
// there is one. WeCom's duplicate check (same user, same content, 30 minutes) keeps a
// retried send from arriving twice.
//
// The access token is cached until shortly before expires_in; errcode 40014, 42001 or
// 40001 (token invalid, expired, not the latest) gets a new token and one retry.
// Errcode -1 (busy) and the frequency limits (45009, 45033) are temporary, as are 5xx
// and network errors; any other errcode is permanent (WeCom's errcodes describe bad
// requests: unknown user, agent, blocked IP…).
//
// Callbacks use a simplified form of WeCom's: the body is plain JSON instead of
// AES-encrypted XML,
//
//	{"agentId", "events": [{"msgId", "status": "DELIVERED|FAILED|REPLIED",
//	                        "content", "errMsg", "createTime"}]}
//
// and the query carries timestamp, nonce and msg_signature = hex(sha1 of the sorted
// concatenation of callbackToken, timestamp, nonce and the body)), WeCom's construction
// with the body in place of the encrypted message. Without a callbackToken the
// workspace has no callbacks (plugins.ErrUnsupported).
package wecom

import (
	"context"
	"crypto/sha1" //nolint:gosec // WeCom's callback signature is defined with SHA-1
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scrmhq/scrm/plugins"
	"github.com/scrmhq/scrm/plugins/internal/config"
	"github.com/scrmhq/scrm/plugins/internal/httpjson"
	"github.com/scrmhq/scrm/plugins/internal/token"
)

// Name is the channel's registry key.
const Name = "wecom"

// DefaultBaseURL is WeCom's API host.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// MaxContent is WeCom's limit on a text message, in bytes.
const MaxContent = 2048

// CallbackTolerance is how far a callback's timestamp may be from our clock.
const CallbackTolerance = 5 * time.Minute

// Config is a workspace's WeCom application config.
type Config struct {
	// BaseURL defaults to DefaultBaseURL; another is for proxies and tests.
	BaseURL string `json:"baseUrl"`
	// CorpID and CorpSecret (the application's secret) obtain the access token.
	CorpID     string `json:"corpId"`
	CorpSecret string `json:"corpSecret"`
	// AgentID is the application's id.
	AgentID int64 `json:"agentId"`
	// CallbackToken (secret) verifies callback signatures; empty: no callbacks.
	CallbackToken string `json:"callbackToken,omitempty"`
	// ContactSecret (secret) is the customer-contact (客户联系) secret: the
	// access token of the external-contact API (internal/wecom).
	ContactSecret string `json:"contactSecret,omitempty"`
	// EncodingAESKey (secret, 43 characters) decrypts WeCom's callbacks
	// (internal/wecom); with CallbackToken it enables the customer events.
	EncodingAESKey string `json:"encodingAESKey,omitempty"`
	// TimeoutSeconds bounds each API request (default 10, 1–60).
	TimeoutSeconds int `json:"timeoutSeconds"`
	// MassSendRemindAfterMinutes, when set (1–4260, under the 3 days a
	// template stays open), reminds each staff mass-send template's member
	// once that long after the template was made, unless they sent it
	// (internal/wecom, remind_groupmsg_send).
	MassSendRemindAfterMinutes int `json:"massSendRemindAfterMinutes,omitempty"`
	// ImageUploadsPerDay caps the workspace's image uploads to WeCom
	// (media/uploadimg) per day of WeCom's calendar (1–1000; 0:
	// DefaultImageUploadsPerDay), below WeCom's 1,000 a day per corp
	// (internal/wecom).
	ImageUploadsPerDay int `json:"imageUploadsPerDay,omitempty"`
	// SidebarOrigin, when set, is the public origin (https://host[:port])
	// the chat sidebar is served from: WeCom's trusted domain (可信域名).
	// The JS-SDK signs only pages of it; unset, pages of the host the
	// request came to (internal/wecom, docs/wecom.md "The chat sidebar").
	SidebarOrigin string `json:"sidebarOrigin,omitempty"`
	// VerifyFileName and VerifyFileContent are WeCom's domain verification
	// file (可信域名: WW_verify_….txt and the text it holds), which scrm serves
	// at the root of its host (GET /WW_verify_….txt) while a workspace has
	// it configured; both or neither.
	VerifyFileName    string `json:"verifyFileName,omitempty"`
	VerifyFileContent string `json:"verifyFileContent,omitempty"`
}

// VerifyFilePattern is the name of WeCom's domain verification file.
var VerifyFilePattern = regexp.MustCompile(`^WW_verify_[A-Za-z0-9]+\.txt$`)

// MaxVerifyFileContent bounds the verification file's content (WeCom's is
// 16 letters and digits).
const MaxVerifyFileContent = 128

// Image uploads a day: WeCom allows a corp 1,000 media/uploadimg calls a
// day; scrm stops a workspace at DefaultImageUploadsPerDay unless the
// channel sets imageUploadsPerDay, which may not pass WeCom's limit.
const (
	DefaultImageUploadsPerDay = 900
	MaxImageUploadsPerDay     = 1000
)

// MaxRemindAfterMinutes bounds MassSendRemindAfterMinutes: 71 hours, an
// hour before WeCom closes a template (3 days after it was made).
const MaxRemindAfterMinutes = 4260

const (
	errBusy              = -1
	errInvalidCredential = 40001
	errInvalidToken      = 40014
	errTokenExpired      = 42001
	errFreqLimit         = 45009
	errConcurrencyLimit  = 45033
)

var (
	tokenErrors     = []int{errInvalidCredential, errInvalidToken, errTokenExpired}
	temporaryErrors = []int{errBusy, errFreqLimit, errConcurrencyLimit}

	corpIDPattern        = regexp.MustCompile(`^[A-Za-z0-9]{4,64}$`)
	callbackTokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
)

func init() { plugins.Register(Channel{}) }

// Channel is the WeCom channel.
type Channel struct{}

// Name implements plugins.Channel.
func (Channel) Name() string { return Name }

// Requires implements plugins.Channel.
func (Channel) Requires() string { return plugins.ReachWeCom }

// Secrets implements plugins.Channel.
func (Channel) Secrets() []string {
	return []string{"corpSecret", "callbackToken", "contactSecret", "encodingAESKey"}
}

// ValidateConfig implements plugins.Channel.
func (Channel) ValidateConfig(raw json.RawMessage) (json.RawMessage, error) {
	cfg, err := parseConfig(raw)
	if err != nil {
		return nil, err
	}
	return config.Encode(cfg)
}

// Open implements plugins.Channel.
func (Channel) Open(raw json.RawMessage, opts plugins.Options) (plugins.Sender, error) {
	cfg, err := parseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("wecom: %w", err)
	}
	client, owned := httpjson.Client(opts.HTTPClient)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &sender{
		cfg:     cfg,
		client:  client,
		owned:   owned,
		now:     now,
		timeout: time.Duration(cfg.TimeoutSeconds) * time.Second,
	}
	s.tokens = token.New(s.fetchToken, now)
	return s, nil
}

// ParseConfig reads and checks a workspace's config (the customer layer,
// internal/wecom, reads the same config as the sender).
func ParseConfig(raw json.RawMessage) (Config, error) { return parseConfig(raw) }

func parseConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	if err := config.Decode(raw, &cfg); err != nil {
		return cfg, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := config.BaseURL("baseUrl", cfg.BaseURL)
	if err != nil {
		return cfg, err
	}
	cfg.BaseURL = base
	switch {
	case cfg.CorpID == "":
		return cfg, &plugins.ConfigError{Key: "corpId", Message: "is required"}
	case !corpIDPattern.MatchString(cfg.CorpID):
		return cfg, &plugins.ConfigError{Key: "corpId", Message: "must be 4–64 letters and digits"}
	case cfg.AgentID <= 0:
		return cfg, &plugins.ConfigError{Key: "agentId", Message: "is required (the application's AgentId)"}
	case cfg.CallbackToken != "" && !callbackTokenPattern.MatchString(cfg.CallbackToken):
		return cfg, &plugins.ConfigError{Key: "callbackToken", Message: "must be 3–32 letters and digits"}
	}
	if cfg.ContactSecret == "" || cfg.CorpSecret != "" {
		if err := config.String("corpSecret", cfg.CorpSecret, 8, 128); err != nil {
			return cfg, err
		}
	}
	if cfg.ContactSecret != "" {
		if err := config.String("contactSecret", cfg.ContactSecret, 8, 128); err != nil {
			return cfg, err
		}
	}
	if cfg.EncodingAESKey != "" {
		if k, err := base64.StdEncoding.DecodeString(cfg.EncodingAESKey + "="); len(cfg.EncodingAESKey) != 43 || err != nil || len(k) != 32 {
			return cfg, &plugins.ConfigError{Key: "encodingAESKey", Message: "must be the 43 characters WeCom shows (EncodingAESKey)"}
		}
		if cfg.CallbackToken == "" {
			return cfg, &plugins.ConfigError{Key: "callbackToken", Message: "is required with encodingAESKey (the callback Token)"}
		}
	}
	if err := config.Int("timeoutSeconds", &cfg.TimeoutSeconds, 10, 1, 60); err != nil {
		return cfg, err
	}
	if m := cfg.MassSendRemindAfterMinutes; m < 0 || m > MaxRemindAfterMinutes {
		return cfg, &plugins.ConfigError{Key: "massSendRemindAfterMinutes",
			Message: fmt.Sprintf("must be 1 to %d minutes (WeCom keeps a template open 3 days), or left out for no automatic reminder", MaxRemindAfterMinutes)}
	}
	if n := cfg.ImageUploadsPerDay; n < 0 || n > MaxImageUploadsPerDay {
		return cfg, &plugins.ConfigError{Key: "imageUploadsPerDay",
			Message: fmt.Sprintf("must be 1 to %d (WeCom allows a corp %d image uploads a day), or left out for %d",
				MaxImageUploadsPerDay, MaxImageUploadsPerDay, DefaultImageUploadsPerDay)}
	}
	if cfg.SidebarOrigin != "" {
		o, err := config.BaseURL("sidebarOrigin", cfg.SidebarOrigin)
		if err != nil {
			return cfg, err
		}
		if u, _ := url.Parse(o); u == nil || u.Path != "" {
			return cfg, &plugins.ConfigError{Key: "sidebarOrigin", Message: "must be an origin (https://host or https://host:port), without a path"}
		}
		cfg.SidebarOrigin = o
	}
	if err := checkVerifyFile(&cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// checkVerifyFile checks (and trims) the domain verification file's name
// and content: both or neither, the name WeCom's (WW_verify_….txt, at most
// 128 bytes), the content 1 to MaxVerifyFileContent visible ASCII
// characters, as WeCom's file holds.
func checkVerifyFile(cfg *Config) error {
	cfg.VerifyFileName = strings.TrimSpace(cfg.VerifyFileName)
	cfg.VerifyFileContent = strings.TrimSpace(cfg.VerifyFileContent)
	name, content := cfg.VerifyFileName, cfg.VerifyFileContent
	switch {
	case name == "" && content == "":
		return nil
	case name == "":
		return &plugins.ConfigError{Key: "verifyFileName", Message: "is required with verifyFileContent (the file's name, WW_verify_….txt)"}
	case len(name) > 128 || !VerifyFilePattern.MatchString(name):
		return &plugins.ConfigError{Key: "verifyFileName", Message: "must be the name WeCom gives, WW_verify_ and letters and digits and .txt (e.g. WW_verify_4ZNaK9fT3FA6ljQH.txt)"}
	case content == "":
		return &plugins.ConfigError{Key: "verifyFileContent", Message: "is required with verifyFileName (the text inside the file WeCom gives)"}
	case len(content) > MaxVerifyFileContent:
		return &plugins.ConfigError{Key: "verifyFileContent", Message: fmt.Sprintf("at most %d characters (the text inside the file WeCom gives)", MaxVerifyFileContent)}
	}
	for _, r := range content {
		if r < 0x21 || r > 0x7e {
			return &plugins.ConfigError{Key: "verifyFileContent", Message: "must be the file's text: letters, digits and symbols, no spaces or line breaks"}
		}
	}
	return nil
}

type sender struct {
	cfg     Config
	client  *http.Client
	owned   bool
	now     func() time.Time
	timeout time.Duration // of one API request
	tokens  *token.Source
}

// Reachable implements plugins.Sender: the lead needs the WECOM flag and an ExternalID.
func (s *sender) Reachable(r plugins.Recipient) bool {
	return slices.Contains(r.Reachable, plugins.ReachWeCom) && r.ExternalID != ""
}

// result is the envelope of every WeCom answer.
type result struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	MsgID       string `json:"msgid"`
	InvalidUser string `json:"invaliduser"`
}

type textMessage struct {
	ToUser                 string `json:"touser"`
	MsgType                string `json:"msgtype"`
	AgentID                int64  `json:"agentid"`
	Text                   text   `json:"text"`
	EnableDuplicateCheck   int    `json:"enable_duplicate_check"`
	DuplicateCheckInterval int    `json:"duplicate_check_interval"`
}

type text struct {
	Content string `json:"content"`
}

// Send implements plugins.Sender.
func (s *sender) Send(ctx context.Context, m plugins.Message) (plugins.Receipt, error) {
	content := m.Body
	if m.Subject != "" {
		content = m.Subject + "\n\n" + m.Body
	}
	switch {
	case m.To.ExternalID == "":
		return plugins.Receipt{}, plugins.Permanent(errors.New("wecom: recipient has no ExternalID"))
	case strings.TrimSpace(content) == "":
		return plugins.Receipt{}, plugins.Permanent(errors.New("wecom: empty message"))
	case len(content) > MaxContent:
		return plugins.Receipt{}, plugins.Permanent(fmt.Errorf("wecom: message longer than %d bytes", MaxContent))
	}
	msg := textMessage{
		ToUser:                 m.To.ExternalID,
		MsgType:                "text",
		AgentID:                s.cfg.AgentID,
		Text:                   text{Content: content},
		EnableDuplicateCheck:   1,
		DuplicateCheckInterval: 1800,
	}
	for attempt := 1; ; attempt++ {
		tok, err := s.tokens.Token(ctx)
		if err != nil {
			return plugins.Receipt{}, fmt.Errorf("wecom: %w", err)
		}
		res, err := s.call(ctx, http.MethodPost, "/cgi-bin/message/send", url.Values{"access_token": {tok}}, msg)
		if err != nil {
			return plugins.Receipt{}, fmt.Errorf("wecom: send: %w", err)
		}
		switch {
		case res.ErrCode == 0 && res.InvalidUser != "":
			return plugins.Receipt{}, plugins.Permanent(fmt.Errorf("wecom: send: invalid user %q", res.InvalidUser))
		case res.ErrCode == 0:
			return plugins.Receipt{ProviderMessageID: res.MsgID, Status: plugins.StatusSent}, nil
		case slices.Contains(tokenErrors, res.ErrCode) && attempt == 1:
			if err := s.tokens.Invalidate(ctx, tok); err != nil {
				return plugins.Receipt{}, fmt.Errorf("wecom: send: %w", err)
			}
		case slices.Contains(tokenErrors, res.ErrCode):
			return plugins.Receipt{}, fmt.Errorf("wecom: send: token rejected again after refresh: %s", res)
		default:
			return plugins.Receipt{}, classify("wecom: send", res)
		}
	}
}

func (r *result) String() string { return fmt.Sprintf("errcode %d: %s", r.ErrCode, r.ErrMsg) }

func classify(what string, res *result) error {
	err := fmt.Errorf("%s: %s", what, res)
	if slices.Contains(temporaryErrors, res.ErrCode) {
		return err
	}
	return plugins.Permanent(err)
}

// call makes one API request. An answer that is not WeCom's JSON (a proxy's error
// page, a 5xx) is a temporary error.
func (s *sender) call(ctx context.Context, method, path string, query url.Values, in any) (*result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	resp, err := httpjson.Do(ctx, s.client, method, s.cfg.BaseURL+path+"?"+query.Encode(), nil, in)
	if err != nil {
		return nil, err
	}
	var res result
	if err := json.Unmarshal(resp.Body, &res); err != nil || resp.Status/100 != 2 {
		return nil, fmt.Errorf("status %d: %s", resp.Status, httpjson.Snippet(resp.Body))
	}
	return &res, nil
}

func (s *sender) fetchToken(ctx context.Context) (string, time.Duration, error) {
	res, err := s.call(ctx, http.MethodGet, "/cgi-bin/gettoken",
		url.Values{"corpid": {s.cfg.CorpID}, "corpsecret": {s.cfg.CorpSecret}}, nil)
	if err != nil {
		return "", 0, fmt.Errorf("get token: %w", err)
	}
	if res.ErrCode != 0 || res.AccessToken == "" {
		// Here 40001 and 40013 mean a wrong secret or corp id: permanent.
		return "", 0, classify("get token", res)
	}
	ttl := time.Duration(res.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	return res.AccessToken, ttl, nil
}

// Close implements plugins.Sender.
func (s *sender) Close() error {
	if s.owned {
		s.client.CloseIdleConnections()
	}
	return nil
}

// Signature computes a callback's msg_signature: the hex SHA-1 of token, timestamp,
// nonce and body, sorted and concatenated.
func Signature(token, timestamp, nonce string, body []byte) string {
	parts := []string{token, timestamp, nonce, string(body)}
	slices.Sort(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, ""))) //nolint:gosec // WeCom's construction
	return hex.EncodeToString(sum[:])
}

type callbackBody struct {
	AgentID int64 `json:"agentId"`
	Events  []struct {
		MsgID      string `json:"msgId"`
		Status     string `json:"status"`
		Content    string `json:"content"`
		ErrMsg     string `json:"errMsg"`
		CreateTime int64  `json:"createTime"`
	} `json:"events"`
}

// ParseCallback implements plugins.Sender for the simplified signed JSON callbacks.
func (s *sender) ParseCallback(r *http.Request) ([]plugins.Callback, error) {
	if s.cfg.CallbackToken == "" {
		return nil, fmt.Errorf("wecom callback: %w: no callbackToken configured", plugins.ErrUnsupported)
	}
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("wecom callback: method %s, want POST", r.Method)
	}
	body, err := httpjson.ReadBody(r)
	if err != nil {
		return nil, fmt.Errorf("wecom callback: %w", err)
	}
	q := r.URL.Query()
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("wecom callback: %w: missing or malformed timestamp", plugins.ErrSignature)
	}
	now := s.now()
	if age := now.Sub(time.Unix(ts, 0)); age > CallbackTolerance || age < -CallbackTolerance {
		return nil, fmt.Errorf("wecom callback: %w: stale timestamp", plugins.ErrSignature)
	}
	want := Signature(s.cfg.CallbackToken, q.Get("timestamp"), q.Get("nonce"), body)
	got := strings.ToLower(q.Get("msg_signature"))
	if q.Get("nonce") == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return nil, fmt.Errorf("wecom callback: %w: msg_signature does not match", plugins.ErrSignature)
	}
	var cb callbackBody
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, fmt.Errorf("wecom callback: malformed JSON: %w", err)
	}
	if cb.AgentID != 0 && cb.AgentID != s.cfg.AgentID {
		return nil, fmt.Errorf("wecom callback: for agent %d, this workspace's is %d", cb.AgentID, s.cfg.AgentID)
	}
	out := make([]plugins.Callback, 0, len(cb.Events))
	for i, e := range cb.Events {
		if e.MsgID == "" {
			return nil, fmt.Errorf("wecom callback: event %d has no msgId", i)
		}
		c := plugins.Callback{ProviderMessageID: e.MsgID, At: now}
		if e.CreateTime > 0 {
			c.At = time.Unix(e.CreateTime, 0)
		}
		switch plugins.Status(strings.ToUpper(e.Status)) {
		case plugins.StatusDelivered:
			c.Status = plugins.StatusDelivered
		case plugins.StatusFailed:
			c.Status, c.Error = plugins.StatusFailed, e.ErrMsg
		case plugins.StatusReplied:
			c.Status, c.Reply = plugins.StatusReplied, e.Content
		default:
			return nil, fmt.Errorf("wecom callback: event %d: status %q, want DELIVERED, FAILED or REPLIED", i, e.Status)
		}
		out = append(out, c)
	}
	return out, nil
}
