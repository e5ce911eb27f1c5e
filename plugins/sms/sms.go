// Package sms is the "sms" channel: a client for an SMS provider's HTTP API in the shape
// the common providers share (token, send, signed status callback):
//
//	POST {baseUrl}/token     {"appKey", "appSecret"}
//	                         → {"access_token", "expires_in"}
//	POST {baseUrl}/sms/send  Authorization: Bearer <token>
//	                         {"to", "signName", "templateCode", "content", "clientRef"}
//	                         → {"code": "OK", "messageId"} or {"code", "message"}
//
// clientRef is the delivery id, for providers that deduplicate on it. The token is
// cached until shortly before it expires; a send answered with an expired/invalid-token
// code (or HTTP 401) gets a new token and is retried once. Error codes map to permanent
// failures (invalid number, template or sign name, blocked recipient, rejected content,
// bad credentials) or temporary ones (throttling, provider errors, 5xx); an unknown code
// is permanent when the HTTP status is 4xx and temporary otherwise.
//
// The provider reports delivery and replies by POSTing a JSON array
//
//	[{"messageId", "clientRef", "status": "DELIVRD|UNDELIV|REPLY", "errorCode", "reply", "at"}]
//
// signed with the app secret: X-Sms-Timestamp: <unix seconds> and X-Sms-Signature:
// <hex HMAC-SHA256(appSecret, timestamp + "." + body)>. A report with a reply is a
// reply, whatever its status; other statuses (e.g. intermediate ACCEPTD) are skipped.
package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scrmhq/scrm/plugins"
	"github.com/scrmhq/scrm/plugins/internal/config"
	"github.com/scrmhq/scrm/plugins/internal/httpjson"
	"github.com/scrmhq/scrm/plugins/internal/token"
)

// Name is the channel's registry key.
const Name = "sms"

// Headers of a signed status callback.
const (
	HeaderTimestamp = "X-Sms-Timestamp"
	HeaderSignature = "X-Sms-Signature"
)

// CallbackTolerance is how far a callback's timestamp may be from our clock.
const CallbackTolerance = 5 * time.Minute

// MaxContent is the longest message body, in characters (a long SMS of ~15 parts).
const MaxContent = 1000

// Config is a workspace's SMS provider config.
type Config struct {
	// BaseURL is the provider's API root: https, or http to a loopback host.
	BaseURL string `json:"baseUrl"`
	// AppKey and AppSecret (secret) obtain the access token; the secret also signs
	// callbacks.
	AppKey    string `json:"appKey"`
	AppSecret string `json:"appSecret"`
	// SignName is the registered sender signature shown in the message.
	SignName string `json:"signName"`
	// TemplateCode is the approved template, when the provider requires one.
	TemplateCode string `json:"templateCode,omitempty"`
	// TimeoutSeconds bounds each API request (default 10, 1–60).
	TimeoutSeconds int `json:"timeoutSeconds"`
}

// Provider result codes.
const (
	codeOK = "OK"
)

var (
	// Codes meaning the token is no longer good: refresh and retry once.
	tokenCodes = []string{"TOKEN_EXPIRED", "INVALID_TOKEN"}
	// Codes that no retry fixes.
	permanentCodes = []string{"INVALID_NUMBER", "INVALID_TEMPLATE", "INVALID_SIGN_NAME",
		"BLACKLISTED", "UNSUBSCRIBED", "CONTENT_REJECTED", "INVALID_CREDENTIALS", "INVALID_PARAMETER"}
	// Codes worth retrying later.
	temporaryCodes = []string{"THROTTLED", "RATE_LIMITED", "SYSTEM_ERROR", "SERVICE_UNAVAILABLE"}
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func init() { plugins.Register(Channel{}) }

// Channel is the SMS channel.
type Channel struct{}

// Name implements plugins.Channel.
func (Channel) Name() string { return Name }

// Requires implements plugins.Channel.
func (Channel) Requires() string { return plugins.ReachSMS }

// Secrets implements plugins.Channel.
func (Channel) Secrets() []string { return []string{"appSecret"} }

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
		return nil, fmt.Errorf("sms: %w", err)
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

func parseConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	if err := config.Decode(raw, &cfg); err != nil {
		return cfg, err
	}
	base, err := config.BaseURL("baseUrl", cfg.BaseURL)
	if err != nil {
		return cfg, err
	}
	cfg.BaseURL = base
	checks := []error{
		config.String("appKey", cfg.AppKey, 1, 128),
		config.String("appSecret", cfg.AppSecret, 8, 256),
		config.String("signName", cfg.SignName, 2, 32),
		config.String("templateCode", cfg.TemplateCode, 0, 64),
		config.Int("timeoutSeconds", &cfg.TimeoutSeconds, 10, 1, 60),
	}
	for _, err := range checks {
		if err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

type sender struct {
	cfg     Config
	client  *http.Client
	owned   bool
	now     func() time.Time
	timeout time.Duration // of one API request
	tokens  *token.Source
}

// Reachable implements plugins.Sender: the lead needs the SMS flag and an E.164 phone.
func (s *sender) Reachable(r plugins.Recipient) bool {
	return slices.Contains(r.Reachable, plugins.ReachSMS) && e164.MatchString(r.Phone)
}

type sendRequest struct {
	To           string `json:"to"`
	SignName     string `json:"signName"`
	TemplateCode string `json:"templateCode,omitempty"`
	Content      string `json:"content"`
	ClientRef    string `json:"clientRef"`
}

type sendResponse struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageID string `json:"messageId"`
}

// Send implements plugins.Sender.
func (s *sender) Send(ctx context.Context, m plugins.Message) (plugins.Receipt, error) {
	switch {
	case m.ID == "":
		return plugins.Receipt{}, plugins.Permanent(errors.New("sms: message has no id"))
	case !e164.MatchString(m.To.Phone):
		return plugins.Receipt{}, plugins.Permanent(fmt.Errorf("sms: phone %q is not E.164", m.To.Phone))
	case m.Body == "" && s.cfg.TemplateCode == "":
		return plugins.Receipt{}, plugins.Permanent(errors.New("sms: empty message"))
	case utf8.RuneCountInString(m.Body) > MaxContent:
		return plugins.Receipt{}, plugins.Permanent(fmt.Errorf("sms: message longer than %d characters", MaxContent))
	}
	req := sendRequest{
		To:           m.To.Phone,
		SignName:     s.cfg.SignName,
		TemplateCode: s.cfg.TemplateCode,
		Content:      m.Body,
		ClientRef:    m.ID,
	}
	for attempt := 1; ; attempt++ {
		tok, err := s.tokens.Token(ctx)
		if err != nil {
			return plugins.Receipt{}, fmt.Errorf("sms: %w", err)
		}
		resp, err := s.call(ctx, "/sms/send", tok, req)
		if err != nil {
			return plugins.Receipt{}, fmt.Errorf("sms: send: %w", err)
		}
		var out sendResponse
		_ = json.Unmarshal(resp.Body, &out) // a body that is not ours leaves Code empty
		switch {
		case resp.Status/100 == 2 && out.Code == codeOK:
			id := out.MessageID
			if id == "" {
				id = m.ID // the provider will report by clientRef
			}
			return plugins.Receipt{ProviderMessageID: id, Status: plugins.StatusSent}, nil
		case resp.Status == http.StatusUnauthorized || slices.Contains(tokenCodes, out.Code):
			if attempt > 1 {
				return plugins.Receipt{}, fmt.Errorf("sms: send: token rejected again after refresh: %s", describe(resp, out))
			}
			if err := s.tokens.Invalidate(ctx, tok); err != nil {
				return plugins.Receipt{}, fmt.Errorf("sms: send: %w", err)
			}
		default:
			return plugins.Receipt{}, classify("sms: send", resp, out)
		}
	}
}

// classify turns a failed answer into an error, permanent when no retry can help.
func classify(what string, resp *httpjson.Response, out sendResponse) error {
	err := fmt.Errorf("%s: %s", what, describe(resp, out))
	switch {
	case slices.Contains(permanentCodes, out.Code):
		return plugins.Permanent(err)
	case slices.Contains(temporaryCodes, out.Code),
		resp.Status == http.StatusTooManyRequests, resp.Status >= 500:
		return err
	case resp.Status >= 400:
		return plugins.Permanent(err)
	default:
		return err
	}
}

func describe(resp *httpjson.Response, out sendResponse) string {
	if out.Code == "" {
		return fmt.Sprintf("status %d: %s", resp.Status, httpjson.Snippet(resp.Body))
	}
	return fmt.Sprintf("status %d: %s %s", resp.Status, out.Code, out.Message)
}

// call POSTs in to an API path with a request timeout.
func (s *sender) call(ctx context.Context, path, tok string, in any) (*httpjson.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var header http.Header
	if tok != "" {
		header = http.Header{"Authorization": {"Bearer " + tok}}
	}
	return httpjson.Do(ctx, s.client, http.MethodPost, s.cfg.BaseURL+path, header, in)
}

func (s *sender) fetchToken(ctx context.Context) (string, time.Duration, error) {
	resp, err := s.call(ctx, "/token", "", map[string]string{"appKey": s.cfg.AppKey, "appSecret": s.cfg.AppSecret})
	if err != nil {
		return "", 0, fmt.Errorf("get token: %w", err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		sendResponse
	}
	_ = json.Unmarshal(resp.Body, &out)
	switch {
	case resp.Status/100 == 2 && out.AccessToken != "":
		ttl := time.Duration(out.ExpiresIn) * time.Second
		if ttl <= 0 {
			ttl = 5 * time.Minute // no lifetime given: refresh soon rather than never
		}
		return out.AccessToken, ttl, nil
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return "", 0, plugins.Permanent(fmt.Errorf("get token: credentials rejected: %s", describe(resp, out.sendResponse)))
	default:
		return "", 0, classify("get token", resp, out.sendResponse)
	}
}

// Close implements plugins.Sender.
func (s *sender) Close() error {
	if s.owned {
		s.client.CloseIdleConnections()
	}
	return nil
}

// Sign returns the X-Sms-Signature a provider puts on a callback body sent at ts.
func Sign(appSecret string, ts time.Time, body []byte) string {
	return hex.EncodeToString(mac(appSecret, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

func (s *sender) verify(h http.Header, body []byte) error {
	tsRaw := h.Get(HeaderTimestamp)
	ts, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: missing or malformed %s", plugins.ErrSignature, HeaderTimestamp)
	}
	if age := s.now().Sub(time.Unix(ts, 0)); age > CallbackTolerance || age < -CallbackTolerance {
		return fmt.Errorf("%w: stale timestamp", plugins.ErrSignature)
	}
	got, err := hex.DecodeString(h.Get(HeaderSignature))
	if err != nil || !hmac.Equal(got, mac(s.cfg.AppSecret, tsRaw, body)) {
		return fmt.Errorf("%w: %s does not match", plugins.ErrSignature, HeaderSignature)
	}
	return nil
}

type report struct {
	MessageID string    `json:"messageId"`
	ClientRef string    `json:"clientRef"`
	Status    string    `json:"status"`
	ErrorCode string    `json:"errorCode"`
	Reply     string    `json:"reply"`
	At        time.Time `json:"at"`
}

// ParseCallback implements plugins.Sender for the provider's signed status reports.
func (s *sender) ParseCallback(r *http.Request) ([]plugins.Callback, error) {
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("sms callback: method %s, want POST", r.Method)
	}
	body, err := httpjson.ReadBody(r)
	if err != nil {
		return nil, fmt.Errorf("sms callback: %w", err)
	}
	if err := s.verify(r.Header, body); err != nil {
		return nil, fmt.Errorf("sms callback: %w", err)
	}
	var reports []report
	if err := json.Unmarshal(bytes.TrimSpace(body), &reports); err != nil {
		return nil, fmt.Errorf("sms callback: want a JSON array of reports: %w", err)
	}
	now := s.now()
	out := make([]plugins.Callback, 0, len(reports))
	for i, rep := range reports {
		if rep.MessageID == "" && rep.ClientRef == "" {
			return nil, fmt.Errorf("sms callback: report %d has neither messageId nor clientRef", i)
		}
		cb := plugins.Callback{ProviderMessageID: rep.MessageID, MessageID: rep.ClientRef, At: rep.At}
		if cb.At.IsZero() {
			cb.At = now
		}
		switch status := strings.ToUpper(rep.Status); {
		case rep.Reply != "" || status == "REPLY":
			cb.Status, cb.Reply = plugins.StatusReplied, rep.Reply
		case status == "DELIVRD":
			cb.Status = plugins.StatusDelivered
		case status == "UNDELIV":
			cb.Status, cb.Error = plugins.StatusFailed, rep.ErrorCode
			if cb.Error == "" {
				cb.Error = "UNDELIV"
			}
		default:
			continue // intermediate states say nothing the delivery row records
		}
		out = append(out, cb)
	}
	return out, nil
}
