package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/platform"
)

// TxGuard is a client of a test database that fails the test when code
// leaves the transaction it was given. Build the service under test with
// Client (and nothing else of the guard's), start it with a context from
// Begin, and:
//
//   - while that transaction is open, a statement through Client itself
//     (another connection) or a second BEGIN fails the test with
//     "statement outside the transaction: <SQL>", and the code gets that
//     error instead of running it;
//   - a statement inside any transaction of Client whose context carries no
//     transaction (ent.TxFromContext, ent.FromContext) fails the test with
//     "statement in a transaction from a context that does not carry it:
//     <SQL>": code below it that finds the transaction in its context would
//     run outside it.
type TxGuard struct {
	Client *ent.Client

	t    testing.TB
	mu   sync.Mutex
	open bool // Begin's transaction is open
}

// GuardTx returns a guard over d's pool. Its client shares d.DB and is not
// closed separately.
func GuardTx(t testing.TB, d *Database) *TxGuard {
	t.Helper()
	g := &TxGuard{t: t}
	g.Client = platform.NewEntClientWrapping(d.DB, func(drv dialect.Driver) dialect.Driver {
		return guardDriver{Driver: drv, g: g}
	})
	return g
}

// Begin opens the transaction the code under test must stay in and returns
// ctx carrying it the way entgql's Transactioner does. The guard watches
// until the transaction commits or rolls back.
func (g *TxGuard) Begin(ctx context.Context) (context.Context, *ent.Tx) {
	g.t.Helper()
	tx, err := g.Client.Tx(ctx)
	if err != nil {
		g.t.Fatalf("testenv: begin guarded transaction: %v", err)
	}
	g.set(true)
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			g.set(false)
			return next.Commit(ctx, tx)
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			g.set(false)
			return next.Rollback(ctx, tx)
		})
	})
	return ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client()), tx
}

func (g *TxGuard) set(open bool) {
	g.mu.Lock()
	g.open = open
	g.mu.Unlock()
}

// outside reports a statement on the pool while Begin's transaction is open.
func (g *TxGuard) outside(query string) error {
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	if !open {
		return nil
	}
	err := fmt.Errorf("testenv: statement outside the transaction: %s", shortSQL(query))
	g.t.Error(err)
	return err
}

// carried reports a statement in a transaction from a context without one.
func (g *TxGuard) carried(ctx context.Context, query string) error {
	if ent.TxFromContext(ctx) != nil || ent.FromContext(ctx) != nil {
		return nil
	}
	err := fmt.Errorf("testenv: statement in a transaction from a context that does not carry it: %s", shortSQL(query))
	g.t.Error(err)
	return err
}

func shortSQL(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 200 {
		q = q[:200] + "…"
	}
	return q
}

type execQuerier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// guardDriver checks the statements sent on the pool.
type guardDriver struct {
	dialect.Driver
	g *TxGuard
}

func (d guardDriver) Exec(ctx context.Context, query string, args, v any) error {
	if err := d.g.outside(query); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, query, args, v)
}

func (d guardDriver) Query(ctx context.Context, query string, args, v any) error {
	if err := d.g.outside(query); err != nil {
		return err
	}
	return d.Driver.Query(ctx, query, args, v)
}

func (d guardDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := d.g.outside(query); err != nil {
		return nil, err
	}
	return d.Driver.(execQuerier).ExecContext(ctx, query, args...)
}

func (d guardDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := d.g.outside(query); err != nil {
		return nil, err
	}
	return d.Driver.(execQuerier).QueryContext(ctx, query, args...)
}

func (d guardDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

func (d guardDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	if err := d.g.outside("BEGIN"); err != nil {
		return nil, err
	}
	tx, err := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	}).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return guardTx{Tx: tx, g: d.g}, nil
}

// guardTx checks the statements sent in a transaction.
type guardTx struct {
	dialect.Tx
	g *TxGuard
}

func (t guardTx) Exec(ctx context.Context, query string, args, v any) error {
	if err := t.g.carried(ctx, query); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, query, args, v)
}

func (t guardTx) Query(ctx context.Context, query string, args, v any) error {
	if err := t.g.carried(ctx, query); err != nil {
		return err
	}
	return t.Tx.Query(ctx, query, args, v)
}

func (t guardTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.g.carried(ctx, query); err != nil {
		return nil, err
	}
	return t.Tx.(execQuerier).ExecContext(ctx, query, args...)
}

func (t guardTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.g.carried(ctx, query); err != nil {
		return nil, err
	}
	return t.Tx.(execQuerier).QueryContext(ctx, query, args...)
}
