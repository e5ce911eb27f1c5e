// Package txn holds what services that write raw, set-based SQL share:
// running in the caller's transaction or their own, binding the workspace
// explicitly, per-workspace advisory locks, array parameters and retrying a
// transaction that lost a race.
package txn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/tenant"
)

// WithTx runs fn in a transaction. A caller that already holds one keeps it
// (its rollback then undoes fn's writes); otherwise fn gets its own, so
// several statements land together or not at all.
func WithTx(ctx context.Context, c *ent.Client, fn func(c *ent.Client) error) error {
	tx, err := c.Tx(ctx)
	if errors.Is(err, ent.ErrTxStarted) {
		return fn(c)
	}
	if err != nil {
		return err
	}
	if err := fn(tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return tx.Commit()
}

// WithTxEntity is WithTx for fn that returns an entity. When the transaction
// was WithTxEntity's own, the entity is unwrapped from it after the commit,
// so the caller can go on using it (its edges, its updates) like one read
// outside a transaction.
func WithTxEntity[T interface{ Unwrap() T }](ctx context.Context, c *ent.Client, fn func(c *ent.Client) (T, error)) (T, error) {
	var out T
	own := false
	err := WithTx(ctx, c, func(tc *ent.Client) error {
		own = tc != c
		var err error
		out, err = fn(tc)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	if own {
		out = out.Unwrap()
	}
	return out, nil
}

// Root is what a service keeps of the process: the root client and the
// clock. Embedded in a service (struct{ txn.Root }), its DB(ctx) is the
// client of the transaction ctx carries, else the root, so the service never
// takes a client from its callers; Now is the clock app.New gives it.
type Root struct {
	client *ent.Client
	now    func() time.Time
}

// NewRoot returns the Root over the root client c, on the system clock.
func NewRoot(c *ent.Client) Root { return Root{client: c} }

// WithClock returns r on the clock now (nil: the system clock).
func (r Root) WithClock(now func() time.Time) Root {
	r.now = now
	return r
}

// Now is the service's time.
func (r Root) Now() time.Time {
	if r.now == nil {
		return time.Now()
	}
	return r.now()
}

// DB is the client of the transaction ctx carries, else the root client.
func (r Root) DB(ctx context.Context) *ent.Client { return Client(ctx, r.client) }

// Row is the one row of QueryRow, like *sql.Row: ent's client has no
// QueryRow.
type Row struct {
	rows *sql.Rows
	err  error
}

// QueryRow runs a statement that returns at most one row, on c (the
// transaction's client when there is one).
func QueryRow(ctx context.Context, c *ent.Client, query string, args ...any) Row {
	rows, err := c.QueryContext(ctx, query, args...)
	return Row{rows: rows, err: err}
}

// Scan reads the row into dest; sql.ErrNoRows when there is none.
func (r Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// QueryUUIDs runs a statement whose rows are one id each, on c (the
// transaction's client when there is one), and returns the ids.
func QueryUUIDs(ctx context.Context, c *ent.Client, query string, args ...any) ([]uuid.UUID, error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Tenant returns the workspace of ctx for raw SQL, which ent's tenancy
// interceptors cannot reach: every such statement binds it explicitly.
func Tenant(ctx context.Context) (uuid.UUID, error) {
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return uuid.Nil, tenant.ErrMissing
	}
	return tid, nil
}

// LockWorkspace takes the transaction-scoped advisory lock (class, workspace),
// serialising one kind of check-then-write per workspace.
func LockWorkspace(ctx context.Context, c *ent.Client, class int32) error {
	tid, err := Tenant(ctx)
	if err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))`, class, tid.String()); err != nil {
		return fmt.Errorf("lock workspace: %w", err)
	}
	return nil
}

// UUIDArray binds ids as one uuid[] parameter (cast in SQL), so a statement
// has the same shape for one id or ten thousand.
func UUIDArray(ids []uuid.UUID) any {
	s := make(pq.StringArray, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return s
}

// LostRace reports whether err is a serialization failure or a deadlock:
// the transaction lost a race with another one and a fresh attempt resolves
// it.
func LostRace(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// AfterCommit runs f once tx commits, and never when it rolls back; at
// once when tx is nil. For what only follows a commit and need not survive
// a crash (a cache's change token, a live announcement); work that must
// happen goes to the outbox in the transaction instead.
func AfterCommit(tx *ent.Tx, f func()) {
	if tx == nil {
		f()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				f()
			}
			return err
		})
	})
}

// Client returns the client of the transaction ctx carries (entgql's
// Transactioner and Retry put it there), else c: a service started inside a
// transaction stays in it.
func Client(ctx context.Context, c *ent.Client) *ent.Client {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	if cc := ent.FromContext(ctx); cc != nil {
		return cc
	}
	return c
}

// Retry runs fn in a new transaction of c and, while retry says the attempt
// lost a race, again in a fresh one after a short random pause, at most
// attempts times. fn gets the transaction's client and a context carrying
// it (ent.TxFromContext and ent.FromContext), so code that finds the
// transaction in its context runs inside it.
//
// A client that is already transactional (a caller's transaction, see
// Client) is joined: each attempt runs under a savepoint, rolled back when
// the attempt fails, so a lost race is retried there too and a failed fn
// leaves the caller's transaction as it found it. Commit hooks (ent's
// OnCommit) that fn registers in a failed attempt still run when the caller
// commits.
func Retry(ctx context.Context, c *ent.Client, attempts int, retry func(error) bool,
	fn func(ctx context.Context, c *ent.Client) error) error {
	for attempt := 1; ; attempt++ {
		err := tryOnce(ctx, c, fn)
		if err == nil || attempt >= attempts || !retry(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(rand.IntN(20*attempt)+1) * time.Millisecond)
	}
}

// tryOnce is one attempt of Retry: fn in a new transaction of c, or under a
// savepoint when c already is one.
func tryOnce(ctx context.Context, c *ent.Client, fn func(ctx context.Context, c *ent.Client) error) error {
	tx, err := c.Tx(ctx)
	if errors.Is(err, ent.ErrTxStarted) {
		return underSavepoint(ctx, c, fn)
	}
	if err != nil {
		return err
	}
	if err := fn(ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client()), tx.Client()); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// underSavepoint runs fn in the transaction c under a savepoint and rolls
// back to it when fn fails. Savepoints of one name nest: each RELEASE or
// ROLLBACK TO names the innermost.
func underSavepoint(ctx context.Context, c *ent.Client, fn func(ctx context.Context, c *ent.Client) error) error {
	if _, err := c.ExecContext(ctx, `SAVEPOINT txn_retry`); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(ent.NewContext(ctx, c), c); err != nil {
		// The caller's transaction outlives a cancelled request's attempt.
		bg := context.WithoutCancel(ctx)
		if _, rerr := c.ExecContext(bg, `ROLLBACK TO SAVEPOINT txn_retry`); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		if _, rerr := c.ExecContext(bg, `RELEASE SAVEPOINT txn_retry`); rerr != nil {
			return errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
		}
		return err
	}
	if _, err := c.ExecContext(ctx, `RELEASE SAVEPOINT txn_retry`); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
