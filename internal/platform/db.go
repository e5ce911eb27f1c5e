package platform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/scope"

	// The runtime registers the schema hooks, interceptors and policies.
	_ "github.com/scrmhq/scrm/ent/runtime"
)

// OpenDB opens the Postgres pool behind databaseURL and checks that it answers.
func OpenDB(ctx context.Context, databaseURL string) (*sql.DB, error) {
	db, err := sql.Open("postgres", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// NewEntClient wraps db in an ent client with the lead row filter installed
// and statements counted per context (CountStatements).
func NewEntClient(db *sql.DB) *ent.Client {
	return NewEntClientWrapping(db, nil)
}

// NewEntClientWrapping is NewEntClient with wrap (when not nil) around the
// SQL driver, so a test can watch which connection each statement takes
// (testenv.GuardTx).
func NewEntClientWrapping(db *sql.DB, wrap func(dialect.Driver) dialect.Driver) *ent.Client {
	var drv dialect.Driver = entsql.OpenDB("postgres", db)
	var prepared *preparedStatements
	if wrap != nil {
		drv = wrap(drv) // a wrapped driver sees every statement: none prepared past it
	} else {
		prepared = newPreparedStatements(db)
	}
	c := ent.NewClient(ent.Driver(countingDriver{Driver: drv, prepared: prepared}))
	scope.Install(c)
	pipeline.Install(c)
	return c
}

// EnsureDatabase creates the database named in databaseURL if it does not
// exist yet, connecting to the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return errors.New("DATABASE_URL names no database")
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := OpenDB(ctx, admin.String())
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	// CREATE DATABASE takes no parameters; the name is quoted as an identifier.
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // created concurrently
			return nil
		}
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}
