// Package txn holds what services that write raw, set-based SQL share:
// running in the caller's transaction or their own, binding the workspace
// explicitly, per-workspace advisory locks and array parameters.
package txn

import (
	"context"
	"errors"
	"fmt"

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

// AfterCommit runs f once the transaction of ctx (entgql's per-mutation one)
// commits, or now when there is none, so a worker never reads rows before
// they exist. f's error is returned only when it runs now; after a commit
// the write stands, so callers pass an f that reports its own failure (or
// rely on a periodic sweep).
func AfterCommit(ctx context.Context, f func(context.Context) error) error {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return f(ctx)
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(cctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(cctx, tx); err != nil {
				return err
			}
			_ = f(context.WithoutCancel(cctx))
			return nil
		})
	})
	return nil
}
