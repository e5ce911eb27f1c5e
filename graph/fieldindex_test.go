package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/fields"
)

// TestIndexedFieldBuildsAndDropsItsIndex: indexed: true makes a worker build a
// partial expression index concurrently (status PENDING → READY), the
// attribute filter's SQL can use it, and indexed: false drops it again.
func TestIndexedFieldBuildsAndDropsItsIndex(t *testing.T) {
	api := apitest.New(t)
	c, token := api.Workspace("acme")
	seedLeads(t, api, c, 5)
	var f struct {
		CreateFieldDefinition struct{ ID, IndexStatus string }
	}
	api.MustDo(token, `mutation { createFieldDefinition(input:{key:"budget", label:"Budget", type: NUMBER, indexed: true}) { id indexStatus } }`, nil, &f)
	if f.CreateFieldDefinition.IndexStatus != "PENDING" {
		t.Errorf("status right after create = %s", f.CreateFieldDefinition.IndexStatus)
	}
	name := fielddefs.IndexName(c.Workspace.ID, "budget")
	waitStatus := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var out struct {
				FieldDefinitions []struct{ IndexStatus, IndexError string }
			}
			api.MustDo(token, `{ fieldDefinitions(entity: LEAD) { indexStatus indexError } }`, nil, &out)
			if got := out.FieldDefinitions[0].IndexStatus; got == want {
				return
			} else if got == "FAILED" || time.Now().After(deadline) {
				t.Fatalf("index status %s (%s); want %s", got, out.FieldDefinitions[0].IndexError, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitStatus("READY")
	var def string
	if err := api.DB.DB.QueryRow(`SELECT indexdef FROM pg_indexes WHERE indexname = $1`, name).Scan(&def); err != nil {
		t.Fatalf("index %s not found: %v", name, err)
	}
	if !strings.Contains(def, c.Workspace.ID.String()) {
		t.Errorf("index is not partial on the workspace: %s", def)
	}
	// The filter's own SQL, planned with the real parameters, uses the index.
	pred, err := fields.Predicate(fields.Definition{Key: "budget", Type: fields.TypeNumber}, fields.OpGT, 10)
	if err != nil {
		t.Fatal(err)
	}
	sel := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("leads"))
	sel.Where(sql.EQ("tenant_id", c.Workspace.ID))
	pred(sel)
	query, args := sel.Query()
	ctx := context.Background()
	tx, err := api.DB.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query("EXPLAIN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	for rows.Next() {
		var line string
		_ = rows.Scan(&line)
		plan.WriteString(line + "\n")
	}
	rows.Close()
	_ = tx.Rollback() // an open transaction on leads would hold up DROP INDEX CONCURRENTLY
	if !strings.Contains(plan.String(), name) {
		t.Errorf("the numeric filter does not use %s:\n%s", name, plan.String())
	}
	api.MustDo(token, `mutation($id:ID!){ updateFieldDefinition(id:$id, input:{indexed: false}) { id } }`, map[string]any{"id": f.CreateFieldDefinition.ID}, nil)
	waitStatus("NONE")
	var n int
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM pg_indexes WHERE indexname = $1`, name).Scan(&n); err != nil || n != 0 {
		t.Errorf("index still there after indexed: false (%d, %v)", n, err)
	}
}
