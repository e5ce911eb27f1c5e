package platform_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// queryLog records the statements that reach the database driver.
type queryLog struct {
	dialect.Driver
	mu  *sync.Mutex
	log *[]string
}

func (d queryLog) Query(ctx context.Context, query string, args, v any) error {
	d.mu.Lock()
	*d.log = append(*d.log, query)
	d.mu.Unlock()
	return d.Driver.Query(ctx, query, args, v)
}

// TestCountsAreSentAsCountAll: ent's Count reaches PostgreSQL as COUNT(*)
// over the workspace's rows (so it can be answered from a tenant_id index,
// not a scan of every workspace's primary key) and counts the same rows.
func TestCountsAreSentAsCountAll(t *testing.T) {
	db := testenv.NewDatabase(t)
	ctx := context.Background()
	a, err := workspace.Create(ctx, db.Client, workspace.Spec{Slug: "ca", Name: "A", AdminName: "a", AdminEmail: "a@a.test", AdminPassword: "password-a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := workspace.Create(ctx, db.Client, workspace.Spec{Slug: "cb", Name: "B", AdminName: "b", AdminEmail: "b@b.test", AdminPassword: "password-b"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var log []string
	c := platform.NewEntClientWrapping(db.DB, func(d dialect.Driver) dialect.Driver { return queryLog{d, &mu, &log} })
	ctxA := tenant.NewContext(ctx, a.Workspace.ID)
	for _, name := range []string{"rep one", "rep two"} {
		if _, err := c.User.Create().SetName(name).SetEmail(strings.ReplaceAll(name, " ", "") + "@a.test").SetPasswordHash("x").Save(ctxA); err != nil {
			t.Fatal(err)
		}
	}
	log = nil
	n, err := c.User.Query().Count(ctxA)
	if err != nil || n != 3 {
		t.Fatalf("users of A = %d, %v; want 3 (the admin and two reps; B's admin not counted)", n, err)
	}
	if len(log) != 1 || !strings.HasPrefix(log[0], `SELECT COUNT(*) FROM "users" WHERE`) {
		t.Fatalf("the count reached the driver as %q; want one SELECT COUNT(*) FROM \"users\" …", log)
	}
}
