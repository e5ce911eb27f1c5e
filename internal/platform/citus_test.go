package platform_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/scrmhq/scrm/internal/migrationgen"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/testenv"
)

// migrated returns a fresh database with every migration applied.
func migrated(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	url, drop, err := migrationgen.ScratchDatabase(ctx, testenv.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	db, err := platform.OpenDB(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := platform.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestSchemaIsReadyForCitus migrates a fresh database and walks its catalog:
// every table, unique index and foreign key must be distributable by
// tenant_id (migrationgen.CitusViolations), and docs/scaling.md must list
// every table with the statement that distributes it, in an order Citus
// accepts. Then it breaks each rule once and expects each to be reported.
func TestSchemaIsReadyForCitus(t *testing.T) {
	ctx := context.Background()
	db := migrated(t)
	got, err := migrationgen.CitusViolations(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		t.Errorf("not ready for Citus: %s", v)
	}

	t.Run("docs list every table", func(t *testing.T) { checkScalingDoc(t, db) })

	t.Run("a row cannot reference another workspace's", func(t *testing.T) {
		const a, b = "00000000-0000-7000-8000-00000000000a", "00000000-0000-7000-8000-00000000000b"
		for _, stmt := range []string{
			`INSERT INTO workspaces (id, created_at, updated_at, slug, name, settings) VALUES
				('` + a + `', now(), now(), 'a', 'A', '{}'), ('` + b + `', now(), now(), 'b', 'B', '{}')`,
			`INSERT INTO users (id, tenant_id, created_at, updated_at, name, email, password_hash, roles)
				VALUES ('00000000-0000-7000-8000-0000000000b1', '` + b + `', now(), now(), 'u', 'u@b', 'x', '[]')`,
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		_, err := db.ExecContext(ctx, `INSERT INTO teams (id, tenant_id, created_at, updated_at, name, manager_id)
			VALUES ('00000000-0000-7000-8000-0000000000a2', '`+a+`', now(), now(), 't', '00000000-0000-7000-8000-0000000000b1')`)
		var pe *pq.Error
		if !errors.As(err, &pe) || pe.Code != "23503" {
			t.Fatalf("a team of A managed by B's user: %v, want a foreign key violation", err)
		}
	})

	t.Run("each rule can fail", func(t *testing.T) {
		for _, stmt := range []string{
			`CREATE TABLE stray (id uuid PRIMARY KEY)`,
			`CREATE TABLE loose (id uuid PRIMARY KEY, tenant_id uuid)`,
			`CREATE UNIQUE INDEX leads_phone_everywhere ON leads (phone)`,
			`CREATE TABLE notes (id uuid, tenant_id uuid NOT NULL, lead_id uuid, author_id uuid,
				PRIMARY KEY (id, tenant_id),
				CONSTRAINT notes_lead_crossed FOREIGN KEY (tenant_id, lead_id) REFERENCES leads (id, tenant_id),
				CONSTRAINT notes_author_nulls_tenant FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL)`,
			`ALTER TABLE workspaces ADD COLUMN owner_id uuid, ADD COLUMN owner_tenant uuid,
				ADD CONSTRAINT workspaces_owner FOREIGN KEY (owner_tenant, owner_id) REFERENCES users (tenant_id, id)`,
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		got, err := migrationgen.CitusViolations(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"stray: no tenant_id column",
			"loose: tenant_id is nullable",
			"leads.leads_phone_everywhere: unique index without tenant_id",
			"stray.stray_pkey: unique index without tenant_id",
			"loose.loose_pkey: unique index without tenant_id",
			"notes.notes_lead_crossed: foreign key between distributed tables without tenant_id on both sides",
			"notes.notes_author_nulls_tenant: ON DELETE SET NULL/DEFAULT would clear tenant_id",
			"workspaces.workspaces_owner: a reference table references the distributed table users",
		} {
			if !slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, want) }) {
				t.Errorf("missing violation %q in %q", want, got)
			}
		}
		if len(got) != 8 {
			t.Errorf("got %d violations, want 8: %q", len(got), got)
		}
	})
}

var docRow = regexp.MustCompile("^\\| (\\d+) \\| `(\\w+)` \\| (distributed|reference|local) \\| (.*) \\|$")

// checkScalingDoc compares docs/scaling.md's distribution table with the
// catalog: the same tables, each with its kind's statement, each distributed
// table after the tables its foreign keys reference (except the deferred
// ones the doc names).
func checkScalingDoc(t *testing.T, db *sql.DB) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "scaling.md"))
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	var deferred []string
	for _, line := range strings.Split(string(b), "\n") {
		if m := docRow.FindStringSubmatch(line); m != nil {
			table, kind, stmt := m[2], m[3], m[4]
			pos[table] = len(pos)
			want := map[string]string{
				"distributed": "`SELECT create_distributed_table('" + table + "', 'tenant_id');`",
				"reference":   "`SELECT create_reference_table('" + table + "');`",
				"local":       "none: stays on the coordinator",
			}[kind]
			if stmt != want {
				t.Errorf("docs/scaling.md: %s: statement %s, want %s", table, stmt, want)
			}
			_, ref := migrationgen.ReferenceTables[table]
			_, local := migrationgen.LocalTables[table]
			if (kind == "reference") != ref || (kind == "local") != local {
				t.Errorf("docs/scaling.md: %s is %s, but internal/migrationgen lists it otherwise", table, kind)
			}
		}
		if rest, ok := strings.CutPrefix(line, "Deferred foreign keys: "); ok {
			for _, f := range strings.Split(strings.TrimSuffix(rest, "."), ", ") {
				deferred = append(deferred, strings.Trim(f, "`"))
			}
		}
	}
	rows, err := db.Query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		seen[name] = true
		if _, ok := pos[name]; !ok {
			t.Errorf("docs/scaling.md does not list table %s", name)
		}
	}
	for name := range pos {
		if !seen[name] {
			t.Errorf("docs/scaling.md lists %s, which the migrations do not create", name)
		}
	}
	fks, err := db.Query(`SELECT t.relname, c.conname, r.relname FROM pg_constraint c
		JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE c.contype = 'f' AND c.conparentid = 0 AND n.nspname = 'public' AND t.oid <> r.oid`)
	if err != nil {
		t.Fatal(err)
	}
	defer fks.Close()
	for fks.Next() {
		var table, name, ref string
		if err := fks.Scan(&table, &name, &ref); err != nil {
			t.Fatal(err)
		}
		if pos[ref] > pos[table] && !slices.Contains(deferred, table+"."+name) {
			t.Errorf("docs/scaling.md distributes %s before %s, which its foreign key %s references", table, ref, name)
		}
	}
}
