// Command scrm is the SCRM lead backend: one binary whose subcommands run the
// api, worker and scheduler roles and the operator tasks.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // workspace time zones resolve on hosts without zoneinfo
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `scrm — multi-tenant SCRM lead-management backend

Usage:
  scrm serve [--roles api,worker,scheduler] [flags]   run the server (all roles by default)
  scrm migrate [flags]                                apply pending database migrations
  scrm workspace create --slug S --name N --admin-email E --admin-password P
  scrm demo [--leads N]                               create the demo workspace if absent
  scrm import FILE.csv --workspace S --map M.yaml     import leads from CSV (resumable)
  scrm segment export --workspace S --segment NAME    write a segment's members as CSV
  scrm bench seed [--leads N --events M --fields F]   generate a benchmark workspace (set-based)
  scrm version                                        print the version

Every command takes --database-url, --redis-url, --secret, --addr (or the
environment variables DATABASE_URL, REDIS_URL, SCRM_SECRET, SCRM_ADDR).
Run "scrm <command> -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = runServe(ctx, args)
	case "migrate":
		err = runMigrate(ctx, args)
	case "workspace":
		err = runWorkspace(ctx, args)
	case "demo":
		err = runDemo(ctx, args)
	case "import":
		err = runImport(ctx, args)
	case "segment":
		err = runSegment(ctx, args)
	case "bench":
		err = runBench(ctx, args)
	case "version", "--version", "-v":
		fmt.Println("scrm", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "scrm: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scrm:", err)
		os.Exit(1)
	}
}
