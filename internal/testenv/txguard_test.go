package testenv_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/scrmhq/scrm/internal/testenv"
)

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Error(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprint(args...))
}

func (r *recorder) reported() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

func TestTxGuard(t *testing.T) {
	db := testenv.NewDatabase(t)
	rec := &recorder{TB: t}
	g := testenv.GuardTx(rec, db)
	bg := context.Background()

	ctx, tx := g.Begin(bg)
	if _, err := tx.Client().ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatalf("a statement in the transaction: %v", err)
	}
	_, err := g.Client.ExecContext(ctx, `SELECT  2`)
	if err == nil || !strings.Contains(rec.reported(), "statement outside the transaction: SELECT 2") {
		t.Fatalf("a statement on another connection: err %v, reported %q", err, rec.reported())
	}
	rec.errs = nil
	if _, err := g.Client.Tx(ctx); err == nil || !strings.Contains(rec.reported(), "statement outside the transaction: BEGIN") {
		t.Fatalf("a second transaction: err %v, reported %q", err, rec.reported())
	}
	rec.errs = nil
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Client.ExecContext(bg, `SELECT 3`); err != nil || rec.reported() != "" {
		t.Fatalf("a statement after the transaction ended: err %v, reported %q", err, rec.reported())
	}

	own, err := g.Client.Tx(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = own.Rollback() }()
	if _, err := own.Client().ExecContext(bg, `SELECT 4`); err == nil ||
		!strings.Contains(rec.reported(), "statement in a transaction from a context that does not carry it: SELECT 4") {
		t.Fatalf("a statement in a transaction from a bare context: err %v, reported %q", err, rec.reported())
	}
}
