package pipeline

import (
	"context"
	"errors"
	"fmt"
	"github.com/scrmhq/scrm/internal/textinput"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/tenant"
)

// withTx runs fn in a transaction. A caller that already holds one (a tx
// client, e.g. from entgql.Transactioner) keeps it, so the row locks taken here
// last until the caller commits and the caller's rollback undoes our writes;
// otherwise fn gets its own transaction, because every function here relies on
// locks that are worthless outside one.
func withTx(ctx context.Context, c *ent.Client, fn func(c *ent.Client) error) error {
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

// tenantOf returns the workspace of ctx for raw SQL, which ent's tenancy
// interceptors cannot reach: every such statement binds it explicitly.
func tenantOf(ctx context.Context) (uuid.UUID, error) {
	tid, ok := tenant.FromContext(ctx)
	if !ok {
		return uuid.Nil, tenant.ErrMissing
	}
	return tid, nil
}

// Advisory lock classes (first key of pg_advisory_xact_lock(int, int)); the
// second key is derived from the workspace id.
const lockDefaultPipeline = 7262101

// lockWorkspace takes a transaction-scoped advisory lock of class for the
// workspace of ctx. It serialises operations whose invariant spans rows that
// may not exist yet (the one default pipeline), which row locks cannot cover.
func lockWorkspace(ctx context.Context, c *ent.Client, class int32) error {
	tid, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))`, class, tid.String()); err != nil {
		return fmt.Errorf("lock workspace: %w", err)
	}
	return nil
}

// text is textinput.Clean; kept short because every input of this package uses it.
var text = textinput.Clean

// notFound turns ent's not-found into NOT_FOUND at field and passes other errors on.
func notFound(err error, field, what string) error {
	if ent.IsNotFound(err) {
		return apperr.Wrap(err, apperr.NotFound, field, what+" not found")
	}
	return err
}
