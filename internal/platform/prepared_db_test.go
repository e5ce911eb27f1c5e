package platform_test

import (
	"context"
	"fmt"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/testenv"
)

// TestPreparedStatements: a query whose context PrepareStatements marked
// runs as a statement prepared once on its connection and reused; one
// without the mark, or in a transaction, is sent as before; the cache keeps
// at most platform.PreparedCacheSize statements and closes the ones it drops (on the
// server too); and a statement whose result type a migration changed is
// prepared afresh instead of failing.
func TestPreparedStatements(t *testing.T) {
	d := testenv.NewDatabase(t)
	db := d.DB
	db.SetMaxOpenConns(1) // one connection: pg_prepared_statements is that session's
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE prep_probe (id int PRIMARY KEY, v int NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO prep_probe VALUES (1, 10), (2, 20)`); err != nil {
		t.Fatal(err)
	}
	drv, cached := platform.PreparingDriver(db)
	query := func(ctx context.Context, q string, args ...any) string {
		t.Helper()
		var rows entsql.Rows
		if err := drv.Query(ctx, q, args, &rows); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out string
		for rows.Next() {
			var v any
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprint(v) + ";"
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	onServer := func() int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%prep_probe%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const probe = `SELECT v FROM prep_probe WHERE id = $1`

	if got := query(ctx, probe, 1); got != "10;" || onServer() != 0 || cached() != 0 {
		t.Fatalf("unmarked: %q, %d prepared on the server, %d cached; want 10 and none", got, onServer(), cached())
	}
	marked := platform.PrepareStatements(ctx)
	for i, want := range []string{"10;", "20;", "10;"} {
		if got := query(marked, probe, 1+i%2); got != want {
			t.Fatalf("marked query %d = %q, want %q", i, got, want)
		}
	}
	if onServer() != 1 || cached() != 1 {
		t.Fatalf("three marked runs of one text: %d prepared on the server, %d cached; want 1 and 1", onServer(), cached())
	}
	tx, err := drv.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows entsql.Rows
	if err := tx.Query(marked, `SELECT v FROM prep_probe WHERE id = $1 AND v > 0`, []any{1}, &rows); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if cached() != 1 {
		t.Fatalf("a marked query in a transaction was cached (%d statements)", cached())
	}

	// More texts than the cache holds: the oldest are closed, here and on the server.
	for i := range platform.PreparedCacheSize + 5 {
		if got := query(marked, fmt.Sprintf(`SELECT v + %d FROM prep_probe WHERE id = $1`, i), 1); got != fmt.Sprint(10+i)+";" {
			t.Fatalf("text %d = %q", i, got)
		}
	}
	if cached() != platform.PreparedCacheSize || onServer() != platform.PreparedCacheSize {
		t.Fatalf("after %d texts: %d cached, %d prepared on the server; want %d each",
			platform.PreparedCacheSize+6, cached(), onServer(), platform.PreparedCacheSize)
	}

	// A migration changes the type of the column the statement returns.
	last := fmt.Sprintf(`SELECT v + %d FROM prep_probe WHERE id = $1`, platform.PreparedCacheSize+4)
	if _, err := db.ExecContext(ctx, `ALTER TABLE prep_probe ALTER COLUMN v TYPE bigint`); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got := query(marked, last, 2); got != fmt.Sprint(20+platform.PreparedCacheSize+4)+";" {
			t.Fatalf("after the column's type changed: %q", got)
		}
	}
}
