package email_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/scrmhq/scrm/internal/egress"
	"github.com/scrmhq/scrm/plugins"
	"github.com/scrmhq/scrm/plugins/email"
)

// received is one message the test server accepted.
type received struct {
	From string
	To   []string
	Data []byte
	User string // authenticated user, "" without AUTH
	TLS  bool
}

// backend is an in-process SMTP server's backend that records what it accepts.
type backend struct {
	user, pass string           // AUTH PLAIN credentials; "" accepts mail without AUTH
	rcptErr    map[string]error // RCPT answers per address

	mu   sync.Mutex
	msgs []received
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{b: b, conn: c}, nil
}

func (b *backend) received() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type session struct {
	b    *backend
	conn *smtp.Conn
	user string
	cur  received
}

func (s *session) AuthMechanisms() []string {
	if s.b.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{From: from, User: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.b.rcptErr[to]; err != nil {
		return err
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = data
	_, s.cur.TLS = s.conn.TLSConnectionState()
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

type serverOpts struct {
	tls          *tls.Config // offered with STARTTLS, or from the start when implicit
	implicit     bool
	insecureAuth bool // offer AUTH without TLS
}

// startServer runs an SMTP server on a loopback port until the test ends.
func startServer(t *testing.T, be *backend, o serverOpts) (host string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicit {
		l = tls.NewListener(l, o.tls)
	}
	srv := smtp.NewServer(be)
	srv.Domain = "mx.test"
	srv.AllowInsecureAuth = o.insecureAuth
	srv.ReadTimeout = 5 * time.Second
	srv.WriteTimeout = 5 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if !o.implicit {
		srv.TLSConfig = o.tls
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := l.Addr().(*net.TCPAddr)
	return addr.IP.String(), addr.Port
}

// selfSigned makes a certificate for 127.0.0.1 and returns it with its PEM, which a
// client must be told to trust.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "scrm test relay"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, string(certPEM)
}

func open(t *testing.T, cfg map[string]any) plugins.Sender {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ch, ok := plugins.Lookup(email.Name)
	if !ok {
		t.Fatal("email channel not registered")
	}
	norm, err := ch.ValidateConfig(raw)
	if err != nil {
		t.Fatalf("ValidateConfig: %v", err)
	}
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	s, err := ch.Open(norm, plugins.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func message(to string) plugins.Message {
	return plugins.Message{
		ID:          "01900000-0000-7000-8000-00000000000a",
		BroadcastID: "b-1",
		Subject:     "春季优惠 — spring offer",
		Body:        "Hello Ann,\nyour offer: 20% off.\n你好",
		To:          plugins.Recipient{LeadID: "lead-1", Name: "Ann Lee", Email: to, Reachable: []string{plugins.ReachEmail}},
	}
}

// parsed is the part of a received message a test checks.
type parsed struct {
	From, To, Subject, MessageID, Date, ContentType, Body string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, data)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader = msg.Body
	if msg.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	from, _ := dec.DecodeHeader(msg.Header.Get("From"))
	return parsed{
		From: from, To: msg.Header.Get("To"), Subject: subject,
		MessageID: msg.Header.Get("Message-Id"), Date: msg.Header.Get("Date"),
		ContentType: msg.Header.Get("Content-Type"),
		// The MIME writer ends the part with a line break of its own.
		Body: strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"),
	}
}

func TestSendThroughPlainRelay(t *testing.T) {
	t.Parallel()
	be := &backend{}
	host, port := startServer(t, be, serverOpts{})
	s := open(t, map[string]any{"host": host, "port": port, "tls": "none", "from": "news@shop.example.com", "fromName": "Shop News"})

	m := message("ann@example.com")
	receipt, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantID := "<" + m.ID + "@shop.example.com>"
	if receipt != (plugins.Receipt{ProviderMessageID: wantID, Status: plugins.StatusSent}) {
		t.Errorf("receipt = %+v, want %s SENT", receipt, wantID)
	}
	msgs := be.received()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "news@shop.example.com" || len(got.To) != 1 || got.To[0] != "ann@example.com" || got.TLS || got.User != "" {
		t.Errorf("envelope = from %q to %q tls %v user %q", got.From, got.To, got.TLS, got.User)
	}
	p := parse(t, got.Data)
	want := parsed{
		From:        `"Shop News" <news@shop.example.com>`,
		To:          `"Ann Lee" <ann@example.com>`,
		Subject:     m.Subject,
		MessageID:   wantID,
		Date:        "Sat, 01 Mar 2025 08:00:00 +0000",
		ContentType: "text/plain; charset=UTF-8",
		Body:        m.Body,
	}
	if p != want {
		t.Errorf("message =\n%+v\nwant\n%+v", p, want)
	}

	// A resend of the same delivery carries the same Message-ID.
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if msgs := be.received(); len(msgs) != 2 || parse(t, msgs[1].Data).MessageID != wantID {
		t.Errorf("resend Message-ID differs")
	}
}

func TestSendStartTLSWithAuth(t *testing.T) {
	t.Parallel()
	serverTLS, caPEM := selfSigned(t)
	be := &backend{user: "relay-user", pass: "relay-pass"}
	host, port := startServer(t, be, serverOpts{tls: serverTLS})
	cfg := map[string]any{"host": host, "port": port, "tls": "starttls", "from": "news@shop.example.com",
		"username": "relay-user", "password": "relay-pass", "rootCAs": caPEM}

	if _, err := open(t, cfg).Send(context.Background(), message("ann@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := be.received()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "relay-user" {
		t.Fatalf("received %+v, want one message over TLS from relay-user", msgs)
	}
	if p := parse(t, msgs[0].Data); p.Body != message("").Body || p.To != `"Ann Lee" <ann@example.com>` {
		t.Errorf("message = %+v", p)
	}

	t.Run("wrong password is permanent", func(t *testing.T) {
		t.Parallel()
		bad := map[string]any{}
		for k, v := range cfg {
			bad[k] = v
		}
		bad["password"] = "guess"
		_, err := open(t, bad).Send(context.Background(), message("ann@example.com"))
		t.Log(err)
		if !plugins.IsPermanent(err) {
			t.Errorf("err = %v, want permanent", err)
		}
		if strings.Contains(err.Error(), "guess") {
			t.Errorf("error shows the password: %v", err)
		}
	})
	t.Run("untrusted certificate is refused", func(t *testing.T) {
		t.Parallel()
		untrusted := map[string]any{}
		for k, v := range cfg {
			untrusted[k] = v
		}
		delete(untrusted, "rootCAs")
		_, err := open(t, untrusted).Send(context.Background(), message("bob@example.com"))
		var certErr *tls.CertificateVerificationError
		if !errors.As(err, &certErr) || !plugins.IsPermanent(err) {
			t.Errorf("err = %v, want a permanent certificate error", err)
		}
	})
	// The subtests are parallel: check after they are done that neither got through.
	t.Cleanup(func() {
		if n := len(be.received()); n != 1 {
			t.Errorf("server received %d messages, want only the first", n)
		}
	})
}

func TestSendImplicitTLS(t *testing.T) {
	t.Parallel()
	serverTLS, caPEM := selfSigned(t)
	be := &backend{user: "u", pass: "p"}
	host, port := startServer(t, be, serverOpts{tls: serverTLS, implicit: true})
	s := open(t, map[string]any{"host": host, "port": port, "tls": "tls", "from": "a@shop.example.com",
		"username": "u", "password": "p", "rootCAs": caPEM})
	if _, err := s.Send(context.Background(), message("ann@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msgs := be.received(); len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "u" {
		t.Errorf("received %+v", msgs)
	}
}

func TestStartTLSIsMandatory(t *testing.T) {
	t.Parallel()
	be := &backend{}
	host, port := startServer(t, be, serverOpts{}) // offers no STARTTLS
	s := open(t, map[string]any{"host": host, "port": port, "tls": "starttls", "from": "a@shop.example.com"})
	_, err := s.Send(context.Background(), message("ann@example.com"))
	if err == nil {
		t.Fatal("sent without TLS")
	}
	t.Log(err)
	if n := len(be.received()); n != 0 {
		t.Errorf("server received %d messages in clear", n)
	}
}

func TestSendAuthOverLoopbackWithoutTLS(t *testing.T) {
	t.Parallel()
	be := &backend{user: "u", pass: "p"}
	host, port := startServer(t, be, serverOpts{insecureAuth: true})
	s := open(t, map[string]any{"host": host, "port": port, "tls": "none", "from": "a@shop.example.com", "username": "u", "password": "p"})
	if _, err := s.Send(context.Background(), message("ann@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msgs := be.received(); len(msgs) != 1 || msgs[0].User != "u" {
		t.Errorf("received %+v", msgs)
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	be := &backend{rcptErr: map[string]error{
		"nobody@example.com": &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
		"busy@example.com":   &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"},
	}}
	host, port := startServer(t, be, serverOpts{})
	s := open(t, map[string]any{"host": host, "port": port, "tls": "none", "from": "a@shop.example.com"})

	// A port where nothing listens any more.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	down := open(t, map[string]any{"host": "127.0.0.1", "port": closedPort, "tls": "none", "from": "a@shop.example.com", "timeoutSeconds": 2})

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	// A host on a private network, which the default egress policy refuses
	// before connecting: nothing listens there, and nothing is dialled.
	private := open(t, map[string]any{"host": "10.255.255.1", "port": 587, "from": "a@shop.example.com", "timeoutSeconds": 2})

	tests := []struct {
		name     string
		sender   plugins.Sender
		ctx      context.Context
		to       string
		wantPerm bool
	}{
		{name: "unknown recipient 550", sender: s, to: "nobody@example.com", wantPerm: true},
		{name: "greylisted 451", sender: s, to: "busy@example.com", wantPerm: false},
		{name: "no address", sender: s, to: "", wantPerm: true},
		{name: "malformed address", sender: s, to: "ann at example.com", wantPerm: true},
		{name: "address with a display name", sender: s, to: "Ann <ann@example.com>", wantPerm: true},
		{name: "connection refused", sender: down, to: "ann@example.com", wantPerm: false},
		{name: "cancelled context", sender: s, ctx: cancelled, to: "ann@example.com", wantPerm: false},
		{name: "private host", sender: private, to: "ann@example.com", wantPerm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := tt.sender.Send(ctx, message(tt.to))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			t.Log(err)
			if refused := errors.Is(err, egress.ErrRefused); refused != (tt.name == "private host") {
				t.Errorf("Send = %v: refused by the egress policy %v", err, refused)
			}
			if plugins.IsPermanent(err) != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.wantPerm, tt.wantPerm)
			}
		})
	}
	t.Cleanup(func() {
		if n := len(be.received()); n != 0 {
			t.Errorf("server accepted %d messages", n)
		}
	})
}

func TestReachable(t *testing.T) {
	t.Parallel()
	s := open(t, map[string]any{"host": "smtp.example.com", "from": "a@shop.example.com"})
	tests := []struct {
		name string
		r    plugins.Recipient
		want bool
	}{
		{"flag and address", plugins.Recipient{Email: "ann@example.com", Reachable: []string{plugins.ReachSMS, plugins.ReachEmail}}, true},
		{"no flag", plugins.Recipient{Email: "ann@example.com", Reachable: []string{plugins.ReachSMS}}, false},
		{"no address", plugins.Recipient{Reachable: []string{plugins.ReachEmail}}, false},
		{"bad address", plugins.Recipient{Email: "ann@", Reachable: []string{plugins.ReachEmail}}, false},
	}
	for _, tt := range tests {
		if got := s.Reachable(tt.r); got != tt.want {
			t.Errorf("%s: Reachable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseCallbackUnsupported(t *testing.T) {
	t.Parallel()
	s := open(t, map[string]any{"host": "smtp.example.com", "from": "a@shop.example.com"})
	if _, err := s.ParseCallback(httptest.NewRequest("POST", "/", nil)); !errors.Is(err, plugins.ErrUnsupported) {
		t.Errorf("err = %v, want ErrUnsupported", err)
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	_, caPEM := selfSigned(t)
	ch, _ := plugins.Lookup(email.Name)
	if ch.Requires() != plugins.ReachEmail || len(ch.Secrets()) != 1 || ch.Secrets()[0] != "password" {
		t.Errorf("Requires %q Secrets %v", ch.Requires(), ch.Secrets())
	}
	tests := []struct {
		name    string
		cfg     string
		wantKey string
		want    map[string]any // checked keys of the normalised config; nil: error expected
	}{
		{name: "defaults", cfg: `{"host":"smtp.example.com","from":"a@example.com"}`,
			want: map[string]any{"tls": "starttls", "port": 587.0, "timeoutSeconds": 15.0}},
		{name: "implicit tls port", cfg: `{"host":"smtp.example.com","from":"a@example.com","tls":"tls"}`, want: map[string]any{"port": 465.0}},
		{name: "local relay", cfg: `{"host":"127.0.0.1","from":"a@example.com","tls":"none"}`, want: map[string]any{"port": 25.0}},
		{name: "auth to local relay in clear", cfg: `{"host":"localhost","from":"a@example.com","tls":"none","username":"u","password":"p"}`, want: map[string]any{"username": "u"}},
		{name: "private CA", cfg: `{"host":"smtp.example.com","from":"a@example.com","rootCAs":` + strconv.Quote(caPEM) + `}`, want: map[string]any{"rootCAs": caPEM}},
		{name: "IPv6 host", cfg: `{"host":"::1","from":"a@example.com","tls":"none"}`, want: map[string]any{"host": "::1"}},
		{name: "no host", cfg: `{"from":"a@example.com"}`, wantKey: "host"},
		{name: "host with port", cfg: `{"host":"smtp.example.com:25","from":"a@example.com"}`, wantKey: "host"},
		{name: "host as URL", cfg: `{"host":"smtp://smtp.example.com","from":"a@example.com"}`, wantKey: "host"},
		{name: "bad tls mode", cfg: `{"host":"smtp.example.com","from":"a@example.com","tls":"ssl"}`, wantKey: "tls"},
		{name: "port out of range", cfg: `{"host":"smtp.example.com","from":"a@example.com","port":70000}`, wantKey: "port"},
		{name: "no from", cfg: `{"host":"smtp.example.com"}`, wantKey: "from"},
		{name: "from with name", cfg: `{"host":"smtp.example.com","from":"Shop <a@example.com>"}`, wantKey: "from"},
		{name: "from not an address", cfg: `{"host":"smtp.example.com","from":"shop"}`, wantKey: "from"},
		{name: "fromName on two lines", cfg: `{"host":"smtp.example.com","from":"a@example.com","fromName":"a\r\nBcc: x@y.z"}`, wantKey: "fromName"},
		{name: "username without password", cfg: `{"host":"smtp.example.com","from":"a@example.com","username":"u"}`, wantKey: "password"},
		{name: "password without username", cfg: `{"host":"smtp.example.com","from":"a@example.com","password":"p"}`, wantKey: "username"},
		{name: "credentials in clear to a remote host", cfg: `{"host":"smtp.example.com","from":"a@example.com","tls":"none","username":"u","password":"p"}`, wantKey: "tls"},
		{name: "rootCAs not PEM", cfg: `{"host":"smtp.example.com","from":"a@example.com","rootCAs":"abc"}`, wantKey: "rootCAs"},
		{name: "timeout too long", cfg: `{"host":"smtp.example.com","from":"a@example.com","timeoutSeconds":3600}`, wantKey: "timeoutSeconds"},
		{name: "unknown key", cfg: `{"host":"smtp.example.com","from":"a@example.com","insecureSkipVerify":true}`, wantKey: "insecureSkipVerify"},
		{name: "port as string", cfg: `{"host":"smtp.example.com","from":"a@example.com","port":"25"}`, wantKey: "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ch.ValidateConfig(json.RawMessage(tt.cfg))
			if tt.want == nil {
				var cerr *plugins.ConfigError
				if !errors.As(err, &cerr) || cerr.Key != tt.wantKey {
					t.Fatalf("err = %v, want a ConfigError for %q", err, tt.wantKey)
				}
				return
			}
			if err != nil {
				t.Fatalf("ValidateConfig: %v", err)
			}
			var m map[string]any
			if err := json.Unmarshal(got, &m); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v", k, m[k], v)
				}
			}
		})
	}
}
