package platform_test

import (
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/testenv"
)

// indexExceptions are indexes of tenant tables that deliberately do not start
// with tenant_id, with the reason.
var indexExceptions = map[string]string{
	"apikey_prefix":           "API keys are found by their prefix before the tenant is known (unique per workspace: apikey_tenant_id_prefix)",
	"segment_next_refresh_at": "the scheduler's refresh pass finds the due segments of every workspace at once",
	"outbox_tasks_unsent":     "the outbox relays take the oldest unsent tasks of every workspace at once",
}

// TestTenantIndexesStartWithTenantID: every index of a table with a
// tenant_id column leads with it (primary keys aside), which is what keeps
// tenant queries index-only and lets the tables be distributed by tenant_id.
func TestTenantIndexesStartWithTenantID(t *testing.T) {
	db := testenv.NewDatabase(t)
	rows, err := db.DB.Query(`
		SELECT i.relname, tb.relname, pg_get_indexdef(ix.indexrelid), ix.indisprimary
		FROM pg_index ix
		JOIN pg_class i ON i.oid = ix.indexrelid
		JOIN pg_class tb ON tb.oid = ix.indrelid
		JOIN pg_namespace n ON n.oid = tb.relnamespace AND n.nspname = 'public'
		WHERE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tb.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	for rows.Next() {
		var name, table, def string
		var primary bool
		if err := rows.Scan(&name, &table, &def, &primary); err != nil {
			t.Fatal(err)
		}
		checked++
		if primary || indexExceptions[name] != "" {
			continue
		}
		cols := def[strings.Index(def, "(")+1:]
		if !strings.HasPrefix(cols, "tenant_id") {
			t.Errorf("index %s on %s does not start with tenant_id: %s", name, table, def)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d indexes checked; the query is wrong", checked)
	}
}
