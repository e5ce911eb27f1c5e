package server

import (
	"context"
	"encoding/json"
	"net/http"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	gqllru "github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/graph"
	"github.com/scrmhq/scrm/graph/generated"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/graph/typed"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/tenant"
)

// maxCachedSchemas bounds the typed schemas (and their handlers) kept in
// memory; a workspace whose schema was evicted rebuilds it in well under a
// millisecond on its next request.
const maxCachedSchemas = 1024

// maxCachedDocuments bounds the parsed, validated operations kept across
// all workspaces' schemas; maxPersistedQueries the query texts kept for
// automatic persisted queries (a client sends a hash instead of the text).
const (
	maxCachedDocuments  = 4096
	maxPersistedQueries = 4096
)

// GraphQL serves /graphql with each workspace's typed schema (graph/typed):
// a request is validated against the schema of its caller's workspace at
// the workspace's current field-definition version, rewritten onto the
// served schema and run by gqlgen's generated executor. Requests without a
// workspace (login) use the served schema without custom fields.
type GraphQL struct {
	d       Deps
	m       *metrics
	cfg     generated.Config
	base    *workspaceSchema
	schemas *lru.Cache[uuid.UUID, *workspaceSchema]
	// documents holds parsed, validated operations by schema and text, so a
	// repeated operation is neither parsed nor validated again; a schema
	// change builds a new schema, whose operations are validated afresh.
	documents *lru.Cache[documentKey, *ast.QueryDocument]
	persisted *gqllru.LRU[string]
}

// documentKey is an operation's text under one typed schema.
type documentKey struct {
	schema *typed.Schema
	query  string
}

// documentCache is the query cache of one schema's handler over the
// shared LRU.
type documentCache struct {
	schema *typed.Schema
	lru    *lru.Cache[documentKey, *ast.QueryDocument]
}

func (c documentCache) Get(_ context.Context, query string) (*ast.QueryDocument, bool) {
	return c.lru.Get(documentKey{c.schema, query})
}

func (c documentCache) Add(_ context.Context, query string, doc *ast.QueryDocument) {
	c.lru.Add(documentKey{c.schema, query}, doc)
}

// workspaceSchema is a typed schema and the handler that serves it, built
// from one version of a workspace's field definitions.
type workspaceSchema struct {
	fields  *fields.Schema
	typed   *typed.Schema
	handler http.Handler
}

// NewGraphQL builds the GraphQL endpoint with its transports, limits, error
// presentation and the root-field authorization.
func NewGraphQL(d Deps, m *metrics, res *graph.Resolver) *GraphQL {
	cfg := generated.Config{Resolvers: res}
	connectionCost := func(child int, first, last *int) int {
		n := 50
		if first != nil {
			n = *first
		} else if last != nil {
			n = *last
		}
		return max(min(n, 1000), 1) * (child + 1)
	}
	cfg.Complexity.Query.Leads = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.LeadOrder, _ *ent.LeadWhereInput, _ *model.AttributeOrderInput) int {
		return connectionCost(child, first, last)
	}
	cfg.Complexity.Query.Users = func(child int, _ *entgql.Cursor[uuid.UUID], first *int, _ *entgql.Cursor[uuid.UUID], last *int, _ *ent.UserOrder, _ *ent.UserWhereInput) int {
		return connectionCost(child, first, last)
	}
	cache, err := lru.New[uuid.UUID, *workspaceSchema](maxCachedSchemas)
	if err != nil {
		panic(err) // only for a size below 1
	}
	documents, err := lru.New[documentKey, *ast.QueryDocument](maxCachedDocuments)
	if err != nil {
		panic(err)
	}
	g := &GraphQL{d: d, m: m, cfg: cfg, schemas: cache, documents: documents, persisted: gqllru.New[string](maxPersistedQueries)}
	if g.base, err = g.build(nil); err != nil {
		panic(err) // the served schema lacks what graph/typed extends: a build error
	}
	return g
}

// build returns the typed schema of field definitions sch and its handler.
func (g *GraphQL) build(sch *fields.Schema) (*workspaceSchema, error) {
	ts, err := typed.Build(generated.NewExecutableSchema(g.cfg).Schema(), sch)
	if err != nil {
		return nil, err
	}
	cfg := g.cfg
	cfg.Schema = ts.AST
	return &workspaceSchema{fields: sch, typed: ts, handler: g.handler(generated.NewExecutableSchema(cfg), ts)}, nil
}

// handler is the gqlgen server of one schema. Its query cache keeps
// validated documents (the typed rewrite works on a copy); automatic
// persisted queries let a client send the SHA-256 of an operation the
// server has seen instead of its text.
func (g *GraphQL) handler(es graphql.ExecutableSchema, ts *typed.Schema) http.Handler {
	d := g.d
	srv := handler.New(es)
	srv.SetQueryCache(documentCache{schema: ts, lru: g.documents})
	srv.AddTransport(g.websocket())
	srv.AddTransport(sseTransport{transport.SSE{KeepAlivePingInterval: sseKeepAlive}}) // before POST: the same request asking for a stream
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: d.maxUpload() + MaxBodyBytes, MaxMemory: 8 << 20})
	srv.Use(extension.AutomaticPersistedQuery{Cache: g.persisted})
	srv.Use(typed.Rewriter{Schema: ts})
	srv.Use(extension.Introspection{})
	srv.Use(complexityLimit{extension.FixedComplexityLimit(MaxComplexity)})
	srv.Use(depthLimit{Max: MaxDepth})
	srv.Use(graph.RequireAuthentication{})
	srv.Use(graph.PageLimits{})
	srv.Use(graph.LiveViewers{})
	srv.Use(streamsOnly{})
	srv.Use(entgql.Transactioner{TxOpener: d.Services.Client})
	srv.AroundRootFields(graph.AuthorizeRootFields(d.Services.Authz))
	srv.AroundOperations(g.m.operation)
	srv.SetErrorPresenter(presentError(d.Log))
	srv.SetRecoverFunc(recoverPanic(d.Log))
	return srv
}

// schema returns the typed schema of the request's workspace. It costs one
// indexed read of the workspace's schema version per request, memoised so
// that resolvers reading attributes reuse it; the schema is rebuilt only
// when the workspace's definitions changed, on whichever process served the
// change.
func (g *GraphQL) schema(ctx context.Context) (*workspaceSchema, error) {
	tid, ok := tenant.FromContext(ctx)
	if !ok || auth.FromContext(ctx) == nil {
		return g.base, nil
	}
	sch, err := g.d.Services.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	if ws, ok := g.schemas.Get(tid); ok && ws.fields == sch {
		return ws, nil
	}
	ws, err := g.build(sch)
	if err != nil {
		return nil, err
	}
	if len(ws.typed.Skipped) > 0 {
		g.d.Log.WarnContext(ctx, "custom fields left out of the typed schema: their keys clash with served names",
			"keys", ws.typed.Skipped)
	}
	g.schemas.Add(tid, ws)
	return ws, nil
}

func (g *GraphQL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "" {
		r = withStreaming(withWSSession(r))
	}
	ws, err := g.schema(r.Context())
	if err != nil {
		g.d.Log.ErrorContext(r.Context(), "load the workspace schema", "err", err)
		writeError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "the workspace schema could not be loaded")
		return
	}
	if isSSE(r) {
		g.serveSSE(w, r, ws)
		return
	}
	if aerr := graph.AuthError(r.Context()); aerr != nil && r.Header.Get("Upgrade") == "" {
		g.serveRefused(w, r, ws, aerr)
		return
	}
	ws.handler.ServeHTTP(w, r)
}

// serveRefused serves a request whose credentials were refused (an expired
// or revoked token, say). It runs as any other, so login still works with a
// stale token in the header, but against the schema without custom fields:
// an operation naming the workspace's own fields fails validation there.
// Such an answer would tell the client its query is wrong when it is its
// sign-in, so it is replaced by the sign-in's refusal, 401 UNAUTHENTICATED,
// as a valid operation's root fields report it.
func (g *GraphQL) serveRefused(w http.ResponseWriter, r *http.Request, ws *workspaceSchema, aerr error) {
	code, _, msg := classify(aerr)
	if code != apperr.Unauthenticated {
		ws.handler.ServeHTTP(w, r)
		return
	}
	buf := &bufferedResponse{header: w.Header(), status: http.StatusOK}
	ws.handler.ServeHTTP(buf, r)
	var answer struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	if json.Unmarshal(buf.body.Bytes(), &answer) == nil && len(answer.Errors) > 0 &&
		answer.Errors[0].Extensions.Code == errcode.ValidationFailed {
		writeError(w, http.StatusUnauthorized, string(apperr.Unauthenticated), msg)
		return
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body.Bytes())
}

// serveSDL answers GET /graphql/schema.graphql with the caller's workspace
// schema, for code generators.
func (g *GraphQL) serveSDL(w http.ResponseWriter, r *http.Request) {
	if auth.FromContext(r.Context()) == nil {
		writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "send a bearer token or an API key to read your workspace's schema")
		return
	}
	ws, err := g.schema(r.Context())
	if err != nil {
		g.d.Log.ErrorContext(r.Context(), "load the workspace schema", "err", err)
		writeError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "the workspace schema could not be loaded")
		return
	}
	w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	formatter.NewFormatter(w, formatter.WithIndent("  ")).FormatSchema(ws.typed.AST)
}
