package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/demo"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/workspace"
	"github.com/scrmhq/scrm/jobs"
)

// env is what every command opens: config, logger and the database.
type env struct {
	cfg    platform.Config
	log    *slog.Logger
	db     *sql.DB
	client *ent.Client
	// replica is the read replica's client, nil without DATABASE_REPLICA_URL.
	replica *ent.Client
}

func (e *env) close() {
	if e.client != nil {
		_ = e.client.Close()
	}
	if e.replica != nil {
		_ = e.replica.Close()
	}
}

// open parses the common flags (plus the command's own, added by extra),
// creates the database if missing, connects and migrates.
func open(ctx context.Context, name string, args []string, extra func(*flag.FlagSet)) (*env, error) {
	e := &env{}
	fs := flag.NewFlagSet("scrm "+name, flag.ContinueOnError)
	e.cfg.RegisterFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := e.cfg.Validate(); err != nil {
		return nil, err
	}
	e.log = platform.NewLogger(os.Stderr, e.cfg.LogLevel, e.cfg.LogFormat)
	slog.SetDefault(e.log)
	if err := platform.EnsureDatabase(ctx, e.cfg.DatabaseURL); err != nil {
		return nil, err
	}
	db, err := platform.OpenDB(ctx, e.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	e.db = db
	e.client = platform.NewEntClient(db)
	if _, err := platform.Migrate(ctx, db, e.log); err != nil {
		e.close()
		return nil, err
	}
	// Event partitions for this month and the next ones; a scheduler job
	// keeps them ahead while the server runs.
	if _, err := events.EnsurePartitions(ctx, db, time.Now(), jobs.EventPartitionsAhead); err != nil {
		e.close()
		return nil, err
	}
	if e.cfg.ReplicaURL != "" {
		// A replica replays the primary's migrations; it is only read.
		rdb, err := platform.OpenDB(ctx, e.cfg.ReplicaURL)
		if err != nil {
			e.close()
			return nil, fmt.Errorf("replica: %w", err)
		}
		e.replica = platform.NewEntClient(rdb)
	}
	return e, nil
}

func runMigrate(ctx context.Context, args []string) error {
	e, err := open(ctx, "migrate", args, nil)
	if err != nil {
		return err
	}
	defer e.close()
	fmt.Println("database is up to date")
	return nil
}

func runWorkspace(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: scrm workspace create --slug S --name N --admin-email E --admin-password P")
	}
	var spec workspace.Spec
	e, err := open(ctx, "workspace create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Slug, "slug", "", "workspace slug (used at login)")
		fs.StringVar(&spec.Name, "name", "", "workspace display name")
		fs.StringVar(&spec.AdminName, "admin-name", "Admin", "first admin's name")
		fs.StringVar(&spec.AdminEmail, "admin-email", "", "first admin's email")
		fs.StringVar(&spec.AdminPassword, "admin-password", "", "first admin's password (8-72 bytes)")
		fs.StringVar(&spec.Timezone, "timezone", "Asia/Shanghai", "IANA time zone")
		fs.StringVar(&spec.DefaultRegion, "region", "CN", "default phone region")
	})
	if err != nil {
		return err
	}
	defer e.close()
	out, err := workspace.Create(ctx, e.client, spec)
	if err != nil {
		return err
	}
	fmt.Printf("workspace %q created (id %s); admin %s\n", out.Workspace.Slug, out.Workspace.ID, out.Admin.Email)
	return nil
}

func runDemo(ctx context.Context, args []string) error {
	var leads int
	var seed uint64
	e, err := open(ctx, "demo", args, func(fs *flag.FlagSet) {
		fs.IntVar(&leads, "leads", 2000, "how many demo leads to generate")
		fs.Uint64Var(&seed, "seed", 1, "random seed of the demo data")
	})
	if err != nil {
		return err
	}
	defer e.close()
	res, err := demo.Ensure(ctx, e.client, leads, seed)
	if err != nil {
		return err
	}
	if res.Created {
		fmt.Printf("demo workspace created with %d leads\n", res.Leads)
	} else {
		fmt.Println("demo workspace already exists")
	}
	printDemoLogin(e.cfg.Addr)
	return nil
}

func printDemoLogin(addr string) {
	fmt.Printf(`
  Demo login (workspace / email / password):
    %s / %s / %s
  Other users (rep1..rep4, manager, analyst, partner @demo.scrm.dev) use password %s
  Web app: %[5]s/   GraphQL: %[5]s/graphql   GraphiQL: %[5]s/graphiql

`, demo.Slug, demo.AdminEmail, demo.AdminPassword, demo.UserPassword, baseURL(addr))
}

// baseURL is where a browser on this machine reaches a server listening on
// addr (":8080" or "0.0.0.0:8080" → http://localhost:8080, "127.0.0.1:9000"
// → http://127.0.0.1:9000).
func baseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
