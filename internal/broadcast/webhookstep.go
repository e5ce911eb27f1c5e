package broadcast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/plugins"
)

// Webhooks of journey steps. A journey's webhook step POSTs, per lead, what
// the webhook channel POSTs for a broadcast message (signed with the
// channel's secret, with its headers and retries), to the step's URL. The
// URL must be on the host of the workspace's webhook channel: the channel is
// an admin's choice of where lead data may go, and a journey editor may not
// send it anywhere else.

// WebhookChannel is the channel journey webhooks go through.
const WebhookChannel = "webhook"

// CheckWebhookURL checks that raw is an http(s) URL on the host of the
// workspace's enabled webhook channel; field names the input for errors.
func (s *Service) CheckWebhookURL(ctx context.Context, field, raw string) error {
	cfg, enabled, err := s.ChannelConfig(ctx, WebhookChannel)
	if ent.IsNotFound(err) || (err == nil && !enabled) {
		return apperr.Input(field, "configure and enable the webhook channel first: journey webhooks go to its host")
	}
	if err != nil {
		return err
	}
	var c struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return err
	}
	chURL, err := url.Parse(c.URL)
	if err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return apperr.Input(field, "an absolute http or https URL")
	}
	if !strings.EqualFold(u.Host, chURL.Host) || u.Scheme != chURL.Scheme {
		return apperr.Input(field, "must be on %s://%s, the webhook channel's host", chURL.Scheme, chURL.Host)
	}
	return nil
}

// WebhookMessage is one lead's webhook of a journey step.
type WebhookMessage struct {
	// Key is the idempotency key (the enrolment and step): the same for
	// every attempt.
	Key     string
	LeadID  uuid.UUID
	Subject string
	// Body is what the receiver gets as the message's body (a JSON document
	// describing the step).
	Body string
}

// SendWebhooks POSTs msgs to rawURL through the webhook channel (its
// secret, headers and retries), checking the URL against the channel's
// host again (the channel may have moved since the journey was made). A
// message whose lead no longer exists is skipped; a permanent refusal is
// returned in failed; a temporary failure is returned as the error, for the
// task to be retried (receivers deduplicate on the Idempotency-Key).
func (s *Service) SendWebhooks(ctx context.Context, rawURL string, msgs []WebhookMessage) (failed map[string]string, err error) {
	if err := s.CheckWebhookURL(ctx, "url", rawURL); err != nil {
		return nil, plugins.Permanent(err)
	}
	plug, ok := plugins.Lookup(WebhookChannel)
	if !ok {
		return nil, errors.New("the webhook channel is not installed")
	}
	cfg, _, err := s.ChannelConfig(ctx, WebhookChannel)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		return nil, err
	}
	m["url"] = rawURL
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	snd, err := plug.Open(raw, plugins.Options{HTTPClient: s.HTTPClient, DialContext: s.DialContext, Now: s.now})
	if err != nil {
		return nil, err
	}
	defer snd.Close()
	ids := make([]uuid.UUID, len(msgs))
	for i, msg := range msgs {
		ids[i] = msg.LeadID
	}
	ls, err := s.Client.Lead.Query().Where(lead.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]*ent.Lead, len(ls))
	for _, l := range ls {
		byID[l.ID] = l
	}
	failed = map[string]string{}
	for _, msg := range msgs {
		l := byID[msg.LeadID]
		if l == nil {
			continue
		}
		_, err := snd.Send(ctx, plugins.Message{ID: msg.Key, To: recipient(l), Subject: msg.Subject, Body: msg.Body})
		if plugins.IsPermanent(err) {
			failed[msg.Key] = errText(err)
			continue
		}
		if err != nil {
			return failed, fmt.Errorf("journey webhook: %w", err)
		}
	}
	return failed, nil
}
