// Command report is `make bench`: it runs every benchmark the issues asked
// for, each beside its anchor in the same run (plain COPY, a hand-written
// query, the generic path), saves the raw `go test -bench` output
// (benchstat's format) under bench/results/, and rewrites the summary at the
// top of docs/benchmarks.md with the figures, the ratios against their
// goals, the machine, the date and the exact commands.
//
//	go run ./bench/report                 # everything, full size (about an hour)
//	go run ./bench/report -quick          # 100,000 leads: checks the harness in minutes
//	go run ./bench/report -only Segment   # the suites whose name contains Segment
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "small data sets (100,000 leads, 1,000,000 events): checks the harness, not the goals")
	only := flag.String("only", "", "run only the suites whose name contains this")
	doc := flag.String("doc", "docs/benchmarks.md", "the document whose summary is rewritten")
	out := flag.String("out", "bench/results", "where the raw output goes")
	flag.Parse()
	log.SetFlags(0)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	var results []Result
	var raw bytes.Buffer
	for _, s := range Suites(*quick) {
		if *only != "" && !strings.Contains(s.Name, *only) {
			continue
		}
		log.Printf("bench: %s: %s", s.Name, s.Command())
		t0 := time.Now()
		lines, err := run(ctx, s, io.MultiWriter(os.Stdout, &raw))
		r := Result{Suite: s, Lines: lines, Took: time.Since(t0)}
		if err != nil {
			r.Err = err.Error()
			log.Printf("bench: %s failed: %v", s.Name, err)
		}
		results = append(results, r)
		if ctx.Err() != nil {
			log.Fatal("bench: interrupted; docs not rewritten")
		}
	}
	if len(results) == 0 {
		log.Fatalf("bench: no suite matches %q", *only)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	rawPath := filepath.Join(*out, start.Format("2006-01-02T150405")+".txt")
	if err := os.WriteFile(rawPath, raw.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	cmd := "make bench"
	if *quick || *only != "" {
		cmd = "go run ./bench/report " + strings.Join(os.Args[1:], " ")
	}
	summary := Summary(results, Machine(), start, cmd, rawPath)
	old, err := os.ReadFile(*doc)
	if err != nil {
		log.Fatal(err)
	}
	updated, err := Replace(string(old), summary)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*doc, []byte(updated), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("bench: %d suites in %s; raw output in %s; summary rewritten in %s",
		len(results), time.Since(start).Round(time.Second), rawPath, *doc)
	for _, r := range results {
		if r.Err != "" {
			os.Exit(1)
		}
	}
}

// run runs one suite, streaming its output to w, and returns its benchmark
// lines.
func run(ctx context.Context, s Suite, w io.Writer) ([]Line, error) {
	c := exec.CommandContext(ctx, "go", s.Args()...)
	c.Env = append(os.Environ(), s.Env...)
	pr, pw := io.Pipe()
	c.Stdout, c.Stderr = pw, pw
	if err := c.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait(); pw.Close() }()
	var lines []Line
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fmt.Fprintln(w, sc.Text())
		if l, ok := ParseLine(sc.Text()); ok {
			lines = append(lines, l)
		}
	}
	return lines, <-done
}

// Machine describes this machine for the summary.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	pg := "PostgreSQL ?"
	if b, err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atqc", "SHOW server_version").Output(); err == nil {
		pg = "PostgreSQL " + strings.Fields(string(b))[0]
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load average " + strings.Fields(string(b))[0] + " at the end"
	}
	return fmt.Sprintf("%s, %d vCPU%s, %s, %s on the same machine, %s%s",
		cpu, runtime.NumCPU(), mem, pg, "Redis", runtime.Version(), load)
}
