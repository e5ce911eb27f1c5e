package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/scrmhq/scrm/bench/dataset"
)

// runBench is `scrm bench seed`: it generates a benchmark workspace (the
// data set of `make bench` and of load tests against a running server).
func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "seed" {
		return errors.New(`usage: scrm bench seed [--workspace bench] [--leads 1000000] [--events 10000000] [--fields 50] [--tags 200] [--reps 100] [--seed 1]`)
	}
	spec := dataset.Default()
	e, err := open(ctx, "bench seed", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Slug, "workspace", spec.Slug, "slug of the workspace to create (it must not exist)")
		fs.IntVar(&spec.Leads, "leads", spec.Leads, "leads to generate")
		fs.IntVar(&spec.Events, "events", spec.Events, "behaviour events to generate, over the last 60 days")
		fs.IntVar(&spec.Fields, "fields", spec.Fields, "custom fields (1 to 50), each with a value on every lead")
		fs.IntVar(&spec.Tags, "tags", spec.Tags, "tags; 0 to 3 of them on every lead, and \"hot\" on 30%")
		fs.IntVar(&spec.Reps, "reps", spec.Reps, "sales reps owning 60% of the leads")
		fs.IntVar(&spec.Seed, "seed", spec.Seed, "seed: the same seed and sizes give the same data")
		fs.StringVar(&spec.Password, "password", spec.Password, "password of the workspace admin and the reps")
	})
	if err != nil {
		return err
	}
	defer e.close()
	start := time.Now()
	d, err := dataset.Generate(ctx, e.db, e.client, spec, func(format string, args ...any) {
		fmt.Printf("  %s  "+format+"\n", append([]any{time.Since(start).Round(time.Second)}, args...)...)
	})
	if err != nil {
		return err
	}
	fmt.Printf("workspace %q: %d leads, %d events, %d custom fields, %d tags, %d reps in %v\n  admin: %s / %s\n",
		spec.Slug, spec.Leads, spec.Events, len(d.Fields), len(d.Tags), len(d.Reps), time.Since(start).Round(time.Second),
		d.Workspace.Admin.Email, spec.Password)
	return nil
}
