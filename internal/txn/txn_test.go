package txn_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/txn"
)

var errLost = errors.New("lost a race")

func lost(err error) bool { return errors.Is(err, errLost) }

func count(t *testing.T, ctx context.Context, c *ent.Client) int {
	t.Helper()
	rows, err := c.QueryContext(ctx, `SELECT count(*) FROM retry_probe`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// fn gets a context carrying the transaction it runs in, both ways code
// looks for one.
func TestRetryHandsFnTheTransactionInItsContext(t *testing.T) {
	db := testenv.NewDatabase(t)
	ctx := context.Background()
	if _, err := db.Client.ExecContext(ctx, `CREATE TABLE retry_probe (n int)`); err != nil {
		t.Fatal(err)
	}
	err := txn.Retry(ctx, db.Client, 3, lost, func(ctx context.Context, c *ent.Client) error {
		cc := ent.FromContext(ctx)
		if ent.TxFromContext(ctx) == nil || cc == nil {
			return fmt.Errorf("fn's context carries the transaction: TxFromContext %t, FromContext %t", ent.TxFromContext(ctx) != nil, cc != nil)
		}
		_, err := cc.ExecContext(ctx, `INSERT INTO retry_probe VALUES (1)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, ctx, db.Client); n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
}

// In a caller's transaction each attempt runs under a savepoint: a lost race
// is retried there, the failed attempt's writes are undone, and a failure
// leaves the caller's transaction usable and without fn's writes.
func TestRetryJoinsACallersTransaction(t *testing.T) {
	db := testenv.NewDatabase(t)
	g := testenv.GuardTx(t, db)
	if _, err := db.Client.ExecContext(context.Background(), `CREATE TABLE retry_probe (n int)`); err != nil {
		t.Fatal(err)
	}
	ctx, tx := g.Begin(context.Background())
	defer func() { _ = tx.Rollback() }()
	c := txn.Client(ctx, g.Client)
	attempts := 0
	err := txn.Retry(ctx, c, 3, lost, func(ctx context.Context, c *ent.Client) error {
		attempts++
		if _, err := c.ExecContext(ctx, `INSERT INTO retry_probe VALUES ($1)`, attempts); err != nil {
			return err
		}
		if attempts == 1 {
			return errLost
		}
		return nil
	})
	if err != nil || attempts != 2 {
		t.Fatalf("Retry in a caller's transaction: %v after %d attempts, want success after 2", err, attempts)
	}
	if n := count(t, ctx, c); n != 1 {
		t.Fatalf("rows = %d, want only the second attempt's", n)
	}

	err = txn.Retry(ctx, c, 3, lost, func(ctx context.Context, c *ent.Client) error {
		if _, err := c.ExecContext(ctx, `INSERT INTO retry_probe VALUES (9)`); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, `SELECT 1/0`)
		return err
	})
	if err == nil {
		t.Fatal("a failing fn succeeded")
	}
	if n := count(t, ctx, c); n != 1 {
		t.Fatalf("after a failed fn: rows = %d, want 1", n)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit the caller's transaction: %v", err)
	}
	if n := count(t, context.Background(), db.Client); n != 1 {
		t.Fatalf("committed rows = %d, want 1", n)
	}
}
