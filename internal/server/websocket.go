package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/authz"
)

// Close codes of the GraphQL websocket beyond RFC 6455's, as graphql-ws's
// client reads them: 4401 is not retried with the same credentials.
const (
	// CloseUnauthorized closes a socket whose connection_init carried no
	// usable credential, or whose token or API key expired since.
	CloseUnauthorized = 4401
	// CloseForbidden closes a socket of an API key used after its expiry or
	// from an address outside its list, and one whose user can no longer
	// read what it subscribed to (deactivated since it signed in).
	CloseForbidden = 4403
)

// MaxSubscriptionsPerConnection bounds the subscriptions one socket runs at
// once (notices.MaxSubscriptionsPerUser bounds a user's on one server).
const MaxSubscriptionsPerConnection = 5

// wsSession is what one websocket's connection_init learned; the close
// frame reads it to tell an expired sign-in from a normal end.
type wsSession struct {
	// header is the upgrade request's credential (Authorization or
	// X-API-Key, as on any request), used when connection_init has none.
	header  string
	mu      sync.Mutex
	expires time.Time // wall clock; zero: the credential does not expire
	cancel  context.CancelFunc
	refused string // why a subscription refused the socket (4403)
}

func (s *wsSession) expired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.expires.IsZero() && !time.Now().Before(s.expires)
}

// refuse ends the socket with 4403 and reason.
func (s *wsSession) refuse(reason string) {
	s.mu.Lock()
	if s.refused == "" {
		s.refused = reason
	}
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (s *wsSession) refusal() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// liveSession is a signed-in connection's credential, read again for each
// event of its subscriptions as any request reads its own (graph.LiveSession).
type liveSession struct {
	cred   string
	a      *auth.Service
	az     *authz.Service
	refuse func(reason string)
}

// Viewer authenticates the connection's credential and resolves the
// viewer's decisions as requestContext does: the user comes from the
// process's cache while its workspace's users token has not moved, the
// decisions from the policy the process holds at its version.
func (l *liveSession) Viewer(ctx context.Context) (*auth.Viewer, error) {
	v, err := l.a.Authenticate(ctx, l.cred)
	if err == nil {
		err = l.az.Resolve(ctx, v)
	}
	return v, err
}

func (l *liveSession) Refuse(reason string) { l.refuse(reason) }

type wsSessionKey struct{}

// withWSSession marks an upgrade request's context with its session.
func withWSSession(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), wsSessionKey{}, &wsSession{header: credentials(r)}))
}

func sessionOf(ctx context.Context) *wsSession {
	s, _ := ctx.Value(wsSessionKey{}).(*wsSession)
	return s
}

// websocket is the GraphQL websocket transport: it speaks
// graphql-transport-ws (graphql-ws's protocol) and the legacy graphql-ws
// (subscriptions-transport-ws), signs the connection in from
// connection_init's payload and closes it when the credential expires.
func (g *GraphQL) websocket() transport.Websocket {
	return transport.Websocket{
		Implementation: closeCodes{transport.CoderWebsocketImplementation{}},
		// Legacy graphql-ws clients get a keep-alive; graphql-transport-ws
		// clients a ping to answer within two intervals, which keeps proxies'
		// idle timers from closing a quiet socket and closes a dead one.
		KeepAlivePingInterval: 15 * time.Second,
		PingPongInterval:      25 * time.Second,
		InitTimeout:           30 * time.Second,
		InitFunc:              g.initSocket,
		CloseFunc: func(ctx context.Context, _ int) {
			if s := sessionOf(ctx); s != nil && s.cancel != nil {
				s.cancel()
			}
		},
	}
}

// initCredential is connection_init's credential: {"Authorization": "Bearer
// <token or key>"} as the HTTP header, or {"X-API-Key": "<key>"}; without
// one, the upgrade request's own header (clients other than browsers can
// set it).
func initCredential(ctx context.Context, p transport.InitPayload) string {
	for _, k := range []string{"X-API-Key", "x-api-key"} {
		if v := p.GetString(k); v != "" {
			return v
		}
	}
	if v := bearer(p.Authorization()); v != "" {
		return v
	}
	if s := sessionOf(ctx); s != nil {
		return s.header
	}
	return ""
}

// initSocket signs a socket in: a missing or refused credential closes it
// with 4401 (4403 for an API key refused by expiry or address); an accepted
// one holds until its expiry, when the socket closes with 4401, or until a
// subscription finds its user can no longer read what it subscribed to
// (4403). The credential is looked up once: its expiry comes with the
// viewer.
func (g *GraphQL) initSocket(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	refuse := func(code int, reason string) (context.Context, *transport.InitPayload, error) {
		ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason)
		return ctx, nil, errors.New(reason)
	}
	cred := initCredential(ctx, p)
	if cred == "" {
		return refuse(CloseUnauthorized, `sign in: send {"Authorization": "Bearer <token>"} in connection_init`)
	}
	ctx, err := authenticate(ctx, g.d.Services.Auth, g.d.Services.Authz, cred)
	if err != nil {
		var refused *auth.KeyRefused
		if errors.As(err, &refused) {
			return refuse(CloseForbidden, refused.Error())
		}
		return refuse(CloseUnauthorized, "the token or API key is not valid: sign in again")
	}
	s := sessionOf(ctx)
	if s == nil { // not an upgrade that ServeHTTP marked: no socket to end
		s = &wsSession{}
	}
	ctx, at, cancel := g.connectionDeadline(ctx, auth.FromContext(ctx))
	if !at.IsZero() {
		ctx = transport.AppendCloseReason(ctx, "the sign-in expired: sign in again")
	}
	s.mu.Lock()
	s.expires, s.cancel = at, cancel
	s.mu.Unlock()
	ctx = graph.WithLiveSession(ctx, &liveSession{cred: cred, a: g.d.Services.Auth, az: g.d.Services.Authz, refuse: s.refuse})
	return graph.WithSubscriptionSlots(ctx, MaxSubscriptionsPerConnection), nil, nil
}

// connectionDeadline returns ctx, a long-lived connection's, ending when
// the credential of viewer v expires (at, on the wall clock; zero when it
// does not expire) or when cancel is called.
func (g *GraphQL) connectionDeadline(ctx context.Context, v *auth.Viewer) (_ context.Context, at time.Time, cancel context.CancelFunc) {
	if v == nil || v.ExpiresAt.IsZero() {
		ctx, cancel = context.WithCancel(ctx)
		return ctx, time.Time{}, cancel
	}
	// The credential's expiry is on the services' clock; the connection's
	// deadline on the wall clock.
	at = time.Now().Add(v.ExpiresAt.Sub(g.d.Services.Clock.Now()))
	ctx, cancel = context.WithDeadline(ctx, at)
	return ctx, at, cancel
}

// closeCodes accepts sockets whose close frame says 4401 when the
// connection's credential expired, 4403 when a subscription refused it:
// gqlgen closes a socket whose context ended with 1000 whatever the cause.
type closeCodes struct {
	transport.WebsocketImplementation
}

func (c closeCodes) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := c.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	return &sessionConn{WebsocketConn: conn, s: sessionOf(r.Context())}, nil
}

type sessionConn struct {
	transport.WebsocketConn
	s *wsSession
}

func (c *sessionConn) WriteClose(code int, message string) error {
	if code == transport.WebsocketCloseNormalClosure && c.s != nil {
		if c.s.expired() {
			code, message = CloseUnauthorized, "the sign-in expired: sign in again"
		} else if why := c.s.refusal(); why != "" {
			code, message = CloseForbidden, why
		}
	}
	return c.WebsocketConn.WriteClose(code, message)
}

// SetReadLimit passes gqlgen's payload limit to the wrapped connection.
func (c *sessionConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

// SetReadDeadline passes gqlgen's pong deadline to the wrapped connection.
func (c *sessionConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
