package bench_test

import (
	"encoding/json"
	"math"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/scrmhq/scrm/internal/platform"
)

// loadDuration bounds each load run: SCRM_LOAD_DURATION (a Go duration),
// default 10s. loadRequests bounds the requests: SCRM_LOAD_REQUESTS,
// default 20,000.
func loadBounds() (time.Duration, int) {
	d, err := time.ParseDuration(os.Getenv("SCRM_LOAD_DURATION"))
	if err != nil || d <= 0 {
		d = 10 * time.Second
	}
	n, err := strconv.Atoi(os.Getenv("SCRM_LOAD_REQUESTS"))
	if err != nil || n <= 0 {
		n = 20_000
	}
	return d, n
}

// BenchmarkGraphQLLoad drives the typed lead list of issue #11 (owner, tags,
// stage and five custom fields) over loopback HTTP with vegeta, as fast as
// 4 connections go, bounded in time and requests, for pages of 10 and 100
// leads. It reports p50/p99 latency, requests per second, and the SQL
// statements per request, which must not grow with the page size.
func BenchmarkGraphQLLoad(b *testing.B) {
	defer debug.SetGCPercent(platform.TuneGC()) // the api runs in this process: tune it as scrm serve does
	api, token := listWorkspace(b)
	duration, maxRequests := loadBounds()
	statements := map[int]float64{}
	for _, size := range []int{10, 100} {
		b.Run("page="+strconv.Itoa(size), func(b *testing.B) {
			query := strings.Replace(typedList, "first: 100", "first: "+strconv.Itoa(size), 1)
			body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"min": 0}})
			header := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}
			for range b.N {
				before := api.Statements()
				m := load(b, api.URL+"/graphql", body, header, duration, maxRequests)
				perRequest := float64(api.Statements()-before) / float64(m.Requests)
				statements[size] = perRequest
				b.ReportMetric(float64(m.Latencies.P50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(m.Latencies.P99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(m.Throughput, "req/s")
				b.ReportMetric(float64(m.Requests), "requests")
				b.ReportMetric(perRequest, "sql/req")
			}
		})
	}
	if math.Round(statements[10]) != math.Round(statements[100]) {
		b.Errorf("SQL statements per request grow with the page size: %v", statements)
	}
}

// load is the load generator of the HTTP benchmarks: it posts body to url
// with vegeta, as fast as 4 keep-alive connections go, for duration or
// maxRequests requests, whichever ends first, and fails b on an answer that
// is not 200 or holds GraphQL errors.
func load(b *testing.B, url string, body []byte, header http.Header, duration time.Duration, maxRequests int) *vegeta.Metrics {
	b.Helper()
	sent := 0
	targeter := func(t *vegeta.Target) error {
		if sent >= maxRequests {
			return vegeta.ErrNoTargets
		}
		sent++
		*t = vegeta.Target{Method: http.MethodPost, URL: url, Body: body, Header: header}
		return nil
	}
	attacker := vegeta.NewAttacker(vegeta.Workers(4), vegeta.MaxWorkers(4), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	var m vegeta.Metrics
	for res := range attacker.Attack(targeter, vegeta.Rate{}, duration, "list") {
		if res.Error == vegeta.ErrNoTargets.Error() { // maxRequests reached
			continue
		}
		if res.Code != http.StatusOK || strings.Contains(string(res.Body), `"errors"`) {
			b.Fatalf("%s: status %d: %.300s %s", url, res.Code, res.Body, res.Error)
		}
		m.Add(res)
	}
	m.Close()
	return &m
}
