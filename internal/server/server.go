// Package server is the api role: the HTTP server with the GraphQL endpoint,
// GraphiQL, health, readiness and metrics.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/frontend"
	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/longjob"
	"github.com/scrmhq/scrm/internal/notices"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/jobs"
)

// Limits of a GraphQL request.
const (
	MaxBodyBytes  = 2 << 20
	MaxDepth      = 12
	MaxComplexity = 250_000
)

// Deps are what the api role needs.
type Deps struct {
	// Services are the process's services (app.New); the api needs Auth
	// and Authz among them.
	Services *app.Services
	DB       interface{ PingContext(context.Context) error }
	Redis    redis.UniversalClient
	Log      *slog.Logger
	Registry *prometheus.Registry
	// Outbox reports the tasks waiting to be handed to Asynq (/readyz); nil
	// reports nothing.
	Outbox Backlog
	// OpsWorkspace is the slug of the workspace whose admins may open the
	// operator pages (platform.Config.OpsWorkspace); empty: nobody.
	OpsWorkspace string
	// MaxUploadBytes bounds the files of a multipart GraphQL request
	// (importLeads); 0 is longjob.DefaultMaxUploadBytes.
	MaxUploadBytes int64
}

// maxUpload is the upload limit of d.
func (d Deps) maxUpload() int64 {
	if d.MaxUploadBytes > 0 {
		return d.MaxUploadBytes
	}
	return longjob.DefaultMaxUploadBytes
}

// Backlog reads what waits in the outbox (jobs.Outbox).
type Backlog interface {
	Backlog(ctx context.Context) (jobs.Backlog, error)
}

// resolver hands the services to the root resolver, which shares them with
// the REST endpoints.
func resolver(s *app.Services, feed graph.NotificationFeed) *graph.Resolver {
	return &graph.Resolver{
		Client: s.Client, Auth: s.Auth, Authz: s.Authz, Fields: s.Fields, Clock: s.Clock, Queue: s.Queue,
		Ingester:     s.Ingester,
		Events:       s.Events,
		Pools:        s.Pools,
		Assigner:     s.Assigner,
		Distribution: s.Queue,
		Segmenter:    s.Segments,
		Reports:      s.Reports,
		Broadcaster:  s.Broadcasts,
		Feed:         feed,
		Services:     s,
	}
}

// New returns the HTTP handler of the api role.
func New(d Deps) http.Handler {
	m := newMetrics(d.Registry)
	var feed graph.NotificationFeed
	if d.Redis != nil {
		feed = notices.NewFeed(d.Redis, d.Log)
	}
	res := resolver(d.Services, feed)
	gql := NewGraphQL(d, m, res)
	b := &bulk{res: res, az: d.Services.Authz, log: d.Log}

	mux := http.NewServeMux()
	mux.Handle("/graphql", limitBody(MaxBodyBytes, d.maxUpload(), gql))
	mux.HandleFunc("GET /graphql/schema.graphql", gql.serveSDL)
	mux.HandleFunc("/v1/leads:ingest", b.ingest)
	mux.HandleFunc("/v1/events", b.events)
	mux.HandleFunc("GET /v1/jobs/{id}/result", jobResult(d))
	mux.HandleFunc("POST /v1/callbacks/{workspace}/{channel}", callbacks(res, d.Log))
	mux.HandleFunc("GET /v1/callbacks/{workspace}/wecom", wecomCallbacks(res, d.Log))
	mux.HandleFunc("POST /v1/callbacks/{workspace}/wecom", wecomCallbacks(res, d.Log))
	mux.HandleFunc("GET /v1/wecom/{workspace}/sidebar", wecomSidebarStart(res, d.Log))
	mux.HandleFunc("GET /v1/wecom/{workspace}/oauth", wecomSidebarOAuth(res, d.Log))
	mux.Handle("/graphiql", graphiQL())
	opsRoutes(mux, d)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("/readyz", readiness(d))
	mux.Handle("/metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}))
	// the admin web app, never answering the API paths above; WeCom's domain verification file at the root
	mux.Handle("/", wecomVerifyFile(res, d.Log, frontend.Handler()))
	return requestContext(d, m, mux)
}

// requestContext gives every request an id, its viewer and tenant, a log line and metrics.
func requestContext(d Deps, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Latency is real time even when the services run on a test's
		// injected clock.
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := auth.WithRequestHost(platform.WithRequestID(r.Context(), id), r.Host)
		// Counted from the start: reading the signed-in user or the key is a round trip too.
		ctx, stmts := platform.CountStatements(ctx)
		if addr, ok := auth.PeerAddr(r.RemoteAddr); ok {
			// the TCP peer: scrm trusts no proxy header (docs/authorization.md)
			ctx = auth.WithClientAddr(ctx, addr)
		}
		ctx, aerr := authenticate(ctx, d.Services.Auth, d.Services.Authz, credentials(r))
		h := next
		var refused *auth.KeyRefused
		if errors.As(aerr, &refused) {
			// A genuine API key used after its expiry or from an address
			// outside its list: refused before any handler runs, saying why.
			h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				writeError(w, http.StatusUnauthorized, string(apperr.Unauthenticated), refused.Error())
			})
		}
		ctx, reads := authz.WithContactReads(graph.WithRequestBatches(fielddefs.WithRequestMemo(ctx)))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r.WithContext(ctx))
		d.Services.Authz.FlushContactReads(context.WithoutCancel(ctx), reads)
		elapsed := time.Since(start)
		m.observeHTTP(r, rec.status, elapsed, stmts.Load())
		if r.URL.Path != "/healthz" && r.URL.Path != "/metrics" {
			d.Log.InfoContext(ctx, "http request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration_ms", elapsed.Milliseconds(), "sql_statements", stmts.Load())
		}
	})
}

// authenticate resolves credentials into the viewer and tenant of ctx. A bad
// credential is remembered, not fatal: the root-field check reports it.
func authenticate(ctx context.Context, a *auth.Service, az *authz.Service, cred string) (context.Context, error) {
	if cred == "" {
		return ctx, nil
	}
	v, err := a.Authenticate(ctx, cred)
	if err == nil {
		err = az.Resolve(ctx, v)
	}
	if err != nil {
		return graph.WithAuthError(ctx, err), err
	}
	ctx = tenant.NewContext(ctx, v.TenantID)
	return auth.NewContext(ctx, v), nil
}

func credentials(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	return bearer(r.Header.Get("Authorization"))
}

func bearer(h string) string {
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// limitBody refuses bodies over max bytes, and JSON bodies that do not parse,
// with a short GraphQL-shaped error instead of echoing the body back. A
// multipart request (a file upload) may be up to maxUpload bytes plus its
// operations; gqlgen's multipart transport streams it to temporary files
// instead of memory.
func limitBody(maxBytes, maxUpload int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			limit := maxUpload + maxBytes
			if r.ContentLength > limit {
				writeError(w, http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED",
					fmt.Sprintf("upload too large: the limit is %d MiB", maxUpload>>20))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > maxBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED",
				fmt.Sprintf("request body too large: the limit is %d bytes", maxBytes))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED",
					fmt.Sprintf("request body too large: the limit is %d bytes", maxBytes))
				return
			}
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "could not read the request body")
			return
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && !json.Valid(body) {
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "the request body is not valid JSON")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

// readiness answers 200 when PostgreSQL and Redis answer, else 503. The
// body also says how Redis persists its data (a Redis that restarts empty
// loses the tasks queued in it) and what waits in the outbox; neither
// changes the status.
func readiness(d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{"postgres": "ok", "redis": "ok"}
		status := http.StatusOK
		if err := d.DB.PingContext(ctx); err != nil {
			checks["postgres"], status = "unavailable", http.StatusServiceUnavailable
		}
		if err := d.Redis.Ping(ctx).Err(); err != nil {
			checks["redis"], status = "unavailable", http.StatusServiceUnavailable
		}
		maps.Copy(checks, redisPersistence(ctx, d.Redis, checks["redis"] == "ok"))
		if d.Outbox != nil && checks["postgres"] == "ok" {
			if b, err := d.Outbox.Backlog(ctx); err == nil {
				checks["outbox_pending"] = strconv.Itoa(b.Pending)
				checks["outbox_oldest_seconds"] = strconv.Itoa(int(b.Oldest.Seconds()))
				checks["outbox_failed"] = strconv.Itoa(b.Failed)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(checks)
	}
}

// redisPersistence reads Redis's persistence settings: redis_persistence is
// "aof", "rdb", "aof+rdb", "none" or "unknown" (Redis down, or CONFIG
// disabled, as managed services often do), with redis_appendfsync and
// redis_save beside it when known.
func redisPersistence(ctx context.Context, rdb redis.UniversalClient, up bool) map[string]string {
	out := map[string]string{"redis_persistence": "unknown"}
	if !up {
		return out
	}
	conf := map[string]string{}
	for _, key := range []string{"appendonly", "appendfsync", "save"} {
		kv, err := rdb.ConfigGet(ctx, key).Result()
		if err != nil {
			return out
		}
		v, ok := kv[key]
		if !ok {
			return out
		}
		conf[key] = v
	}
	aof, rdbOn := conf["appendonly"] == "yes", strings.TrimSpace(conf["save"]) != ""
	switch {
	case aof && rdbOn:
		out["redis_persistence"] = "aof+rdb"
	case aof:
		out["redis_persistence"] = "aof"
	case rdbOn:
		out["redis_persistence"] = "rdb"
	default:
		out["redis_persistence"] = "none"
	}
	if aof {
		out["redis_appendfsync"] = conf["appendfsync"]
	}
	if rdbOn {
		out["redis_save"] = conf["save"]
	}
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController and the websocket upgrader reach the
// underlying writer (Hijacker, Flusher).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

var _ graphql.HandlerExtension = depthLimit{}
