package platform_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/scrmhq/scrm/ent/migrate"
	"github.com/scrmhq/scrm/internal/migrationgen"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/testenv"
)

// TestMigrationsMatchSchema fails when ent/schema changed without a new
// migration: it replays the committed migrations on a scratch database and
// asks Atlas for the difference to the schema, which must be empty.
func TestMigrationsMatchSchema(t *testing.T) {
	ctx := context.Background()
	dev, drop, err := migrationgen.ScratchDatabase(ctx, testenv.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	tmp := t.TempDir()
	src := filepath.Join("..", "..", "ent", "migrate", "migrations")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := atlas.NewLocalDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]schema.MigrateOption{schema.WithDir(dir), schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialect.Postgres), schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropIndex(true), schema.WithDropColumn(true)}, migrationgen.Options()...)
	err = migrate.NamedDiff(ctx, dev, "drift", opts...)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadDir(tmp)
	if len(after) != len(entries) {
		for _, e := range after {
			if filepath.Ext(e.Name()) == ".sql" {
				if _, err := os.Stat(filepath.Join(src, e.Name())); os.IsNotExist(err) {
					b, _ := os.ReadFile(filepath.Join(tmp, e.Name()))
					t.Errorf("ent/schema and the migrations drifted; run `make migration name=...`. Missing:\n%s", b)
				}
			}
		}
	}
}

// TestMigrateConcurrentlyAndTwice starts several migrators at once on an empty
// database (as several servers starting together would) and then once more.
func TestMigrateConcurrentlyAndTwice(t *testing.T) {
	ctx := context.Background()
	dev, drop, err := migrationgen.ScratchDatabase(ctx, testenv.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	db, err := platform.OpenDB(ctx, dev)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, err := platform.MigrationDir()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := dir.Files()
	var wg sync.WaitGroup
	applied := make([][]string, 4)
	errs := make([]error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = platform.Migrate(ctx, db, nil)
		}()
	}
	wg.Wait()
	total := 0
	for i := range 4 {
		if errs[i] != nil {
			t.Fatalf("migrator %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != len(files) {
		t.Fatalf("applied %d migrations in all, want each of %d exactly once", total, len(files))
	}
	again, err := platform.Migrate(ctx, db, nil)
	if err != nil || len(again) != 0 {
		t.Fatalf("second run applied %v, err %v; want nothing", again, err)
	}
}
