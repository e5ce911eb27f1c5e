package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	httpDuration *prometheus.HistogramVec
	statements   *prometheus.HistogramVec
	operations   *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scrm_http_request_duration_seconds",
			Help:    "HTTP request latency by route and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		statements: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scrm_sql_statements_per_request",
			Help:    "SQL statements (BEGIN and COMMIT included) a request sent through ent, by route; a list whose count grows with its page size has an N+1.",
			Buckets: []float64{0, 1, 2, 4, 8, 16, 32, 64, 128, 256},
		}, []string{"route"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scrm_graphql_operations_total",
			Help: "GraphQL operations by type and name.",
		}, []string{"type", "name"}),
	}
	reg.MustRegister(m.httpDuration, m.statements, m.operations)
	return m
}

// routes keeps the route label's cardinality bounded.
var routes = map[string]bool{"/graphql": true, "/graphiql": true, "/healthz": true, "/readyz": true, "/metrics": true}

func (m *metrics) observeHTTP(r *http.Request, status int, d time.Duration, statements int64) {
	route := r.URL.Path
	if !routes[route] {
		route = "other"
	}
	m.httpDuration.WithLabelValues(route, r.Method, strconv.Itoa(status)).Observe(d.Seconds())
	m.statements.WithLabelValues(route).Observe(float64(statements))
}

func (m *metrics) operation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	typ, name := "unknown", oc.OperationName
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
	}
	if name == "" || len(name) > 64 {
		name = "anonymous"
	}
	m.operations.WithLabelValues(typ, name).Inc()
	return next(ctx)
}
