package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
)

// Subscriptions also run over Server-Sent Events: a POST of the operation
// with Accept: text/event-stream (gqlgen's SSE transport, the "distinct
// connections" mode of the graphql-sse protocol) is answered with a stream
// of `event: next` and a final `event: complete`. Proxies that break
// websockets (common in corporate intranets) pass it as a long response.
// It is signed in by the request's own Authorization or X-API-Key header,
// its subscriptions read their viewer again for each event as a socket's
// do (graph.LiveSession), and it ends when the credential expires.

// sseKeepAlive is the interval of the stream's comment pings, which keep
// proxies' idle timers from closing a quiet stream.
const sseKeepAlive = 15 * time.Second

// CodeStreamRequired answers a subscription sent over a transport that
// answers once (a plain POST or GET), which would get its first event and
// nothing more.
const CodeStreamRequired = "STREAM_REQUIRED"

// isSSE reports whether r asks for an event stream first: graphql-sse's
// client accepts text/event-stream alone, urql's fetch of a subscription
// puts it first; urql's queries and mutations list it after JSON, and get
// JSON.
func isSSE(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	first, _, _ := strings.Cut(r.Header.Get("Accept"), ",")
	if mt, _, err := mime.ParseMediaType(strings.TrimSpace(first)); err != nil || mt != "text/event-stream" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// sseTransport is gqlgen's SSE transport for the requests isSSE takes
// (gqlgen's own test takes any Accept that names text/event-stream).
type sseTransport struct{ transport.SSE }

func (sseTransport) Supports(r *http.Request) bool { return isSSE(r) }

type streamingKey struct{}

// withStreaming marks a request whose transport carries more than one
// response (the websocket, SSE).
func withStreaming(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), streamingKey{}, true))
}

// streamsOnly refuses a subscription over a transport that answers once.
type streamsOnly struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = streamsOnly{}

func (streamsOnly) ExtensionName() string                   { return "StreamsOnly" }
func (streamsOnly) Validate(graphql.ExecutableSchema) error { return nil }

func (streamsOnly) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return nil
	}
	if streaming, _ := ctx.Value(streamingKey{}).(bool); streaming {
		return nil
	}
	err := gqlerror.Errorf("a subscription runs over the websocket (graphql-transport-ws) at /graphql, " +
		"or over Server-Sent Events: POST it with Accept: text/event-stream")
	err.Extensions = map[string]any{"code": CodeStreamRequired}
	return err
}

// serveSSE runs an event-stream request: refused at once (401
// UNAUTHENTICATED) without a credential that signs in, else run by gqlgen's
// SSE transport until the operation ends, the client goes, the credential
// expires or a subscription refuses the stream; the last two are told in an
// event with the error before `complete`.
func (g *GraphQL) serveSSE(w http.ResponseWriter, r *http.Request, ws *workspaceSchema) {
	v := auth.FromContext(r.Context())
	if v == nil {
		msg := "sign in: send Authorization: Bearer <token or API key> with the event stream's request"
		if aerr := graph.AuthError(r.Context()); aerr != nil {
			_, _, msg = classify(aerr)
		}
		writeError(w, http.StatusUnauthorized, string(apperr.Unauthenticated), msg)
		return
	}
	rc := http.NewResponseController(w)
	// The request was read at once and nothing more comes: the server's read
	// timeout would end the stream when it fires.
	_ = rc.SetReadDeadline(time.Time{})
	ctx, at, cancel := g.connectionDeadline(r.Context(), v)
	defer cancel()
	end := &sseEnd{cancel: cancel, expires: at}
	ctx = graph.WithLiveSession(ctx, &liveSession{cred: credentials(r), a: g.d.Services.Auth, az: g.d.Services.Authz, refuse: end.refuse})
	ctx = graph.WithSubscriptionSlots(ctx, 1)
	ws.handler.ServeHTTP(&sseWriter{ResponseWriter: w, rc: rc, end: end}, withStreaming(r.WithContext(ctx)))
}

// sseEnd is why a stream ended before its operation did.
type sseEnd struct {
	cancel  context.CancelFunc
	expires time.Time // wall clock; zero: the credential does not expire
	mu      sync.Mutex
	refused string
}

func (e *sseEnd) refuse(reason string) {
	e.mu.Lock()
	if e.refused == "" {
		e.refused = reason
	}
	e.mu.Unlock()
	e.cancel()
}

// last is the event to send before `complete`, if any.
func (e *sseEnd) last() []byte {
	e.mu.Lock()
	refused := e.refused
	e.mu.Unlock()
	code, msg := "", ""
	switch {
	case !e.expires.IsZero() && !time.Now().Before(e.expires):
		code, msg = string(apperr.Unauthenticated), "the sign-in expired: sign in again"
	case refused != "":
		code, msg = string(apperr.Forbidden), refused
	default:
		return nil
	}
	data, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}}})
	return fmt.Appendf(nil, "event: next\ndata: %s\n\n", data)
}

// sseWriter gives gqlgen's SSE transport the Flusher it asks for (the
// request's writer is wrapped by requestContext) and puts the reason of an
// early end before the stream's `complete`.
type sseWriter struct {
	http.ResponseWriter
	rc  *http.ResponseController
	end *sseEnd
}

var sseComplete = []byte("event: complete\n\n")

func (w *sseWriter) Write(p []byte) (int, error) {
	if bytes.Equal(p, sseComplete) {
		if last := w.end.last(); last != nil {
			if _, err := w.ResponseWriter.Write(last); err != nil {
				return 0, err
			}
		}
	}
	return w.ResponseWriter.Write(p)
}

func (w *sseWriter) Flush() { _ = w.rc.Flush() }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *sseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
