package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/workspace"
)

// runSegment runs the segment subcommands:
//
//	scrm segment export --workspace acme --segment "高意向客户" [--out members.csv]
//
// export streams the segment's current members as CSV (to stdout unless
// --out is given) with a progress line on stderr.
func runSegment(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New(`usage: scrm segment export --workspace SLUG --segment NAME|ID [--out FILE.csv]`)
	}
	var slug, name, outPath string
	e, err := open(ctx, "segment export", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "workspace", "", "slug of the workspace")
		fs.StringVar(&name, "segment", "", "the segment's name or ID")
		fs.StringVar(&outPath, "out", "-", "CSV file to write (- for stdout)")
	})
	if err != nil {
		return err
	}
	defer e.close()
	if slug == "" || name == "" {
		return errors.New("usage: scrm segment export --workspace SLUG --segment NAME|ID [--out FILE.csv]")
	}
	svc, err := app.New(ctx, app.Config{Client: e.client, DB: e.db, Replica: e.replica, Log: e.log})
	if err != nil {
		return err
	}
	ws, err := workspace.BySlug(ctx, e.client, slug)
	if err != nil {
		return fmt.Errorf("workspace %q: %w", slug, err)
	}
	ctx = tenant.NewContext(ctx, ws.ID)
	where := segment.Name(name)
	if id, err := gid.Decode(name); err == nil {
		where = segment.Or(segment.ID(id), segment.Name(name))
	}
	seg, err := e.client.Segment.Query().Where(where).Only(ctx)
	if ent.IsNotFound(err) {
		return fmt.Errorf("workspace %q has no segment %q", slug, name)
	}
	if err != nil {
		return err
	}
	if seg.VersionID == nil {
		return fmt.Errorf("segment %q has not been computed yet (status %s)", seg.Name, seg.Status)
	}
	var w io.Writer = os.Stdout
	if outPath != "-" {
		f, err := os.Create(outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	start := time.Now()
	n, err := svc.Segments.Export(ctx, seg, w, func(done, total int) {
		fmt.Fprintf(os.Stderr, "\rexported %d/%d members", done, total)
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "segment %q: %d members computed %s, exported in %s\n", seg.Name, n,
		seg.ComputedAt.Format(time.RFC3339), time.Since(start).Round(time.Millisecond))
	return nil
}
