package importer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/scrmhq/scrm/internal/importer"
	"github.com/scrmhq/scrm/internal/leads"
)

func ExampleRun() {
	dir, err := os.MkdirTemp("", "import")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	path := filepath.Join(dir, "leads.csv")
	csv := "手机号,姓名,标签\n13800000000,张三,vip|expo\n13800000001,李四,\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		panic(err)
	}
	m, err := importer.ParseMapping([]byte("source: expo-2026\ncolumns:\n  手机号: phone\n  姓名: name\n  标签: tags\n"))
	if err != nil {
		panic(err)
	}
	// A sink that creates every row; the real one calls the ingest service.
	sink := func(_ context.Context, b leads.Batch) (*leads.Result, error) {
		res := &leads.Result{Created: len(b.Rows)}
		for i, r := range b.Rows {
			fmt.Printf("%s %s %s %v\n", b.Source, r.Phone, r.Name, r.Tags)
			res.Rows = append(res.Rows, leads.RowResult{Index: i, Status: leads.StatusCreated})
		}
		return res, nil
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	sum, err := importer.Run(context.Background(), importer.Options{Path: path, Mapping: m, Progress: os.Stdout, Now: now}, sink)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d rows, %d created, %d batch\n", sum.Rows, sum.Created, sum.Batches)
	// Output:
	// expo-2026 13800000000 张三 [vip expo]
	// expo-2026 13800000001 李四 []
	// imported 2 rows (100.0%) created 2 merged 0 rejected 0 — 2 rows/s, ETA 0:00
	// done: imported 2 rows created 2 merged 0 rejected 0 in 2s (1 rows/s)
	// 2 rows, 2 created, 1 batch
}
