package bench_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/bench/dataset"
	"github.com/scrmhq/scrm/bench/peer"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/platform"
)

// The lists of issue #21, through scrm's typed schema and through
// PostGraphile: the page of leads newest first with id, name, phone, three
// custom fields (NUMBER budget, SELECT city, TEXT f02_text), owner name, tag
// names and stage, and the total count the web app's list shows.
const (
	peerScrmList = `query List($first: Int, $where: LeadWhereInput) {
		leads(first: $first, where: $where, orderBy: {field: CREATED_AT, direction: DESC}) {
			totalCount
			edges { node { id name phone budget city f02_text owner { name } tags { name } stage { name } } }
		} }`
	peerPostGraphileList = `query List($first: Int, $condition: LeadCondition) {
		allLeads(first: $first, condition: $condition, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
			totalCount
			nodes { rowId name phone budget city f02Text
				userByOwnerId { name } leadTagsByLeadId { nodes { tagByTagId { name } } } stageByStageId { name } }
		} }`
)

// peerSystem is one of the two servers under the same load.
type peerSystem struct {
	name   string
	url    string
	header http.Header
	pid    int // the server's process; 0: this process (scrm runs in it, beside the load generator)
	body   func(first int, owner uuid.UUID, city string) []byte
	rows   func(answer []byte) (rows []peerRow, total int, err error)
}

// peerRow is one lead of a list's answer, as both systems must give it.
type peerRow struct {
	ID, Name, Phone, City, Text, Owner, Stage string
	Budget                                    float64
	Tags                                      []string
}

func (r peerRow) sorted() peerRow {
	slices.Sort(r.Tags)
	return r
}

// peerRound is one timed run of one system.
type peerRound struct {
	reqs             float64
	rps, p50, p99    float64 // req/s, ms, ms
	self, server, db time.Duration
	statements       int
}

// BenchmarkPeerRead is issue #21's comparison: the same lists through scrm
// (its typed schema, Casbin row scope and masking, as the workspace's admin)
// and through PostGraphile 5 (installed by bench/peer at pinned versions
// into a scratch folder) over the same PostgreSQL database and rows: a
// generated workspace (bench/dataset, SCRM_BENCH_LEADS leads, default
// 100,000, 50 custom fields, 200 tags, 100 reps). For each of the page of
// 10, the page of 100, and the page of 50 filtered on city = sh and the
// owner being one rep, it first checks that both answer the same leads in
// the same order with the same total, then warms both up and runs the load
// generator of BenchmarkGraphQLLoad against each in turn, scrm then
// PostGraphile, SCRM_PEER_ROUNDS times (default 3). It reports each side's
// median req/s, p50 and p99, the ratios scrm ÷ PostGraphile of each round's
// req/s and p99 (min, median, max), scrm's SQL statements per request, and
// CPU per request of each server and of the database's backends.
func BenchmarkPeerRead(b *testing.B) {
	defer debug.SetGCPercent(platform.TuneGC()) // scrm runs in this process: tune it as scrm serve does
	ctx := context.Background()
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SCRM_BENCH_LEADS")); err == nil && v > 0 {
		n = v
	}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("SCRM_PEER_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	duration, maxRequests := loadBounds()

	dir, err := peer.Install(ctx, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	api := apitest.New(b)
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	spec := dataset.Default()
	spec.Slug, spec.Leads, spec.Events, spec.Listable = "peer"+hex.EncodeToString(buf), n, 0, true
	d, err := dataset.Generate(ctx, api.DB.DB, api.DB.Client, spec, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	token := api.Login(spec.Slug, "admin@"+spec.Slug+".test", spec.Password)
	if err := peer.Prepare(ctx, api.DB.DB, []peer.Field{{Key: "budget", Number: true}, {Key: "city", Filterable: true}, {Key: "f02_text"}}); err != nil {
		b.Fatal(err)
	}
	pgl, err := peer.Start(ctx, dir, api.DB.URL, d.Workspace.Workspace.ID.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pgl.Stop)
	b.Logf("%s on %d leads; PostGraphile pid %d", dir.Versions(), n, pgl.Pid)
	rep := d.Reps[0].ID

	scrm := peerSystem{name: "scrm", url: api.URL + "/graphql",
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}},
		body: func(first int, owner uuid.UUID, city string) []byte {
			vars := map[string]any{"first": first}
			if owner != uuid.Nil {
				vars["where"] = map[string]any{"ownerID": gid.Encode(owner), "city": city}
			}
			body, _ := json.Marshal(map[string]any{"query": peerScrmList, "variables": vars})
			return body
		},
		rows: func(answer []byte) ([]peerRow, int, error) {
			type named struct{ Name string }
			var out struct {
				Data struct {
					Leads struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								ID, Name, Phone, City string
								F02Text               string `json:"f02_text"`
								Budget                float64
								Owner, Stage          named
								Tags                  []named
							}
						}
					}
				}
			}
			if err := json.Unmarshal(answer, &out); err != nil {
				return nil, 0, err
			}
			var rows []peerRow
			for _, e := range out.Data.Leads.Edges {
				n := e.Node
				id, err := gid.Decode(n.ID)
				if err != nil {
					return nil, 0, err
				}
				// The typed schema serves a SELECT field as an enum of its
				// options' values, upper-cased.
				r := peerRow{ID: id.String(), Name: n.Name, Phone: n.Phone, Budget: n.Budget, City: strings.ToLower(n.City), Text: n.F02Text,
					Owner: n.Owner.Name, Stage: n.Stage.Name}
				for _, t := range n.Tags {
					r.Tags = append(r.Tags, t.Name)
				}
				rows = append(rows, r.sorted())
			}
			return rows, out.Data.Leads.TotalCount, nil
		}}
	postgraphile := peerSystem{name: "PostGraphile", url: pgl.URL, pid: pgl.Pid,
		header: http.Header{"Content-Type": {"application/json"}},
		body: func(first int, owner uuid.UUID, city string) []byte {
			vars := map[string]any{"first": first}
			if owner != uuid.Nil {
				vars["condition"] = map[string]any{"ownerId": owner.String(), "city": city}
			}
			body, _ := json.Marshal(map[string]any{"query": peerPostGraphileList, "variables": vars})
			return body
		},
		rows: func(answer []byte) ([]peerRow, int, error) {
			type named struct{ Name string }
			var out struct {
				Data struct {
					AllLeads struct {
						TotalCount int
						Nodes      []struct {
							RowID, Name, Phone, City, F02Text string
							Budget                            float64
							UserByOwnerID, StageByStageID     named
							LeadTagsByLeadID                  struct {
								Nodes []struct{ TagByTagID named }
							}
						}
					}
				}
			}
			if err := json.Unmarshal(answer, &out); err != nil {
				return nil, 0, err
			}
			var rows []peerRow
			for _, n := range out.Data.AllLeads.Nodes {
				r := peerRow{ID: n.RowID, Name: n.Name, Phone: n.Phone, Budget: n.Budget, City: n.City, Text: n.F02Text,
					Owner: n.UserByOwnerID.Name, Stage: n.StageByStageID.Name}
				for _, t := range n.LeadTagsByLeadID.Nodes {
					r.Tags = append(r.Tags, t.TagByTagID.Name)
				}
				rows = append(rows, r.sorted())
			}
			return rows, out.Data.AllLeads.TotalCount, nil
		}}
	systems := []peerSystem{scrm, postgraphile}

	for _, w := range []struct {
		name  string
		first int
		owner uuid.UUID
		city  string
	}{{"list10", 10, uuid.Nil, ""}, {"list100", 100, uuid.Nil, ""}, {"filtered50", 50, rep, "sh"}} {
		b.Run(w.name, func(b *testing.B) {
			bodies := make([][]byte, len(systems))
			var want []peerRow
			var wantTotal int
			for i, s := range systems {
				bodies[i] = s.body(w.first, w.owner, w.city)
				answer := peerPost(b, s, bodies[i])
				rows, total, err := s.rows(answer)
				if err != nil || len(rows) == 0 {
					b.Fatalf("%s: %d leads, %v: %.500s", s.name, len(rows), err, answer)
				}
				if i == 0 {
					want, wantTotal = rows, total
					continue
				}
				if total != wantTotal || len(rows) != len(want) {
					b.Fatalf("%s answers %d of %d leads, scrm %d of %d", s.name, len(rows), total, len(want), wantTotal)
				}
				for k := range rows {
					if !reflect.DeepEqual(rows[k], want[k]) {
						b.Fatalf("lead %d of the page: %s answers %+v, scrm %+v", k, s.name, rows[k], want[k])
					}
				}
			}
			if want[0].Owner == "" || want[0].Stage == "" || want[0].City == "" || want[0].Phone == "" || want[0].Budget == 0 {
				b.Fatalf("the first lead lacks a value the lists are meant to read: %+v", want[0])
			}
			if w.owner != uuid.Nil && len(want) != w.first {
				b.Fatalf("the filtered list has %d leads, want a full page of %d (a larger data set)", len(want), w.first)
			}
			for i, s := range systems { // warm up: connections, plans, caches
				load(b, s.url, bodies[i], s.header, min(duration, 2*time.Second), 1000)
			}
			for range b.N {
				runs := make([][]peerRound, len(systems))
				for range rounds {
					for i, s := range systems {
						runs[i] = append(runs[i], peerRun(b, api, s, bodies[i], duration, maxRequests))
					}
				}
				peerReport(b, runs[0], runs[1])
			}
		})
	}
}

// peerPost sends one request and returns the answer, failing b on an error.
func peerPost(b *testing.B, s peerSystem, body []byte) []byte {
	b.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(string(body)))
	req.Header = s.header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatalf("%s: %v", s.name, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || strings.Contains(string(answer), `"errors"`) {
		b.Fatalf("%s: status %d: %.1000s", s.name, res.StatusCode, answer)
	}
	return answer
}

// peerRun is one timed load run of s, with the CPU its server, this process
// and the database's backends of the benchmark's database used meanwhile.
func peerRun(b *testing.B, api *apitest.API, s peerSystem, body []byte, duration time.Duration, maxRequests int) peerRound {
	b.Helper()
	backends := func() map[int]time.Duration {
		rows, err := api.DB.DB.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		cpu := map[int]time.Duration{}
		for rows.Next() {
			var pid int
			if err := rows.Scan(&pid); err != nil {
				b.Fatal(err)
			}
			if t, err := peer.CPU(pid); err == nil {
				cpu[pid] = t
			}
		}
		return cpu
	}
	self := func() time.Duration {
		t, err := peer.CPU(os.Getpid())
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	server := func() time.Duration {
		if s.pid == 0 {
			return 0
		}
		t, err := peer.CPU(s.pid)
		if err != nil {
			b.Fatalf("%s: %v", s.name, err)
		}
		return t
	}
	db0, self0, server0, stmts0 := backends(), self(), server(), api.Statements()
	m := load(b, s.url, body, s.header, duration, maxRequests)
	r := peerRound{reqs: float64(m.Requests), rps: m.Throughput,
		p50: float64(m.Latencies.P50.Microseconds()) / 1000, p99: float64(m.Latencies.P99.Microseconds()) / 1000,
		self: self() - self0, server: server() - server0, statements: api.Statements() - stmts0}
	for pid, t := range backends() {
		if t0, ok := db0[pid]; ok {
			r.db += t - t0
		} else {
			r.db += t // a backend that connected during the run
		}
	}
	b.Logf("%s: %.0f req/s, p50 %.1f ms, p99 %.1f ms, %d requests", s.name, r.rps, r.p50, r.p99, m.Requests)
	return r
}

// peerReport reports the rounds of scrm (a) and PostGraphile (p).
func peerReport(b *testing.B, a, p []peerRound) {
	med := func(f func(peerRound) float64, rs []peerRound) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = f(r)
		}
		return median(vs)
	}
	ratios := func(f func(peerRound) float64) (lo, mid, hi float64) {
		vs := make([]float64, len(a))
		for i := range a {
			vs[i] = f(a[i]) / f(p[i])
		}
		return slices.Min(vs), median(vs), slices.Max(vs)
	}
	perReq := func(rs []peerRound, f func(peerRound) time.Duration) float64 {
		var t time.Duration
		var n float64
		for _, r := range rs {
			t += f(r)
			n += r.reqs
		}
		return float64(t.Microseconds()) / 1000 / n
	}
	rps := func(r peerRound) float64 { return r.rps }
	p99 := func(r peerRound) float64 { return r.p99 }
	b.ReportMetric(med(rps, a), "scrm-req/s")
	b.ReportMetric(med(rps, p), "postgraphile-req/s")
	b.ReportMetric(med(func(r peerRound) float64 { return r.p50 }, a), "scrm-p50-ms")
	b.ReportMetric(med(func(r peerRound) float64 { return r.p50 }, p), "postgraphile-p50-ms")
	b.ReportMetric(med(p99, a), "scrm-p99-ms")
	b.ReportMetric(med(p99, p), "postgraphile-p99-ms")
	lo, mid, hi := ratios(rps)
	b.ReportMetric(lo, "ratio-req/s-min")
	b.ReportMetric(mid, "ratio-req/s-med")
	b.ReportMetric(hi, "ratio-req/s-max")
	lo, mid, hi = ratios(p99)
	b.ReportMetric(lo, "ratio-p99-min")
	b.ReportMetric(mid, "ratio-p99-med")
	b.ReportMetric(hi, "ratio-p99-max")
	var stmts, reqs float64
	for _, r := range a {
		stmts += float64(r.statements)
		reqs += r.reqs
	}
	b.ReportMetric(stmts/reqs, "scrm-sql/req")
	// scrm serves from this process, beside the load generator: its share is
	// this process's CPU per request less the load generator's alone (this
	// process's CPU per request while PostGraphile serves).
	loadgen := perReq(p, func(r peerRound) time.Duration { return r.self })
	b.ReportMetric(loadgen, "loadgen-cpu-ms/req")
	b.ReportMetric(perReq(a, func(r peerRound) time.Duration { return r.self })-loadgen, "scrm-cpu-ms/req")
	b.ReportMetric(perReq(p, func(r peerRound) time.Duration { return r.server }), "postgraphile-cpu-ms/req")
	b.ReportMetric(perReq(a, func(r peerRound) time.Duration { return r.db }), "scrm-db-cpu-ms/req")
	b.ReportMetric(perReq(p, func(r peerRound) time.Duration { return r.db }), "postgraphile-db-cpu-ms/req")
	b.Logf("rounds (req/s, p99 ms): scrm %v; PostGraphile %v", peerFigures(a), peerFigures(p))
}

func peerFigures(rs []peerRound) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%.0f/%.1f", r.rps, r.p99))
	}
	return strings.Join(s, " ")
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkLeadPage serves BenchmarkPeerRead's list of 100 leads in this
// process, one request at a time through the server's handler (no network,
// no load generator), on a workspace of SCRM_BENCH_LEADS leads (default
// 20,000): the benchmark to profile the read path with, e.g.
//
//	go test -tags nofrontend -run '^$' -bench '^BenchmarkLeadPage$' -benchtime 1000x -cpuprofile cpu.prof ./bench/
//	go tool pprof -svg -focus='BenchmarkLeadPage.func1|gqlgen|lib/pq' -ignore='dataset|bcrypt|blowfish' bench.test cpu.prof > page.svg
//
// (the focus and ignore leave out the data set's generation).
func BenchmarkLeadPage(b *testing.B) {
	defer debug.SetGCPercent(platform.TuneGC())
	ctx := context.Background()
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("SCRM_BENCH_LEADS")); err == nil && v > 0 {
		n = v
	}
	api := apitest.New(b)
	spec := dataset.Default()
	spec.Slug, spec.Leads, spec.Events, spec.Listable = "page", n, 0, true
	if _, err := dataset.Generate(ctx, api.DB.DB, api.DB.Client, spec, b.Logf); err != nil {
		b.Fatal(err)
	}
	token := api.Login(spec.Slug, "admin@"+spec.Slug+".test", spec.Password)
	body, _ := json.Marshal(map[string]any{"query": peerScrmList, "variables": map[string]any{"first": 100}})
	h := api.Server.Config.Handler
	serve := func() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("status %d: %.500s", rec.Code, rec.Body.String())
		}
	}
	for range 50 { // warm up: caches, plans, connections
		serve()
	}
	b.ResetTimer()
	for range b.N {
		serve()
	}
}
