package fields_test

import (
	"context"
	"crypto/rand"
	dsql "database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

// serverURL is the PostgreSQL server the SQL tests use; TEST_DATABASE_URL
// overrides it, as in internal/testenv.
func serverURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// leadRows are attributes as they may really be stored: canonical values,
// empties in every spelling, and data of the wrong shape left by definition
// changes or older code (row 4, row 7). Filters must never fail on them.
var leadRows = []string{
	1: `{"n": 9, "amt": 9.99, "d": "2025-01-09", "dt": "2025-01-09T10:00:00Z", "b": true, "s": "red", "ms": ["red", "green"],
	     "t": "Hello World", "e": "zhang@example.com", "p": "+8613800138000", "u": "https://example.com/a"}`,
	2: `{"n": 10, "amt": 10, "d": "2025-01-10", "dt": "2025-01-10T09:00:00Z", "b": false, "s": "green", "ms": ["green", "blue"],
	     "t": "50% off_sale", "e": "li@corp.cn", "p": "+16502530000"}`,
	3: `{"n": 100, "amt": 100.5, "d": "2024-12-31", "dt": "2024-12-31T23:59:59Z", "s": "blue", "ms": [], "t": ""}`,
	4: `{"n": "abc", "amt": "12", "d": "2025-02-30", "dt": "2025-01-10T17:00:00+08:00", "b": "yes", "s": 5, "ms": "red",
	     "t": 42, "e": null, "p": ["+8613800138000"]}`,
	5: `{"n": null, "amt": null, "d": null, "dt": null, "b": null, "s": null, "ms": null, "t": null}`,
	6: `{}`,
	7: `{"n": -1.5, "amt": -0.01, "d": "2025-1-10", "dt": "2025-01-10T09:00:00Z", "b": true, "s": "red", "ms": ["blue"],
	     "t": "hello world", "p": "+8613912345678"}`,
	8: `{"n": 10.0, "t": "O'Brien \\ back"}`,
	9: `{"t": "500 items", "ms": {"red": true}, "s": ["red"]}`,
}

// newLeadsDB creates a database of its own (dropped when tb ends) holding
// leads(id, attributes) filled with leadRows.
func newLeadsDB(tb testing.TB) *dsql.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := dsql.Open("postgres", serverURL())
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		tb.Fatalf("PostgreSQL is required (run `make services`): %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "fields_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		admin.Close()
		tb.Fatalf("create database: %v", err)
	}
	u, err := url.Parse(serverURL())
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	db, err := dsql.Open("postgres", u.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
		admin.Close()
	})
	if _, err := db.ExecContext(ctx, `CREATE TABLE leads (id serial PRIMARY KEY, attributes jsonb NOT NULL DEFAULT '{}')`); err != nil {
		tb.Fatal(err)
	}
	for id := 1; id < len(leadRows); id++ {
		if _, err := db.ExecContext(ctx, `INSERT INTO leads (id, attributes) VALUES ($1, $2::jsonb)`, id, leadRows[id]); err != nil {
			tb.Fatalf("row %d: %v", id, err)
		}
	}
	return db
}

// selectIDs runs SELECT id FROM leads with the given predicates and orders
// (ordered by id when none is given) and returns the ids in order.
func selectIDs(tb testing.TB, db *dsql.DB, preds []func(*sql.Selector), orders ...func(*sql.Selector)) ([]int, error) {
	tb.Helper()
	s := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("leads"))
	for _, p := range preds {
		p(s)
	}
	for _, o := range orders {
		o(s)
	}
	s.OrderBy("id")
	query, args := s.Query()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, &queryError{err: err, query: query, args: args}
	}
	defer rows.Close()
	ids := []int{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// queryError shows the failing SQL, which is the point of these tests.
type queryError struct {
	err   error
	query string
	args  []any
}

func (e *queryError) Error() string {
	return e.err.Error() + "\nquery: " + e.query
}
