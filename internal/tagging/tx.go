package tagging

import (
	"context"
	"errors"
	"fmt"
	"github.com/scrmhq/scrm/internal/textinput"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/tenant"
)

// withTx runs fn in a transaction. A caller that already holds one keeps it
// (its rollback then undoes our writes); otherwise fn gets its own, because
// a call writes several batches that must land together or not at all.
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

// lockTagNames is the advisory lock class (first key of
// pg_advisory_xact_lock(int, int)) that serialises tag creation per workspace.
// Tag names are unique in the workspace, which the schema's unique index
// (tenant, group, name) does not cover; the lock makes check-then-insert safe.
const lockTagNames = 7262201

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

// checkActor makes sure the acting user belongs to the workspace:
// lead_tags.created_by_id has no foreign key, and one would accept another
// workspace's user anyway.
func checkActor(ctx context.Context, c *ent.Client, actor *uuid.UUID) error {
	if actor == nil {
		return nil
	}
	ok, err := c.User.Query().Where(user.ID(*actor)).Exist(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.NotFound, "actorID", "user not found")
	}
	return nil
}

// uuidArray binds ids as one uuid[] parameter (cast in SQL), so a statement
// has the same shape for one id or ten thousand.
func uuidArray(ids []uuid.UUID) any {
	s := make(pq.StringArray, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return s
}
