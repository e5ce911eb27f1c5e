// Package webhook is the "webhook" channel: each message is POSTed as JSON to a URL of
// the workspace's, signed with HMAC-SHA256 so the receiver can tell it came from us.
//
// A request carries
//
//	Content-Type: application/json
//	X-SCRM-Timestamp: <unix seconds>
//	X-SCRM-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	Idempotency-Key: <message id>
//
// and the body
//
//	{"id", "broadcastId", "leadId", "subject", "body",
//	 "recipient": {"name", "phone", "email", "externalId", "attributes"}, "sentAt"}
//
// Receivers check requests with Verify. A 2xx answer means delivered (the receipt's
// provider id is the X-Message-Id response header, or the message id); 5xx, 429,
// timeouts and network errors are retried inside Send with exponential backoff up to
// maxAttempts; any other status is a permanent failure. Redirects are not followed.
//
// The receiver may later report a status or a reply by POSTing, signed the same way
// with the same secret, {"messageId", "status": "DELIVERED|FAILED|REPLIED", "reply",
// "error", "at"} (or an array of them) to the workspace's callback endpoint, which hands
// the request to ParseCallback.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scrmhq/scrm/internal/egress"
	"github.com/scrmhq/scrm/plugins"
	"github.com/scrmhq/scrm/plugins/internal/config"
	"github.com/scrmhq/scrm/plugins/internal/httpjson"
)

// Name is the channel's registry key.
const Name = "webhook"

// Headers of a webhook request.
const (
	HeaderTimestamp      = "X-SCRM-Timestamp"
	HeaderSignature      = "X-SCRM-Signature"
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderMessageID is the response header in which a receiver may return its own id
	// for the message.
	HeaderMessageID = "X-Message-Id"
)

// DefaultTolerance is how far a signed timestamp may be from the receiver's clock
// before Verify rejects the request as a replay.
const DefaultTolerance = 5 * time.Minute

// Config is a workspace's webhook config.
type Config struct {
	// URL receives the POSTs: https, or http to a loopback host.
	URL string `json:"url"`
	// Secret keys the HMAC signature (secret, at least 16 characters).
	Secret string `json:"secret"`
	// TimeoutSeconds bounds one attempt (default 10, 1–60).
	TimeoutSeconds int `json:"timeoutSeconds"`
	// MaxAttempts is how many times Send tries before giving up (default 3, 1–10).
	MaxAttempts int `json:"maxAttempts"`
	// Headers are added to every request. They are not secret: authenticate with the
	// signature, not with a header.
	Headers map[string]string `json:"headers,omitempty"`
}

const (
	maxHeaders     = 20
	maxHeaderValue = 1024
)

func init() { plugins.Register(Channel{}) }

// Channel is the webhook channel.
type Channel struct{}

// Name implements plugins.Channel.
func (Channel) Name() string { return Name }

// Requires implements plugins.Channel: a webhook reaches every lead.
func (Channel) Requires() string { return "" }

// Secrets implements plugins.Channel.
func (Channel) Secrets() []string { return []string{"secret"} }

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
		return nil, fmt.Errorf("webhook: %w", err)
	}
	client, owned := httpjson.Client(opts.HTTPClient)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	u, _ := url.Parse(cfg.URL) // checked by parseConfig
	return &sender{
		cfg:        cfg,
		host:       u.Host,
		client:     client,
		owned:      owned,
		now:        now,
		timeout:    time.Duration(cfg.TimeoutSeconds) * time.Second,
		backoff:    100 * time.Millisecond,
		maxBackoff: 3 * time.Second,
	}, nil
}

func parseConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	if err := config.Decode(raw, &cfg); err != nil {
		return cfg, err
	}
	u, err := config.URL("url", cfg.URL)
	if err != nil {
		return cfg, err
	}
	cfg.URL = u.String()
	if err := config.String("secret", cfg.Secret, 16, 512); err != nil {
		return cfg, err
	}
	if err := config.Int("timeoutSeconds", &cfg.TimeoutSeconds, 10, 1, 60); err != nil {
		return cfg, err
	}
	if err := config.Int("maxAttempts", &cfg.MaxAttempts, 3, 1, 10); err != nil {
		return cfg, err
	}
	if len(cfg.Headers) > maxHeaders {
		return cfg, &plugins.ConfigError{Key: "headers", Message: fmt.Sprintf("at most %d headers", maxHeaders)}
	}
	headers := make(map[string]string, len(cfg.Headers))
	for name, value := range cfg.Headers {
		key := "headers." + name
		if !validHeaderName(name) {
			return cfg, &plugins.ConfigError{Key: key, Message: "is not a valid header name"}
		}
		if reservedHeader(name) {
			return cfg, &plugins.ConfigError{Key: key, Message: "is set by the channel and cannot be overridden"}
		}
		if len(value) > maxHeaderValue || strings.ContainsAny(value, "\r\n\x00") {
			return cfg, &plugins.ConfigError{Key: key, Message: fmt.Sprintf("must be one line of at most %d bytes", maxHeaderValue)}
		}
		headers[http.CanonicalHeaderKey(name)] = value
	}
	if len(headers) < len(cfg.Headers) {
		return cfg, &plugins.ConfigError{Key: "headers", Message: "a header is given twice in different case"}
	}
	cfg.Headers = headers
	if len(headers) == 0 {
		cfg.Headers = nil
	}
	return cfg, nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

func reservedHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Type", "Content-Length", "Transfer-Encoding", "Connection",
		"Te", "Trailer", "Upgrade", HeaderIdempotencyKey:
		return true
	}
	return strings.HasPrefix(strings.ToUpper(name), "X-SCRM-")
}

type sender struct {
	cfg     Config
	host    string // for error messages: the URL itself may carry a token in its query
	client  *http.Client
	owned   bool
	now     func() time.Time
	timeout time.Duration // of one attempt
	// backoff is the wait after the first failed attempt, doubled after each further
	// one up to maxBackoff.
	backoff, maxBackoff time.Duration
}

type payload struct {
	ID          string    `json:"id"`
	BroadcastID string    `json:"broadcastId"`
	LeadID      string    `json:"leadId"`
	Subject     string    `json:"subject"`
	Body        string    `json:"body"`
	Recipient   recipient `json:"recipient"`
	SentAt      time.Time `json:"sentAt"`
}

type recipient struct {
	Name       string         `json:"name"`
	Phone      string         `json:"phone"`
	Email      string         `json:"email"`
	ExternalID string         `json:"externalId"`
	Attributes map[string]any `json:"attributes"`
}

// Reachable implements plugins.Sender: a webhook receiver takes every lead.
func (s *sender) Reachable(plugins.Recipient) bool { return true }

// Send implements plugins.Sender.
func (s *sender) Send(ctx context.Context, m plugins.Message) (plugins.Receipt, error) {
	if m.ID == "" {
		return plugins.Receipt{}, plugins.Permanent(errors.New("webhook: message has no id"))
	}
	attrs := m.To.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	// The body is built once so that every attempt carries the same bytes and sentAt:
	// receivers deduplicating on Idempotency-Key see one message.
	body, err := json.Marshal(payload{
		ID:          m.ID,
		BroadcastID: m.BroadcastID,
		LeadID:      m.To.LeadID,
		Subject:     m.Subject,
		Body:        m.Body,
		Recipient: recipient{
			Name:       m.To.Name,
			Phone:      m.To.Phone,
			Email:      m.To.Email,
			ExternalID: m.To.ExternalID,
			Attributes: attrs,
		},
		SentAt: s.now().UTC(),
	})
	if err != nil {
		return plugins.Receipt{}, plugins.Permanent(fmt.Errorf("webhook: encode message: %w", err))
	}
	delay := s.backoff
	for attempt := 1; ; attempt++ {
		receipt, retryAfter, err := s.attempt(ctx, m.ID, body)
		if err == nil {
			return receipt, nil
		}
		err = fmt.Errorf("webhook %s: attempt %d of %d: %w", s.host, attempt, s.cfg.MaxAttempts, err)
		if plugins.IsPermanent(err) || attempt >= s.cfg.MaxAttempts || ctx.Err() != nil {
			return plugins.Receipt{}, err
		}
		wait := delay
		if retryAfter > wait {
			if retryAfter > s.maxBackoff {
				// The receiver asks for a longer pause than Send should block for:
				// leave the retry to the job queue.
				return plugins.Receipt{}, err
			}
			wait = retryAfter
		}
		if serr := sleep(ctx, wait); serr != nil {
			return plugins.Receipt{}, fmt.Errorf("%w; no retry: %w", err, serr)
		}
		delay = min(delay*2, s.maxBackoff)
	}
}

// attempt makes one request. It returns the receiver's Retry-After, if any, with a
// temporary error.
func (s *sender) attempt(ctx context.Context, id string, body []byte) (plugins.Receipt, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return plugins.Receipt{}, 0, plugins.Permanent(err)
	}
	for name, value := range s.cfg.Headers {
		req.Header.Set(name, value)
	}
	ts := s.now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "scrm-webhook/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(s.cfg.Secret, ts, body))
	req.Header.Set(HeaderIdempotencyKey, id)
	resp, err := s.client.Do(req)
	if err != nil {
		// Do's error repeats the URL, which may carry a token: keep only the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		if errors.Is(err, egress.ErrRefused) {
			err = plugins.Permanent(err)
		}
		return plugins.Receipt{}, 0, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, httpjson.MaxBody)) // lets the connection be reused
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		pid := resp.Header.Get(HeaderMessageID)
		if pid == "" {
			pid = id
		}
		return plugins.Receipt{ProviderMessageID: pid, Status: plugins.StatusDelivered}, 0, nil
	case code == http.StatusTooManyRequests || code >= 500:
		return plugins.Receipt{}, retryAfter(resp.Header), fmt.Errorf("status %d: %s", code, httpjson.Snippet(snippet))
	default:
		return plugins.Receipt{}, 0, plugins.Permanent(fmt.Errorf("status %d: %s", code, httpjson.Snippet(snippet)))
	}
}

// retryAfter reads a Retry-After header given in seconds (the HTTP-date form is rare
// for APIs and ignored).
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close implements plugins.Sender.
func (s *sender) Close() error {
	if s.owned {
		s.client.CloseIdleConnections()
	}
	return nil
}

// Sign returns the X-SCRM-Signature value for body sent at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a signed request's headers against its body: the timestamp must be
// within tolerance of now (DefaultTolerance when tolerance is not positive), and one of
// the comma-separated v1= signatures must match (several allow rotating the secret).
// Errors wrap plugins.ErrSignature.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	tsRaw := header.Get(HeaderTimestamp)
	if tsRaw == "" {
		return fmt.Errorf("%w: no %s header", plugins.ErrSignature, HeaderTimestamp)
	}
	ts, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed %s header", plugins.ErrSignature, HeaderTimestamp)
	}
	if age := now.Sub(time.Unix(ts, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: timestamp %s away from now", plugins.ErrSignature, age.Round(time.Second))
	}
	want := mac(secret, tsRaw, body)
	for part := range strings.SplitSeq(header.Get(HeaderSignature), ",") {
		sig, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no matching %s", plugins.ErrSignature, HeaderSignature)
}

type callbackEvent struct {
	MessageID         string    `json:"messageId"`
	ProviderMessageID string    `json:"providerMessageId"`
	Status            string    `json:"status"`
	Reply             string    `json:"reply"`
	Error             string    `json:"error"`
	At                time.Time `json:"at"`
}

// ParseCallback implements plugins.Sender: it verifies the request's signature with the
// channel secret and reads one event or an array of them.
func (s *sender) ParseCallback(r *http.Request) ([]plugins.Callback, error) {
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("webhook callback: method %s, want POST", r.Method)
	}
	body, err := httpjson.ReadBody(r)
	if err != nil {
		return nil, fmt.Errorf("webhook callback: %w", err)
	}
	now := s.now()
	if err := Verify(s.cfg.Secret, r.Header, body, now, DefaultTolerance); err != nil {
		return nil, fmt.Errorf("webhook callback: %w", err)
	}
	var events []callbackEvent
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		err = json.Unmarshal(body, &events)
	} else {
		var one callbackEvent
		err = json.Unmarshal(body, &one)
		events = []callbackEvent{one}
	}
	if err != nil {
		return nil, fmt.Errorf("webhook callback: malformed JSON: %w", err)
	}
	out := make([]plugins.Callback, 0, len(events))
	for i, e := range events {
		if e.MessageID == "" && e.ProviderMessageID == "" {
			return nil, fmt.Errorf("webhook callback: event %d has no messageId", i)
		}
		status := plugins.Status(strings.ToUpper(e.Status))
		switch status {
		case plugins.StatusDelivered, plugins.StatusFailed, plugins.StatusReplied:
		default:
			return nil, fmt.Errorf("webhook callback: event %d: status %q, want DELIVERED, FAILED or REPLIED", i, e.Status)
		}
		at := e.At
		if at.IsZero() {
			at = now
		}
		out = append(out, plugins.Callback{
			ProviderMessageID: e.ProviderMessageID,
			MessageID:         e.MessageID,
			Status:            status,
			Reply:             e.Reply,
			Error:             e.Error,
			At:                at,
		})
	}
	return out, nil
}
