package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	l, ok := ParseLine("BenchmarkSegment/Compute/materialise-2   \t       3\t 487123456 ns/op\t       487.1 ms/op\t     15668 members\t         1.004 x-handwritten\t  1234 B/op")
	if !ok || l.Name != "Segment/Compute/materialise" || l.Metrics["x-handwritten"] != 1.004 || l.Metrics["members"] != 15668 || l.Metrics["B/op"] != 1234 {
		t.Fatalf("ParseLine = %+v, %v", l, ok)
	}
	for _, s := range []string{"goos: linux", "BenchmarkX", "BenchmarkX-2 three 1 ns/op", "PASS", "ok  	pkg	1.2s", "BenchmarkX-2 1 abc ns/op"} {
		if _, ok := ParseLine(s); ok {
			t.Errorf("parsed %q", s)
		}
	}
}

func TestSummaryChecksGoals(t *testing.T) {
	var typed Suite
	for _, s := range Suites(false) {
		if strings.Contains(s.Name, "Typed") {
			typed = s
		}
	}
	if typed.Name == "" {
		t.Fatal("no Typed suite")
	}
	met := Result{Suite: typed, Lines: []Line{{Name: "TypedSchema", Metrics: map[string]float64{"typed/generic": 1.05, "typed-ms/op": 15.2, "generic-ms/op": 14.4}}}, Took: 90 * time.Second}
	missed := met
	missed.Lines = []Line{{Name: "TypedSchema", Metrics: map[string]float64{"typed/generic": 1.2}}}
	failed := Result{Suite: Suites(false)[0], Err: "exit status 1\nFAIL"}
	s := Summary([]Result{met, missed, failed}, "test machine", time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC), "make bench", "bench/results/x.txt")
	rows := strings.Split(s, "\n")
	var body []string
	for _, r := range rows {
		if strings.HasPrefix(r, "| #") {
			body = append(body, r)
		}
	}
	if len(body) != 3 {
		t.Fatalf("rows:\n%s", s)
	}
	if !strings.Contains(body[0], "1.050 typed/generic") || !strings.Contains(body[0], "typed ≤ 1.15 × generic: met") || !strings.Contains(body[0], "1m30s") {
		t.Errorf("met row: %s", body[0])
	}
	if !strings.Contains(body[1], "**not met**") {
		t.Errorf("missed row: %s", body[1])
	}
	if !strings.Contains(body[2], "**failed**: exit status 1 FAIL") || !strings.Contains(body[2], "no figure") {
		t.Errorf("failed row: %s", body[2])
	}
	if !strings.Contains(s, "2026-11-23 16:00 UTC") || !strings.Contains(s, "test machine") {
		t.Errorf("header: %s", rows[:4])
	}
}

func TestReplaceKeepsTheRestOfTheDocument(t *testing.T) {
	doc := "# Benchmarks\n\nIntro.\n\n## Import\n\nText.\n"
	first, err := Replace(doc, startMark+"\nA\n"+endMark)
	if err != nil || !strings.HasPrefix(first, "# Benchmarks\n\nIntro.\n\n"+startMark+"\nA\n"+endMark) || !strings.HasSuffix(first, "## Import\n\nText.\n") {
		t.Fatalf("first insert:\n%s", first)
	}
	second, err := Replace(first, startMark+"\nB\n"+endMark)
	if err != nil || strings.Contains(second, "\nA\n") || !strings.Contains(second, "\nB\n") || strings.Count(second, "## Import") != 1 {
		t.Fatalf("second:\n%s", second)
	}
	if _, err := Replace("x "+startMark, "y"); err == nil {
		t.Fatal("a lone mark was accepted")
	}
}

func TestSuiteCommandsQuoteTheirPatterns(t *testing.T) {
	for _, s := range Suites(false) {
		c := s.Command()
		if !strings.Contains(c, "-bench '") || !strings.Contains(c, "-run '^$'") {
			t.Errorf("%s: %s", s.Name, c)
		}
	}
	if got := Suites(true)[0].Env[0]; got != "SCRM_BENCH_ROWS=100000" {
		t.Errorf("quick import size = %s", got)
	}
}

// TestWebSuiteBuildsTheWebApp: the web app's suite builds its test binary
// with the web app, every other suite without it.
func TestWebSuiteBuildsTheWebApp(t *testing.T) {
	found := false
	for _, s := range Suites(false) {
		web := strings.Contains(s.Bench, "WebFirstRender")
		found = found || web
		if got := strings.Contains(s.Command(), "-tags nofrontend"); got == web {
			t.Errorf("%s: command %q, want -tags nofrontend only without the web app", s.Name, s.Command())
		}
		if web && (!s.WebApp || !strings.Contains(s.Command(), "SCRM_BENCH_LEADS=1000000") || len(s.Goals) != 1 || s.Goals[0].Target != 300) {
			t.Errorf("web suite: %+v", s)
		}
	}
	if !found {
		t.Error("no suite runs BenchmarkWebFirstRender")
	}
}

func TestSummaryShowsRangesAndThePeerGoals(t *testing.T) {
	var peer Suite
	for _, s := range Suites(true) {
		if s.Issue == 21 && strings.Contains(s.Bench, "PeerRead") {
			peer = s
		}
	}
	if peer.Name == "" || !strings.Contains(peer.Command(), "SCRM_LOAD_DURATION=5s") || !strings.Contains(peer.Command(), "^BenchmarkPeerRead$") {
		t.Fatalf("peer suite: %+v", peer)
	}
	line := func(name string, rps, p99 float64) Line {
		return Line{Name: "PeerRead/" + name, Metrics: map[string]float64{
			"ratio-req/s-min": rps - 0.1, "ratio-req/s-med": rps, "ratio-req/s-max": rps + 0.1,
			"ratio-p99-min": p99 - 0.5, "ratio-p99-med": p99, "ratio-p99-max": p99 + 0.5, "scrm-sql/req": 6}}
	}
	r := Result{Suite: peer, Lines: []Line{line("list10", 1.2, 0.9), line("list100", 0.24, 2.5), line("filtered50", 0.5, 1.1)}}
	s := Summary([]Result{r}, "m", time.Now(), "make bench", "x.txt")
	for _, want := range []string{
		"1.100/1.200/1.300 list10 ratio-req/s-min/med/max",
		"0.140/0.240/0.340 list100 ratio-req/s-min/med/max",
		"2.000/2.500/3.000 list100 ratio-p99-min/med/max",
		"list10: scrm req/s ≥ 1.0 × PostGraphile's: met",
		"list10: scrm p99 ≤ PostGraphile's: met",
		"list100: scrm req/s ≥ 1.0 × PostGraphile's: **not met**",
		"filtered50: scrm p99 ≤ PostGraphile's: **not met**",
		"≤ 2 SQL statements per list request: **not met**",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "list10 scrm-req/s") {
		t.Errorf("a figure the run did not report is shown:\n%s", s)
	}
}
