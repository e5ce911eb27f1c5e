package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Suite is one `go test -bench` run.
type Suite struct {
	Name      string // the issue's name for it
	Issue     int
	Pkg       string
	Bench     string // -bench pattern
	Benchtime string
	Env       []string
	// Show are the metrics of the summary, as "sub-benchmark suffix:unit"
	// ("" matches the benchmark itself or any sub-benchmark).
	Show []string
	// Goals are the issue's targets on this suite's figures.
	Goals []Goal
	// WebApp builds the test binary with the web app (frontend/dist, `make
	// frontend`) instead of -tags nofrontend.
	WebApp bool
}

// Goal is a target on one reported metric.
type Goal struct {
	Bench  string // sub-benchmark suffix, "" for any
	Unit   string
	Max    bool // the figure must be at most Target (else at least)
	Target float64
	Text   string
}

// Args are the go command's arguments.
func (s Suite) Args() []string {
	// nofrontend: benchmarks but the web app's serve no web app, so they need no `make frontend`.
	args := []string{"test", "-tags", "nofrontend"}
	if s.WebApp {
		args = []string{"test"}
	}
	args = append(args, "-run", "^$", "-bench", s.Bench, "-benchtime", s.Benchtime, "-benchmem", "-count", "1", "-timeout", "180m")
	return append(args, strings.Fields(s.Pkg)...)
}

// Command is the suite as a shell command, for the document.
func (s Suite) Command() string {
	args := s.Args()
	for i, a := range args {
		if strings.ContainsAny(a, "^$ ") {
			args[i] = "'" + a + "'"
		}
	}
	env := strings.Join(s.Env, " ")
	if env != "" {
		env += " "
	}
	return env + "go " + strings.Join(args, " ")
}

// Suites are the benchmarks the issues asked for. quick shrinks the data
// sets so that a run checks the harness in minutes.
func Suites(quick bool) []Suite {
	leads, events, rows := "1000000", "10000000", "1000000"
	if quick {
		leads, events, rows = "100000", "1000000", "100000"
	}
	return []Suite{
		{Name: "Import 1,000,000 CSV rows vs plain COPY", Issue: 6, Pkg: "./bench/", Bench: "^BenchmarkImportVsCopy$", Benchtime: "1x",
			Env:  []string{"SCRM_BENCH_ROWS=" + rows},
			Show: []string{":import-rows/s", ":copy-rows/s", ":import/copy", ":ceiling-rows/s", ":ceiling/copy", ":import/ceiling"},
			Goals: []Goal{{Unit: "import/copy", Target: 0.3, Text: "import ≥ 0.3 × COPY (#6)"},
				{Unit: "import/ceiling", Target: 0.6, Text: "import ≥ 0.6 × the ceiling (#21)"}}},
		{Name: "What one lead insert costs: leads built up step by step", Issue: 6, Pkg: "./bench/", Bench: "^BenchmarkLeadsWriteCost$", Benchtime: "1x",
			Env: []string{"SCRM_BENCH_ROWS=" + rows},
			Show: []string{"1-heap:µs/row", "2-primary-key:µs/row", "3-unique-indexes:µs/row", "4-all-indexes:µs/row", "5-foreign-keys:µs/row",
				"3-unique-indexes:rows/s", "5-foreign-keys:rows/s"}},
		{Name: "Segment compute and set operations (1M leads, 10M events)", Issue: 8, Pkg: "./bench/", Bench: "^BenchmarkSegment$", Benchtime: "3x",
			Env: []string{"SCRM_BENCH_LEADS=" + leads, "SCRM_BENCH_EVENTS=" + events},
			Show: []string{"Compute/handwritten-count:ms/op", "Compute/materialise:ms/op", "Compute/materialise:x-handwritten",
				"SetOps/bitmap-intersect:ms/op", "SetOps/bitmap-union:ms/op", "SetOps/bitmap-difference:ms/op"},
			Goals: []Goal{
				{Bench: "Compute/materialise", Unit: "x-handwritten", Max: true, Target: 1.5, Text: "compute ≤ 1.5 × hand-written SQL"},
				{Bench: "SetOps/bitmap-union", Unit: "ms/op", Max: true, Target: 10, Text: "set operation ≤ 10 ms"},
			}},
		{Name: "Recycle pass (1M leads, 10% due)", Issue: 7, Pkg: "./bench/", Bench: "^BenchmarkRecycle$", Benchtime: "1x",
			Env: []string{"SCRM_BENCH_LEADS=" + leads}, Show: []string{":recycled-leads/s", ":recycled/op"}},
		{Name: "Claims, 100 concurrent claimers", Issue: 7, Pkg: "./bench/", Bench: "^BenchmarkClaims$", Benchtime: "10000x",
			Show: []string{":calls/s", ":claims/s"}},
		{Name: "Assignment through a WEIGHTED rule", Issue: 7, Pkg: "./internal/assign/", Bench: "^BenchmarkAssign$", Benchtime: "5x",
			Show: []string{":leads/s"}},
		{Name: "Broadcast planning (1M members) and webhook sends", Issue: 9, Pkg: "./bench/", Bench: "^Benchmark(BroadcastPlan|WebhookSends)$", Benchtime: "1x",
			Env: []string{"SCRM_BENCH_LEADS=" + leads}, Show: []string{"BroadcastPlan:rows/s", "WebhookSends:msgs/s"}},
		{Name: "Typed schema vs generic attributes, 100-lead list", Issue: 4, Pkg: "./bench/", Bench: "^BenchmarkTypedSchema$", Benchtime: "500x",
			Show:  []string{":generic-ms/op", ":typed-ms/op", ":typed/generic"},
			Goals: []Goal{{Unit: "typed/generic", Max: true, Target: 1.15, Text: "typed ≤ 1.15 × generic"}}},
		{Name: "GraphQL load, the 100-lead list over HTTP", Issue: 11, Pkg: "./bench/", Bench: "^BenchmarkGraphQLLoad$", Benchtime: "1x",
			Show: []string{"page=10:req/s", "page=10:p50-ms", "page=10:p99-ms", "page=100:req/s", "page=100:p50-ms", "page=100:p99-ms", ":sql/req"}},
		peerSuite(quick),
		{Name: "Web app: the leads page's first render (1M leads, 50 custom fields)", Issue: 21, Pkg: "./bench/", Bench: "^BenchmarkWebFirstRender$", Benchtime: "1x",
			WebApp: true, Env: []string{"SCRM_BENCH_LEADS=" + leads},
			Show:  []string{":warm-first-page-ms", ":app-start-ms", ":list-answered-ms", ":main-thread-cpu-ms", ":load-average"},
			Goals: []Goal{{Unit: "warm-first-page-ms", Max: true, Target: 300, Text: "first render ≤ 300 ms warm (#21, #24)"}}},
		{Name: "Journey steps (100,000 enrolled leads) vs a plain UPDATE", Issue: 23, Pkg: "./bench/", Bench: "^BenchmarkJourney$", Benchtime: "1x",
			Env:   []string{"SCRM_BENCH_JOURNEY_LEADS=100000"},
			Show:  []string{":steps/s", ":anchor-rows/s", ":steps/anchor", ":run-s"},
			Goals: []Goal{{Unit: "steps/anchor", Target: 0.25, Text: "step executions ≥ 0.25 × a plain UPDATE's rows"}}},
		{Name: "Micro: mainland phone normalisation, policy decision", Issue: 5, Pkg: "./internal/clean/ ./internal/policy/", Bench: "^Benchmark(PhoneMainland|Allowed)$", Benchtime: "1s",
			Show: []string{"PhoneMainland:ns/op", "Allowed:ns/op"}},
	}
}

// peerSuite is issue #21's comparison with PostGraphile (bench/peer installs
// it at the versions pinned there): three lists over the same 100,000
// leads, alternating the two servers for three rounds under the same load.
// The ratios are scrm ÷ PostGraphile, min/median/max over the rounds; the
// goals are on the median.
func peerSuite(quick bool) Suite {
	duration := "10s"
	if quick {
		duration = "5s"
	}
	s := Suite{Name: "Read path vs PostGraphile 5.1.5, 100,000 leads: list of 10, of 100, filtered list of 50", Issue: 21,
		Pkg: "./bench/", Bench: "^BenchmarkPeerRead$", Benchtime: "1x",
		Env: []string{"SCRM_BENCH_LEADS=100000", "SCRM_PEER_ROUNDS=3", "SCRM_LOAD_DURATION=" + duration}}
	for _, w := range []string{"list10", "list100", "filtered50"} {
		s.Show = append(s.Show, w+":ratio-req/s-{min,med,max}", w+":ratio-p99-{min,med,max}", w+":scrm-req/s", w+":postgraphile-req/s",
			w+":scrm-p99-ms", w+":postgraphile-p99-ms")
		s.Goals = append(s.Goals,
			Goal{Bench: w, Unit: "ratio-req/s-med", Target: 1, Text: w + ": scrm req/s ≥ 1.0 × PostGraphile's"},
			Goal{Bench: w, Unit: "ratio-p99-med", Max: true, Target: 1, Text: w + ": scrm p99 ≤ PostGraphile's"})
	}
	s.Show = append(s.Show, "list100:scrm-sql/req", "list100:scrm-cpu-ms/req", "list100:postgraphile-cpu-ms/req",
		"list100:scrm-db-cpu-ms/req", "list100:postgraphile-db-cpu-ms/req")
	s.Goals = append(s.Goals, Goal{Bench: "list100", Unit: "scrm-sql/req", Max: true, Target: 2, Text: "≤ 2 SQL statements per list request"})
	return s
}

// Line is one parsed benchmark result line.
type Line struct {
	Name    string // without the Benchmark prefix and the -N suffix
	Metrics map[string]float64
}

// ParseLine parses "BenchmarkX/sub-2  3  123 ns/op  4.5 unit ..." lines.
func ParseLine(s string) (Line, bool) {
	f := strings.Fields(s)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return Line{}, false
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return Line{}, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndex(name, "-"); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	l := Line{Name: name, Metrics: map[string]float64{}}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return Line{}, false
		}
		l.Metrics[f[i+1]] = v
	}
	return l, true
}

// Result is a suite's run.
type Result struct {
	Suite Suite
	Lines []Line
	Took  time.Duration
	Err   string
}

// find returns the metric unit of the first line whose name ends with
// bench ("" for any line).
func (r Result) find(bench, unit string) (float64, bool) {
	for _, l := range r.Lines {
		if bench != "" && !strings.HasSuffix(l.Name, bench) {
			continue
		}
		if v, ok := l.Metrics[unit]; ok {
			return v, true
		}
	}
	return 0, false
}

// figure renders one Show entry, "bench:unit", as "value bench unit". A
// unit with a set of suffixes, "ratio-{min,med,max}", shows the values of
// ratio-min, ratio-med and ratio-max as "v1/v2/v3 bench ratio-min/med/max".
func (r Result) figure(show string) (string, bool) {
	bench, unit, _ := strings.Cut(show, ":")
	label := unit
	units := []string{unit}
	if i, j := strings.Index(unit, "{"), strings.Index(unit, "}"); i >= 0 && j > i {
		units = nil
		parts := strings.Split(unit[i+1:j], ",")
		for _, p := range parts {
			units = append(units, unit[:i]+p+unit[j+1:])
		}
		label = unit[:i] + strings.Join(parts, "/") + unit[j+1:]
	}
	var vs []string
	for _, u := range units {
		v, ok := r.find(bench, u)
		if !ok {
			return "", false
		}
		vs = append(vs, format(v))
	}
	if bench != "" {
		label = bench + " " + label
	}
	return strings.Join(vs, "/") + " " + label, true
}

const (
	startMark = "<!-- bench-summary:start (written by `make bench`; edit bench/report, not this block) -->"
	endMark   = "<!-- bench-summary:end -->"
)

// Summary renders the results as the block between the marks.
func Summary(results []Result, machine string, at time.Time, command, raw string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Summary of the last `make bench`\n\n", startMark)
	fmt.Fprintf(&b, "Run %s with `%s` on %s. Raw output: `%s` (benchstat's format). "+
		"Each row's command runs that suite alone; the sections below explain each benchmark.",
		at.UTC().Format("2006-01-02 15:04 MST"), command, machine, raw)
	if strings.Contains(command, "-quick") {
		b.WriteString(" **This was a quick run** (100,000 leads, 1,000,000 events): it checks the harness; " +
			"the goals are for the full sizes in the names, which only `make bench` runs.")
	}
	b.WriteString("\n\n")
	b.WriteString("| issue | benchmark | figures | goal | took | command |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		var figs []string
		for _, sh := range r.Suite.Show {
			if f, ok := r.figure(sh); ok {
				figs = append(figs, f)
			}
		}
		goals := "—"
		if len(r.Suite.Goals) > 0 {
			var gs []string
			for _, g := range r.Suite.Goals {
				v, ok := r.find(g.Bench, g.Unit)
				met := ok && ((g.Max && v <= g.Target) || (!g.Max && v >= g.Target))
				verdict := "**not met**"
				if met {
					verdict = "met"
				}
				if !ok {
					verdict = "no figure"
				}
				gs = append(gs, fmt.Sprintf("%s: %s", g.Text, verdict))
			}
			goals = strings.Join(gs, "; ")
		}
		figures := strings.Join(figs, ", ")
		if r.Err != "" {
			figures = "**failed**: " + oneLine(r.Err)
		}
		fmt.Fprintf(&b, "| #%d | %s | %s | %s | %s | `%s` |\n", r.Suite.Issue, r.Suite.Name, figures, goals,
			r.Took.Round(time.Second), strings.ReplaceAll(r.Suite.Command(), "|", `\|`))
	}
	b.WriteString("\n" + endMark)
	return b.String()
}

// Replace puts summary in place of the marked block of doc, or after its
// first paragraph when there is none yet.
func Replace(doc, summary string) (string, error) {
	i, j := strings.Index(doc, startMark), strings.Index(doc, endMark)
	switch {
	case i >= 0 && j > i:
		return doc[:i] + summary + doc[j+len(endMark):], nil
	case i >= 0 || j >= 0:
		return "", fmt.Errorf("the document has one summary mark without the other")
	}
	k := strings.Index(doc, "\n## ")
	if k < 0 {
		return doc + "\n" + summary + "\n", nil
	}
	return doc[:k+1] + summary + "\n\n" + doc[k+1:], nil
}

func format(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
