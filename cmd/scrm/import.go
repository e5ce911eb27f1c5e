package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/importer"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
)

// runImport streams a CSV file of leads into a workspace:
//
//	scrm import leads.csv --workspace acme --map mapping.yaml
//
// It prints progress to stderr, a summary at the end, and writes rejected
// rows to <file>.rejects.csv. Interrupted (Ctrl-C, a crash), it resumes
// where it stopped when run again; batches are idempotent, so nothing is
// written twice.
func runImport(ctx context.Context, args []string) error {
	var path string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		path, args = args[0], args[1:]
	}
	var slug, mapPath, rejects string
	var batch, concurrency int
	var restart bool
	e, err := open(ctx, "import", args, func(fs *flag.FlagSet) {
		fs.StringVar(&path, "file", path, "CSV file to import (or give it as the first argument)")
		fs.StringVar(&slug, "workspace", "", "slug of the workspace to import into")
		fs.StringVar(&mapPath, "map", "", "mapping file (YAML): CSV column -> lead field")
		fs.StringVar(&rejects, "rejects", "", "where to write rejected rows (default <file>.rejects.csv)")
		fs.IntVar(&batch, "batch", importer.FileBatchSize, fmt.Sprintf("rows per batch (at most %d)", leads.MaxFileRows))
		fs.IntVar(&concurrency, "concurrency", importer.DefaultConcurrency, "rows of this many full batches in flight at once (more, smaller batches while the first ones ramp up)")
		fs.BoolVar(&restart, "restart", false, "ignore a saved resume point and start from the top")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if path == "" || slug == "" || mapPath == "" {
		return errors.New("usage: scrm import FILE.csv --workspace SLUG --map MAPPING.yaml")
	}
	mapping, err := importer.LoadMapping(mapPath)
	if err != nil {
		return err
	}
	ws, err := workspace.BySlug(ctx, e.client, slug)
	if err != nil {
		return fmt.Errorf("workspace %q: %w", slug, err)
	}
	// The background work of each batch (assignment, scoring) is written to
	// the outbox with it; the relays of the running api and worker processes
	// hand it to Asynq, so this command needs no Redis.
	svc, err := app.New(ctx, app.Config{Client: e.client, DB: e.db, Replica: e.replica,
		Queue: jobs.Queue{Outbox: jobs.NewOutbox(e.client, nil)}, Log: e.log})
	if err != nil {
		return err
	}
	wctx := tenant.NewContext(ctx, ws.ID)
	sum, err := importer.Run(wctx, importer.Options{
		Path: path, Mapping: mapping, BatchSize: batch, FirstBatchSize: min(batch, importer.FileFirstBatchSize), Concurrency: concurrency,
		Progress: os.Stderr, RejectsPath: rejects, Restart: restart,
	}, func(ctx context.Context, b leads.Batch) (*leads.Result, error) {
		return svc.Ingester.IngestFile(ctx, b)
	})
	if sum != nil {
		fmt.Printf("rows %d: created %d, merged %d, rejected %d in %s\n", sum.Rows, sum.Created, sum.Merged, sum.Rejected, sum.Elapsed.Round(1e6))
	}
	if err != nil {
		return fmt.Errorf("import stopped (run the same command again to resume): %w", err)
	}
	return nil
}
