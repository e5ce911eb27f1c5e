package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"
)

// Reachability flags stored on leads (leads.reachable): a lead can be reached on a channel
// only if it has the flag the channel Requires.
const (
	ReachPhone           = "PHONE"
	ReachSMS             = "SMS"
	ReachWeCom           = "WECOM"
	ReachOfficialAccount = "OFFICIAL_ACCOUNT"
	ReachEmail           = "EMAIL"
)

// Recipient is the lead a message goes to, with the identities channels address.
type Recipient struct {
	LeadID     string
	Name       string
	Phone      string // E.164
	Email      string
	UnionID    string
	OpenID     string
	ExternalID string
	Reachable  []string // the lead's reachability flags
	Attributes map[string]any
}

// Message is one delivery of a broadcast to one lead.
type Message struct {
	ID          string // the delivery's id: providers get it as an idempotency key / client reference
	BroadcastID string
	To          Recipient
	Subject     string
	Body        string
}

// Status is the state of a delivery as a channel reports it.
type Status string

// Delivery states a channel reports; they match the delivery rows' states.
const (
	StatusSent      Status = "SENT"
	StatusDelivered Status = "DELIVERED"
	StatusFailed    Status = "FAILED"
	StatusReplied   Status = "REPLIED"
)

// Receipt is what a successful Send learnt from the provider.
type Receipt struct {
	ProviderMessageID string
	Status            Status // SENT, or DELIVERED when the provider confirms synchronously (webhook 2xx)
}

// Callback is one inbound status report or reply, matched to a delivery by ProviderMessageID
// (or by MessageID = our Message.ID when the provider echoes it).
type Callback struct {
	ProviderMessageID string
	MessageID         string
	Status            Status // DELIVERED, FAILED or REPLIED
	Reply             string
	Error             string
	At                time.Time
}

// Channel is one kind of channel (webhook, email, …): it validates configs and opens
// senders. Implementations are stateless and registered once with Register.
type Channel interface {
	// Name is the registry key: "webhook", "email", "sms", "wecom".
	Name() string
	// Requires is the reachability flag a lead needs ("" : every lead).
	Requires() string
	// Secrets are the config keys that are secret: stored encrypted, never shown back.
	Secrets() []string
	// ValidateConfig checks a workspace's JSON config and returns it normalised; errors are
	// *ConfigError naming the key.
	ValidateConfig(raw json.RawMessage) (json.RawMessage, error)
	// Open returns a sender for a validated config.
	Open(cfg json.RawMessage, opts Options) (Sender, error)
}

// Options are what the host process lends a Sender.
type Options struct {
	HTTPClient *http.Client // nil: a default client with timeouts
	// DialContext connects plugins that dial themselves (SMTP); nil: a
	// dialer that refuses what egress.Default refuses.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
	Now         func() time.Time
}

// Sender sends messages with one workspace's config. It is safe for concurrent use.
type Sender interface {
	// Reachable reports whether the recipient can get a message on this channel (has the
	// flag and the identity the channel needs, e.g. an email address).
	Reachable(r Recipient) bool
	// Send sends one message. Errors wrap ErrPermanent when retrying cannot help (4xx,
	// invalid recipient, bad credentials); other errors are temporary.
	Send(ctx context.Context, m Message) (Receipt, error)
	// ParseCallback reads an inbound status/reply request of the provider (verifying its
	// signature where the provider signs); ErrUnsupported if the channel has none.
	ParseCallback(r *http.Request) ([]Callback, error)
	Close() error
}

// ConfigError is a channel config rejected because of one key.
type ConfigError struct{ Key, Message string }

// Error reads "key: message", or just the message when it is about the whole config.
func (e *ConfigError) Error() string {
	if e.Key == "" {
		return e.Message
	}
	return e.Key + ": " + e.Message
}

var (
	// ErrPermanent marks a send that retrying cannot fix.
	ErrPermanent = errors.New("permanent failure")
	// ErrUnsupported is returned for an operation the channel does not have.
	ErrUnsupported = errors.New("not supported by this channel")
	// ErrSignature is wrapped by ParseCallback when a callback's signature is missing,
	// wrong or stale: the request did not come from the provider (answer 401, not 400).
	ErrSignature = errors.New("invalid callback signature")
)

type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{e.err, ErrPermanent} }

// Permanent wraps err with ErrPermanent, keeping err reachable through errors.Is/As.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil || errors.Is(err, ErrPermanent) {
		return err
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err wraps ErrPermanent.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }
