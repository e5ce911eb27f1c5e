// Package email is the "email" channel: plain-text mail through the workspace's SMTP
// server, sent with github.com/wneessen/go-mail.
//
// The connection is encrypted as the config's "tls" says: "starttls" (the default)
// upgrades a plain connection and refuses to send if the server cannot; "tls" speaks
// TLS from the first byte (port 465); "none" sends in clear and is meant for a relay on
// the same host. With a username, the client authenticates with PLAIN or LOGIN, or,
// when the server offers neither, the strongest mechanism it does offer.
//
// Each Send opens its own connection, so a Sender needs no locking and a dropped
// connection never poisons later sends. The message's Message-ID is derived from the
// delivery id (<id@from-domain>), so a resend after a crash is recognisably the same
// mail; it is also the receipt's ProviderMessageID, which bounce or reply processing can
// match against In-Reply-To. SMTP has no callback: ParseCallback returns
// plugins.ErrUnsupported.
package email

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	netmail "net/mail"
	"net/netip"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/scrmhq/scrm/internal/egress"
	"github.com/scrmhq/scrm/plugins"
	"github.com/scrmhq/scrm/plugins/internal/config"
)

// Name is the channel's registry key.
const Name = "email"

// TLS modes of Config.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, mandatory
	TLSImplicit = "tls"      // TLS from the start (SMTPS)
	TLSNone     = "none"     // no encryption: local relays only
)

// Config is a workspace's SMTP config.
type Config struct {
	// Host is the SMTP server's host name or IP address.
	Host string `json:"host"`
	// Port defaults to 587 for starttls, 465 for tls and 25 for none.
	Port int `json:"port"`
	// Username enables SMTP AUTH (PLAIN or LOGIN); Password is then required (secret).
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// From is the sender's bare address; FromName its display name.
	From     string `json:"from"`
	FromName string `json:"fromName,omitempty"`
	// TLS is starttls (default), tls or none; none with credentials only to a loopback
	// host, so passwords never cross a network in clear.
	TLS string `json:"tls"`
	// TimeoutSeconds bounds the connection and each SMTP command (default 15, 1–120).
	TimeoutSeconds int `json:"timeoutSeconds"`
	// RootCAs are PEM certificates trusted in addition to the system's, for relays
	// with a certificate from a private CA.
	RootCAs string `json:"rootCAs,omitempty"`
}

func init() { plugins.Register(Channel{}) }

// Channel is the email channel.
type Channel struct{}

// Name implements plugins.Channel.
func (Channel) Name() string { return Name }

// Requires implements plugins.Channel.
func (Channel) Requires() string { return plugins.ReachEmail }

// Secrets implements plugins.Channel.
func (Channel) Secrets() []string { return []string{"password"} }

// ValidateConfig implements plugins.Channel.
func (Channel) ValidateConfig(raw json.RawMessage) (json.RawMessage, error) {
	cfg, _, err := parseConfig(raw)
	if err != nil {
		return nil, err
	}
	return config.Encode(cfg)
}

// Open implements plugins.Channel. Options.HTTPClient is not used.
func (Channel) Open(raw json.RawMessage, opts plugins.Options) (plugins.Sender, error) {
	cfg, roots, err := parseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	dial := opts.DialContext
	if dial == nil {
		dial = egress.Default().DialContext
	}
	_, domain, _ := strings.Cut(cfg.From, "@")
	return &sender{
		cfg:    cfg,
		domain: domain,
		now:    now,
		tls:    &tls.Config{ServerName: cfg.Host, RootCAs: roots, MinVersion: tls.VersionTLS12},
		dial:   dial,
	}, nil
}

func parseConfig(raw json.RawMessage) (Config, *x509.CertPool, error) {
	var cfg Config
	if err := config.Decode(raw, &cfg); err != nil {
		return cfg, nil, err
	}
	if err := checkHost(cfg.Host); err != nil {
		return cfg, nil, err
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	defaultPort := map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[cfg.TLS]
	if defaultPort == 0 {
		return cfg, nil, &plugins.ConfigError{Key: "tls", Message: `must be "starttls", "tls" or "none"`}
	}
	if err := config.Int("port", &cfg.Port, defaultPort, 1, 65535); err != nil {
		return cfg, nil, err
	}
	if err := config.String("username", cfg.Username, 0, 256); err != nil {
		return cfg, nil, err
	}
	switch {
	case cfg.Username != "" && cfg.Password == "":
		return cfg, nil, &plugins.ConfigError{Key: "password", Message: "is required with a username"}
	case cfg.Username == "" && cfg.Password != "":
		return cfg, nil, &plugins.ConfigError{Key: "username", Message: "is required with a password"}
	case len(cfg.Password) > 1024:
		return cfg, nil, &plugins.ConfigError{Key: "password", Message: "is too long"}
	case cfg.Username != "" && cfg.TLS == TLSNone && !config.IsLoopback(cfg.Host):
		return cfg, nil, &plugins.ConfigError{Key: "tls", Message: "credentials are only sent in clear to a loopback host: use starttls or tls"}
	}
	if cfg.From == "" {
		return cfg, nil, &plugins.ConfigError{Key: "from", Message: "is required"}
	}
	if !validAddress(cfg.From) {
		return cfg, nil, &plugins.ConfigError{Key: "from", Message: "must be a bare email address (the display name goes in fromName)"}
	}
	if err := config.String("fromName", cfg.FromName, 0, 128); err != nil {
		return cfg, nil, err
	}
	if strings.ContainsAny(cfg.FromName, "\r\n") {
		return cfg, nil, &plugins.ConfigError{Key: "fromName", Message: "must be one line"}
	}
	if err := config.Int("timeoutSeconds", &cfg.TimeoutSeconds, 15, 1, 120); err != nil {
		return cfg, nil, err
	}
	var roots *x509.CertPool
	if cfg.RootCAs != "" {
		if cfg.TLS == TLSNone {
			return cfg, nil, &plugins.ConfigError{Key: "rootCAs", Message: `has no use with tls "none"`}
		}
		var err error
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM([]byte(cfg.RootCAs)) {
			return cfg, nil, &plugins.ConfigError{Key: "rootCAs", Message: "must hold PEM certificates"}
		}
	}
	return cfg, roots, nil
}

func checkHost(host string) error {
	if host == "" {
		return &plugins.ConfigError{Key: "host", Message: "is required"}
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	valid := len(host) <= 253 && !strings.HasPrefix(host, "-") && !strings.HasPrefix(host, ".")
	for _, c := range host {
		valid = valid && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.')
	}
	if !valid {
		return &plugins.ConfigError{Key: "host", Message: "must be a host name or IP address, without scheme or port"}
	}
	return nil
}

// validAddress accepts a bare address only: a display name or angle brackets in a lead's
// email field would be a data error, not something to pass to the server.
func validAddress(s string) bool {
	a, err := netmail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

type sender struct {
	cfg    Config
	domain string // of From, for Message-IDs
	now    func() time.Time
	tls    *tls.Config
	dial   func(ctx context.Context, network, address string) (net.Conn, error)
}

// Reachable implements plugins.Sender: the lead needs the EMAIL flag and a valid address.
func (s *sender) Reachable(r plugins.Recipient) bool {
	return slices.Contains(r.Reachable, plugins.ReachEmail) && validAddress(r.Email)
}

// Send implements plugins.Sender.
func (s *sender) Send(ctx context.Context, m plugins.Message) (plugins.Receipt, error) {
	if m.ID == "" {
		return plugins.Receipt{}, plugins.Permanent(errors.New("email: message has no id"))
	}
	if !validAddress(m.To.Email) {
		return plugins.Receipt{}, plugins.Permanent(fmt.Errorf("email: invalid recipient address %q", m.To.Email))
	}
	msg := mail.NewMsg()
	msg.FromMailAddress(&netmail.Address{Name: s.cfg.FromName, Address: s.cfg.From})
	msg.ToMailAddress(&netmail.Address{Name: m.To.Name, Address: m.To.Email})
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	msg.SetDateWithValue(s.now())
	msg.SetMessageIDWithValue(messageIDLocal(m.ID) + "@" + s.domain)
	msgID := msg.GetMessageID()

	client, err := s.client()
	if err != nil {
		return plugins.Receipt{}, plugins.Permanent(fmt.Errorf("email: %w", err))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return plugins.Receipt{}, classify(fmt.Errorf("email via %s: %w", s.cfg.Host, err))
	}
	return plugins.Receipt{ProviderMessageID: msgID, Status: plugins.StatusSent}, nil
}

func (s *sender) client() (*mail.Client, error) {
	host := s.cfg.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // go-mail joins host and port with a bare colon
	}
	opts := []mail.Option{
		mail.WithPort(s.cfg.Port),
		mail.WithTimeout(time.Duration(s.cfg.TimeoutSeconds) * time.Second),
		mail.WithTLSConfig(s.tls.Clone()),
		mail.WithDialContextFunc(s.dialer()),
	}
	switch s.cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.cfg.Username != "" {
		mechs := []mail.SMTPAuthType{mail.SMTPAuthPlain, mail.SMTPAuthLogin}
		if s.cfg.TLS == TLSNone {
			// Loopback only, checked with the config; go-mail would otherwise refuse
			// any loopback address but 127.0.0.1 and ::1.
			mechs = []mail.SMTPAuthType{mail.SMTPAuthPlainNoEnc, mail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mechs...),
			mail.WithUsername(s.cfg.Username),
			mail.WithPassword(s.cfg.Password))
	}
	return mail.NewClient(host, opts...)
}

// dialer connects through the egress dialer; for implicit TLS it speaks TLS
// on the connection itself, as go-mail does only with its own dialer.
func (s *sender) dialer() mail.DialContextFunc {
	if s.cfg.TLS != TLSImplicit {
		return s.dial
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		conn, err := s.dial(ctx, network, address)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(conn, s.tls.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
		return tc, nil
	}
}

// messageIDLocal is the left part of the Message-ID: the delivery id itself when it is
// safe there (UUIDs are), a digest of it otherwise, so a resend gets the same Message-ID.
func messageIDLocal(id string) string {
	safe := len(id) <= 128
	for _, c := range id {
		safe = safe && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_')
	}
	if safe {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h" + hex.EncodeToString(sum[:16])
}

// classify marks the failures that retrying cannot fix: 5xx replies (unknown recipient,
// rejected sender, failed authentication), addresses go-mail refuses, and certificates
// that do not verify, and hosts the egress policy refuses. Connection failures, timeouts and 4xx replies stay temporary.
func classify(err error) error {
	if errors.Is(err, egress.ErrRefused) {
		return plugins.Permanent(err)
	}
	var sendErr *mail.SendError
	if errors.As(err, &sendErr) {
		if sendErr.IsTemp() {
			return err
		}
		if code := sendErr.ErrorCode(); code >= 500 && code < 600 {
			return plugins.Permanent(err)
		}
		switch sendErr.Reason {
		case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
			return plugins.Permanent(err)
		}
		return err
	}
	var protoErr *textproto.Error
	if errors.As(err, &protoErr) {
		if protoErr.Code >= 500 && protoErr.Code < 600 {
			return plugins.Permanent(err)
		}
		return err
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return plugins.Permanent(err)
	}
	if errors.Is(err, mail.ErrPlainAuthNotSupported) || errors.Is(err, mail.ErrLoginAuthNotSupported) ||
		errors.Is(err, mail.ErrNoSupportedAuthDiscovered) {
		return plugins.Permanent(err)
	}
	return err
}

// ParseCallback implements plugins.Sender: SMTP reports nothing back over HTTP.
func (s *sender) ParseCallback(*http.Request) ([]plugins.Callback, error) {
	return nil, plugins.ErrUnsupported
}

// Close implements plugins.Sender; connections are closed after each Send.
func (s *sender) Close() error { return nil }
