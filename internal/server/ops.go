package server

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/tenant"
)

// Operator pages under /ops/: the Asynq queues dashboard (asynqmon) at
// /ops/queues, for the admins of the operators' workspace (Deps.OpsWorkspace,
// SCRM_OPS_WORKSPACE): the queues are the installation's, and their tasks
// carry every workspace's ids, so another workspace's admin is refused.
//
// The dashboard is a page of its own whose scripts call /ops/queues/api/...
// without the web app's bearer token, so a browser proves who it is with a
// cookie: POST /ops/session, sent by the web app with the token, sets
// scrmOpsCookie (HttpOnly, SameSite=Strict, only sent to /ops/), and DELETE
// /ops/session clears it. A bearer token or API key is accepted too (curl).
const (
	queuesPath    = "/ops/queues"
	scrmOpsCookie = "scrm_ops"
	opsRole       = "admin"
	// opsCSP keeps the dashboard on this server; its page has inline scripts.
	opsCSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
		"base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)

// opsRoutes mounts the operator pages on mux.
func opsRoutes(mux *http.ServeMux, d Deps) {
	dash := asynqmon.New(asynqmon.Options{
		RootPath:     queuesPath,
		RedisConnOpt: sharedRedis{d.Redis},
	})
	h := &opsGate{d: d, next: offline(dash)}
	mux.Handle(queuesPath, h)
	mux.Handle(queuesPath+"/", h)
	mux.HandleFunc("POST /ops/session", h.signIn)
	mux.HandleFunc("DELETE /ops/session", signOut)
}

// sharedRedis hands the server's own Redis client (REDIS_URL, the one Asynq's
// queues live in) to asynqmon, which would otherwise open its own. The
// dashboard lives as long as the process, so nothing closes it.
type sharedRedis struct{ c redis.UniversalClient }

// MakeRedisClient implements asynq.RedisConnOpt.
func (s sharedRedis) MakeRedisClient() any { return s.c }

// opsGate lets the operators' admins through to next: 401 without
// credentials, 403 for any other role or workspace, and 403 for a change
// sent from another origin.
type opsGate struct {
	d    Deps
	next http.Handler
}

func (g *opsGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if auth.FromContext(ctx) == nil {
		if c, err := r.Cookie(scrmOpsCookie); err == nil && c.Value != "" {
			ctx, _ = authenticate(ctx, g.d.Services.Auth, g.d.Services.Authz, c.Value)
		}
	}
	if !g.allowed(w, r.WithContext(ctx)) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		writeError(w, http.StatusForbidden, string(apperr.Forbidden), "a change to the queues must come from this server's own pages")
		return
	}
	w.Header().Set("Content-Security-Policy", opsCSP)
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	g.next.ServeHTTP(w, r.WithContext(ctx))
}

// allowed answers 401 or 403 unless the viewer of r holds opsRole.
func (g *opsGate) allowed(w http.ResponseWriter, r *http.Request) bool {
	v := auth.FromContext(r.Context())
	switch {
	case v == nil:
		writeError(w, http.StatusUnauthorized, string(apperr.Unauthenticated),
			"sign in to the web app as an admin and open the queues from its menu, or send a bearer token")
		return false
	case !v.HasRole(opsRole) || !g.operators(r.Context(), v):
		writeError(w, http.StatusForbidden, string(apperr.Forbidden),
			"the queues dashboard shows every workspace's tasks: it is for the admins of the operators' workspace (SCRM_OPS_WORKSPACE)")
		return false
	}
	return true
}

// operators reports whether v belongs to the operators' workspace.
func (g *opsGate) operators(ctx context.Context, v *auth.Viewer) bool {
	if g.d.OpsWorkspace == "" {
		return false
	}
	ws, err := g.d.Services.Client.Workspace.Get(tenant.System(ctx), v.TenantID)
	return err == nil && ws.Slug == g.d.OpsWorkspace
}

// signIn sets the ops cookie to the credentials of an admin's request.
func (g *opsGate) signIn(w http.ResponseWriter, r *http.Request) {
	if !g.allowed(w, r) {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: scrmOpsCookie, Value: credentials(r), Path: "/ops/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
	w.WriteHeader(http.StatusNoContent)
}

// signOut clears the ops cookie.
func signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: scrmOpsCookie, Value: "", Path: "/ops/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
	w.WriteHeader(http.StatusNoContent)
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sameOrigin reports whether a browser sent r from a page of this server:
// its Origin (or, without one, its Referer) names the request's host.
// Requests without either come from tools, not from another site's page.
func sameOrigin(r *http.Request) bool {
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
	}
	if from == "" {
		return true
	}
	u, err := url.Parse(from)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// remoteStyles are the dashboard page's links to Google Fonts: an intranet
// install cannot reach them and the page's font stack falls back without them.
var remoteStyles = regexp.MustCompile(`<link rel="stylesheet" href="https?://[^"]*"/?>`)

// offline serves next with the remote stylesheets dropped from its HTML
// pages, so the dashboard asks nothing of any server but this one.
func offline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, queuesPath)
		if strings.HasPrefix(rest, "/api/") || strings.HasPrefix(rest, "/static/") || r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if rec.header.Get("Content-Type") == "" {
			rec.header.Set("Content-Type", http.DetectContentType(body))
		}
		if strings.HasPrefix(rec.header.Get("Content-Type"), "text/html") {
			body = remoteStyles.ReplaceAll(body, nil)
			rec.header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
	})
}

// bufferedResponse keeps a response in memory to look at or edit before
// sending it (offline, serveRefused).
type bufferedResponse struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
