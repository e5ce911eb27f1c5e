// Package wecom is the WeCom (企业微信) customer layer: the corp's callbacks
// (URL verification and customer-contact events, signed and AES-encrypted
// with WXBizMsgCrypt), customers (external contacts) ingested as leads owned
// by the member's linked user, and churn (流失) when a customer deletes the
// member. The corp's API is called through github.com/silenceper/wechat/v2
// (work/externalcontact), whose message crypto (util.DecryptMsg,
// util.Signature) also reads the callbacks.
//
// The workspace's config is the `wecom` channel's (plugins/wecom): corpId,
// contactSecret, agentId, callbackToken, encodingAESKey and baseUrl.
package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/leads"
	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// ChannelName is the channel whose config the layer reads.
const ChannelName = wecomplug.Name

// Tolerance is how far a callback's timestamp may be from our clock; older
// callbacks are refused, so the replay table only needs rows this recent.
const Tolerance = wecomplug.CallbackTolerance

// Event names recorded on leads.
const (
	EventAdded   = "wecom.added"   // a member added the customer (or the customer the member)
	EventEdited  = "wecom.edited"  // a member edited the customer's remark or tags
	EventRemoved = "wecom.removed" // the member deleted the customer
	EventLost    = "wecom.lost"    // the customer deleted the member (流失)
)

// NotificationLost is the notifications.kind of a churn alert.
const NotificationLost = "wecom.lost"

var (
	// ErrRefused is a callback that did not come from the workspace's corp:
	// a bad or missing signature, another corp, a stale timestamp or a body
	// that does not decrypt. Nothing was changed.
	ErrRefused = errors.New("wecom: callback refused")
	// ErrNotConfigured is a workspace without the wecom channel, or whose
	// channel has no callbackToken and encodingAESKey.
	ErrNotConfigured = errors.New("wecom: the workspace has not configured WeCom callbacks")
)

// Channels reads a workspace's channel config with its secrets
// (broadcast.Service).
type Channels interface {
	ChannelConfig(ctx context.Context, key string) (json.RawMessage, bool, error)
}

// Notifier delivers notifications written in the transaction ctx carries
// (jobs.Queue, through the outbox).
type Notifier interface {
	DeliverNotifications(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) error
}

// Queue is the background work of the layer (jobs.Queue), written in the
// transaction ctx carries.
type Queue interface {
	// EnqueueWeComWelcome sends the welcome message of a contact-way add.
	EnqueueWeComWelcome(ctx context.Context, tenantID, addID uuid.UUID) error
	// EnqueueWeComMarkTags marks a tag on the leads' customers in WeCom.
	EnqueueWeComMarkTags(ctx context.Context, tenantID, tagID uuid.UUID, leads []uuid.UUID) error
	// EnqueueWeComTagSync syncs the corp tag library with the workspace's.
	EnqueueWeComTagSync(ctx context.Context, tenantID uuid.UUID) error
	// EnqueueWeComCorpTag sends a rename or delete of corp tags to WeCom.
	EnqueueWeComCorpTag(ctx context.Context, tenantID uuid.UUID, ch CorpTagChange) error
	// EnqueueWeComRemind reminds a mass-send template's member at at.
	EnqueueWeComRemind(ctx context.Context, tenantID, groupMsgID uuid.UUID, at time.Time) error
	// EnqueueWeComMediaReady uploads stored media to WeCom ahead of their
	// sends (ReadyMedia).
	EnqueueWeComMediaReady(ctx context.Context, tenantID uuid.UUID, mediaIDs []uuid.UUID) error
}

// Tagger tags leads (tagging.Service).
type Tagger interface {
	TagLeads(ctx context.Context, leadIDs, tagIDs []uuid.UUID, actor *uuid.UUID, source string) (int, error)
	UntagLeads(ctx context.Context, leadIDs, tagIDs []uuid.UUID) (int, error)
}

// Watcher hears of contact-way adds and churn in their transaction
// (journey.Service: the contactWayAdded and wecomLost triggers).
type Watcher interface {
	ContactWayAdded(ctx context.Context, contactWayID uuid.UUID, leads []uuid.UUID) error
	WeComLost(ctx context.Context, leads []uuid.UUID) error
}

// Service is the customer layer of every workspace; the workspace comes from
// the context.
type Service struct {
	Client   *ent.Client
	Channels Channels
	Ingester *leads.Ingester
	Notify   Notifier // nil: notifications stay undelivered (tools)
	Now      func() time.Time
	// Events records the wecom.* events on the customers' leads and tells
	// its watcher in the callback's transaction (journeys triggered by an
	// event); nil: recorded, nobody told.
	Events *events.Recorder
	// Fields is the workspace's custom fields (welcome templates).
	Fields *fielddefs.Service
	// Queue takes welcome messages; nil sends none (tools).
	Queue Queue
	// Tags puts a code's tags on its leads.
	Tags Tagger
	// Watcher, when set, hears of adds through codes and of churn.
	Watcher Watcher
	// MediaReadyBatch, when set, is the most stored media one ReadyMedia
	// pass uploads instead of MediaReadyBatch (tests).
	MediaReadyBatch int
	tokens          *tokens
	tickets         *tickets // the sidebar's JS-SDK tickets (sidebar.go)
}

// New returns the service.
func New(c *ent.Client, ch Channels, in *leads.Ingester, notify Notifier, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{Client: c, Channels: ch, Ingester: in, Notify: notify, Now: now,
		tokens: &tokens{now: now, m: map[string]cachedToken{}}, tickets: &tickets{m: map[string]cachedToken{}}}
}

// config is the workspace's wecom config, which must take callbacks.
func (s *Service) config(ctx context.Context) (wecomplug.Config, error) {
	raw, enabled, err := s.Channels.ChannelConfig(ctx, ChannelName)
	if ent.IsNotFound(err) || (err == nil && !enabled) {
		return wecomplug.Config{}, ErrNotConfigured
	}
	if err != nil {
		return wecomplug.Config{}, err
	}
	cfg, err := parseConfig(raw)
	if err != nil {
		return cfg, err
	}
	if cfg.CallbackToken == "" || cfg.EncodingAESKey == "" {
		return cfg, ErrNotConfigured
	}
	return cfg, nil
}
