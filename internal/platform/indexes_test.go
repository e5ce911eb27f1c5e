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

// unindexedParents are tables whose rows are never deleted, so the foreign
// keys that point at them need no index of their own (a child's insert checks
// the parent's primary key, not the child's columns): only a parent's delete
// looks children up by the key's columns. Each entry says why.
var unindexedParents = map[string]string{
	"users":            "users are deactivated, never deleted",
	"partners":         "the API has no way to delete a partner",
	"leads":            "leads are never deleted: a merged lead keeps its row (status MERGED), an archived one too",
	"tasks":            "tasks are completed or cancelled, never deleted",
	"pools":            "the API has no way to delete a pool",
	"teams":            "the API has no way to delete a team",
	"lost_reasons":     "lost reasons are archived, never deleted",
	"journeys":         "journeys are archived, never deleted",
	"journey_versions": "a journey's versions are kept for its enrolments",
	"territories":      "DeleteTerritory deletes only a territory that nothing names, after counting its uses (org.territoryUseSQL); the join tables it cascades to hold a few rows per workspace",
}

// TestForeignKeysAreIndexed: deleting a row looks up the rows that point at
// it (to refuse, cascade or set them to NULL) by the foreign key's columns.
// Without an index that lookup scans the child table under the delete's
// locks, e.g. deleting an assignment rule scanned every owner change. Every
// foreign key has an index whose leading columns are the key's (tenant_id
// may be left out, and a partial index "column IS NOT NULL" serves), unless
// its parent's rows are never deleted (unindexedParents).
func TestForeignKeysAreIndexed(t *testing.T) {
	db := testenv.NewDatabase(t)
	// Each foreign key with its columns, and each index's key columns (an
	// expression is '') with its predicate.
	rows, err := db.DB.Query(`
		SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
			(SELECT string_agg(a.attname, ',') FROM unnest(c.conkey) k(n)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n),
			coalesce((SELECT string_agg(coalesce(a.attname, '') || ':' || coalesce(pg_get_expr(i.indpred, i.indrelid), ''), ';')
				FROM pg_index i
				CROSS JOIN LATERAL (SELECT string_agg(coalesce(a.attname, ''), ',' ORDER BY k.o) AS attname
					FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) WITH ORDINALITY k(n, o)
					LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n) a
				WHERE i.indrelid = c.conrelid AND i.indisvalid), '')
		FROM pg_constraint c
		WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	excused := map[string]bool{}
	for rows.Next() {
		var name, table, parent, cols, indexes string
		if err := rows.Scan(&name, &table, &parent, &cols, &indexes); err != nil {
			t.Fatal(err)
		}
		checked++
		if servedByIndex(strings.Split(cols, ","), indexes) {
			continue
		}
		if unindexedParents[parent] != "" {
			excused[parent] = true
			continue
		}
		t.Errorf("foreign key %s of %s (%s) → %s has no index: deleting a row of %s scans %s", name, table, cols, parent, parent, table)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if checked < 40 {
		t.Fatalf("only %d foreign keys checked; the query is wrong", checked)
	}
	for parent := range unindexedParents {
		if !excused[parent] {
			t.Errorf("unindexedParents names %s, but every foreign key to it is indexed: remove the entry", parent)
		}
	}
}

// servedByIndex reports whether one of indexes ("col,col:predicate;…")
// finds a foreign key's rows by its columns: the index's leading columns that
// are key columns hold every key column other than tenant_id, and the index
// is whole or only leaves out rows whose key column is NULL.
func servedByIndex(key []string, indexes string) bool {
	inKey := map[string]bool{}
	for _, c := range key {
		inKey[c] = true
	}
	for _, ix := range strings.Split(indexes, ";") {
		cols, pred, _ := strings.Cut(ix, ":")
		covered := map[string]bool{}
		for _, c := range strings.Split(cols, ",") {
			if !inKey[c] {
				break
			}
			covered[c] = true
		}
		served := true
		for _, c := range key {
			if c != "tenant_id" && !covered[c] {
				served = false
			}
		}
		nullOnly := false
		for _, c := range key {
			nullOnly = nullOnly || pred == "("+c+" IS NOT NULL)"
		}
		if served && (pred == "" || nullOnly) {
			return true
		}
	}
	return false
}
