// Package migrationgen supports generating and checking versioned migrations:
// Atlas needs an empty "dev" database to replay the directory on.
package migrationgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"

	"database/sql"

	"github.com/lib/pq"
)

// defaultURL is the local server `make` targets use.
const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ScratchDatabase creates an empty database on the server of baseURL (the
// local default when empty) and returns its URL and a function that drops it.
func ScratchDatabase(ctx context.Context, baseURL string) (string, func(), error) {
	if baseURL == "" {
		baseURL = defaultURL
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", nil, err
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sql.Open("postgres", admin.String())
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "scrm_scratch_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create scratch database: %w", err)
	}
	dev := *u
	dev.Path = "/" + name
	q := dev.Query()
	q.Set("search_path", "public")
	dev.RawQuery = q.Encode()
	drop := func() {
		_, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
		db.Close()
	}
	return dev.String(), drop, nil
}
