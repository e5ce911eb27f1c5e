package platform

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Statements counts the SQL statements a request sends through ent (BEGIN
// and COMMIT included: they are round trips too). The api role reports it
// per request, in the log line and the scrm_sql_statements_per_request
// histogram, so a list whose statements grow with its page size (an N+1)
// shows up in production and in tests.
type Statements struct{ n atomic.Int64 }

// Load returns the number counted so far.
func (s *Statements) Load() int64 { return s.n.Load() }

type statementsKey struct{}

// CountStatements returns ctx in which statements sent through an ent client
// of NewEntClient are counted in the returned counter.
func CountStatements(ctx context.Context) (context.Context, *Statements) {
	s := &Statements{}
	return context.WithValue(ctx, statementsKey{}, s), s
}

func countStatement(ctx context.Context) {
	if s, ok := ctx.Value(statementsKey{}).(*Statements); ok {
		s.n.Add(1)
	}
}

// countingDriver counts statements per context; it costs a context lookup
// per statement. It also sends ent's counts as COUNT(*) (countAll), has
// rows build their column types once (cacheColumnTypes), and runs the
// queries of a context PrepareStatements marked as prepared statements.
type countingDriver struct {
	dialect.Driver
	prepared *preparedStatements // nil: nothing is prepared (PrepareStatements)
}

func (d countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	countStatement(ctx)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d countingDriver) Query(ctx context.Context, query string, args, v any) error {
	countStatement(ctx)
	if d.prepared != nil && preparing(ctx) {
		rows, rok := v.(*entsql.Rows)
		argv, aok := args.([]any)
		if rok && aok {
			if err := d.prepared.query(ctx, countAll(query), argv, rows); err != nil {
				return err
			}
			cacheColumnTypes(v)
			return nil
		}
	}
	if err := d.Driver.Query(ctx, countAll(query), args, v); err != nil {
		return err
	}
	cacheColumnTypes(v)
	return nil
}

func (d countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

// BeginTx is what ent's Client.BeginTx (and entgql's Transactioner) call.
func (d countingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	drv, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot begin transactions with options", d.Driver)
	}
	tx, err := drv.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	countStatement(ctx)
	return countingTx{Tx: tx, ctx: ctx}, nil
}

// countingTx counts the statements of a transaction, and its commit or
// rollback against the context that began it.
type countingTx struct {
	dialect.Tx
	ctx context.Context
}

func (t countingTx) Exec(ctx context.Context, query string, args, v any) error {
	countStatement(ctx)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t countingTx) Query(ctx context.Context, query string, args, v any) error {
	countStatement(ctx)
	if err := t.Tx.Query(ctx, countAll(query), args, v); err != nil {
		return err
	}
	cacheColumnTypes(v)
	return nil
}

func (t countingTx) Commit() error {
	countStatement(t.ctx)
	return t.Tx.Commit()
}

func (t countingTx) Rollback() error {
	countStatement(t.ctx)
	return t.Tx.Rollback()
}

// The raw ExecContext and QueryContext of ent's Client and Tx (sql/execquery
// feature) reach the driver and transaction through these.

type execQuerier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func rawExec(ctx context.Context, target any, query string, args []any) (sql.Result, error) {
	eq, ok := target.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("%T does not support ExecContext", target)
	}
	countStatement(ctx)
	return eq.ExecContext(ctx, query, args...)
}

func rawQuery(ctx context.Context, target any, query string, args []any) (*sql.Rows, error) {
	eq, ok := target.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("%T does not support QueryContext", target)
	}
	countStatement(ctx)
	return eq.QueryContext(ctx, query, args...)
}

// ExecContext counts and runs a raw statement.
func (d countingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return rawExec(ctx, d.Driver, query, args)
}

// QueryContext counts and runs a raw query.
func (d countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return rawQuery(ctx, d.Driver, query, args)
}

// ExecContext counts and runs a raw statement in the transaction.
func (t countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return rawExec(ctx, t.Tx, query, args)
}

// QueryContext counts and runs a raw query in the transaction.
func (t countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return rawQuery(ctx, t.Tx, query, args)
}
