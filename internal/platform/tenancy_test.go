package platform_test

import (
	"context"
	"errors"
	"testing"

	"entgo.io/ent/privacy"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// TestTenantScopeIsEnforcedByEnt checks the one place tenancy comes from: with
// no tenant in the context every query and mutation fails closed, and with a
// tenant every query, update and delete sees only that tenant's rows.
func TestTenantScopeIsEnforcedByEnt(t *testing.T) {
	db := testenv.NewDatabase(t)
	ctx := context.Background()
	a, err := workspace.Create(ctx, db.Client, workspace.Spec{Slug: "ta", Name: "A", AdminName: "a", AdminEmail: "a@a.test", AdminPassword: "password-a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := workspace.Create(ctx, db.Client, workspace.Spec{Slug: "tb", Name: "B", AdminName: "b", AdminEmail: "b@b.test", AdminPassword: "password-b"})
	if err != nil {
		t.Fatal(err)
	}
	c := db.Client

	t.Run("no tenant fails closed", func(t *testing.T) {
		if _, err := c.User.Query().All(ctx); !failedClosed(err) {
			t.Errorf("query without tenant: err = %v, want privacy deny", err)
		}
		if _, err := c.Team.Create().SetName("x").Save(ctx); !errors.Is(err, privacy.Deny) {
			t.Errorf("create without tenant: err = %v, want privacy deny", err)
		}
		if _, err := c.User.Update().SetName("x").Save(ctx); !errors.Is(err, privacy.Deny) {
			t.Errorf("update without tenant: err = %v, want privacy deny", err)
		}
		if _, err := c.Workspace.Query().All(ctx); !failedClosed(err) {
			t.Errorf("workspace query without tenant: err = %v, want privacy deny", err)
		}
	})

	ctxA := tenant.NewContext(ctx, a.Workspace.ID)
	t.Run("queries see one tenant", func(t *testing.T) {
		users, err := c.User.Query().All(ctxA)
		if err != nil || len(users) != 1 || users[0].ID != a.Admin.ID {
			t.Fatalf("users of A = %v, %v; want only A's admin", users, err)
		}
		if _, err := c.User.Get(ctxA, b.Admin.ID); !ent.IsNotFound(err) {
			t.Errorf("Get(B's user) in A: err = %v, want not found", err)
		}
		ws, err := c.Workspace.Query().All(ctxA)
		if err != nil || len(ws) != 1 || ws[0].ID != a.Workspace.ID {
			t.Errorf("workspaces seen by A = %v, %v", ws, err)
		}
		// Edge loads are scoped too: B's pipeline stages never appear under A.
		n, err := c.Stage.Query().Count(ctxA)
		if err != nil || n != len(workspace.DefaultStages) {
			t.Errorf("stages seen by A = %d, %v; want %d", n, err, len(workspace.DefaultStages))
		}
	})
	t.Run("writes touch one tenant", func(t *testing.T) {
		n, err := c.User.Update().SetName("renamed").Save(ctxA)
		if err != nil || n != 1 {
			t.Fatalf("bulk update in A touched %d rows, %v; want 1", n, err)
		}
		if err := c.User.UpdateOneID(b.Admin.ID).SetName("hijacked").Exec(ctxA); !ent.IsNotFound(err) {
			t.Errorf("update B's user from A: err = %v, want not found", err)
		}
		if err := c.User.DeleteOneID(b.Admin.ID).Exec(ctxA); !ent.IsNotFound(err) {
			t.Errorf("delete B's user from A: err = %v, want not found", err)
		}
		if _, err := c.Team.Create().SetName("t").SetTenantID(b.Workspace.ID).Save(ctxA); err == nil {
			t.Error("creating a row for B from A's context succeeded")
		}
		bUser, err := c.User.Get(tenant.NewContext(ctx, b.Workspace.ID), b.Admin.ID)
		if err != nil || bUser.Name != "b" {
			t.Errorf("B's admin after A's writes = %+v, %v; want untouched", bUser, err)
		}
		if n, err := c.User.Query().Where(user.Name("renamed")).Count(tenant.System(ctx)); err != nil || n != 1 {
			t.Errorf("renamed users across tenants = %d, %v; want 1", n, err)
		}
	})
	t.Run("workspaces only by the system", func(t *testing.T) {
		if _, err := c.Workspace.Create().SetSlug("evil").SetName("x").Save(ctxA); !errors.Is(err, privacy.Deny) {
			t.Errorf("tenant created a workspace: err = %v", err)
		}
		if err := c.Workspace.UpdateOneID(b.Workspace.ID).SetName("x").Exec(ctxA); !ent.IsNotFound(err) {
			t.Errorf("A renamed B's workspace: err = %v, want not found", err)
		}
	})
}

// failedClosed accepts either guard: the interceptor (no tenant) or the privacy policy.
func failedClosed(err error) bool {
	return errors.Is(err, privacy.Deny) || errors.Is(err, tenant.ErrMissing)
}
