// Command migrategen writes a new versioned migration (Atlas format) for the
// difference between ent/schema and ent/migrate/migrations, using a scratch
// database as Atlas's dev database. Run it through `make migration name=...`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/scrmhq/scrm/ent/migrate"
	"github.com/scrmhq/scrm/internal/migrationgen"
)

func main() {
	dirPath := flag.String("dir", "ent/migrate/migrations", "migration directory")
	name := flag.String("name", "", "name of the new migration")
	rehash := flag.Bool("rehash", false, "only recompute atlas.sum after editing or adding a hand-written migration")
	flag.Parse()
	if *rehash {
		dir, err := atlas.NewLocalDir(*dirPath)
		if err != nil {
			log.Fatal(err)
		}
		sum, err := dir.Checksum()
		if err != nil {
			log.Fatal(err)
		}
		if err := atlas.WriteSumFile(dir, sum); err != nil {
			log.Fatal(err)
		}
		fmt.Println("rewrote", *dirPath+"/atlas.sum")
		return
	}
	if *name == "" {
		log.Fatal("usage: migrategen -name <name>")
	}
	ctx := context.Background()
	dev, drop, err := migrationgen.ScratchDatabase(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer drop()
	dir, err := atlas.NewLocalDir(*dirPath)
	if err != nil {
		log.Fatal(err)
	}
	opts := []schema.MigrateOption{
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialect.Postgres),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
	}
	opts = append(opts, migrationgen.Options()...)
	if err := migrate.NamedDiff(ctx, dev, *name, opts...); err != nil {
		log.Fatalf("diff: %v", err)
	}
	fmt.Println("migrations in", *dirPath, "are up to date with ent/schema")
}
