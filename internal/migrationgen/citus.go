package migrationgen

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	atlas "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/lib/pq"
)

// TenantColumn is the distribution column of every distributed table
// (docs/scaling.md): a workspace's rows live on one shard.
const TenantColumn = "tenant_id"

// ReferenceTables are the truly global tables: they have no tenant_id and
// become Citus reference tables (a copy on every node), which distributed
// tables may reference. Each entry says why the table is global.
var ReferenceTables = map[string]string{
	"workspaces": "the tenants themselves, found by slug or id before any workspace is known",
}

// Citus keys. ent addresses every row by its id and knows nothing of
// distribution; the migrations give the database the keys Citus needs,
// derived here from ent's schema so that every generated migration has them:
//
//   - the primary key of a tenant-owned table is (id, tenant_id) (for an edge
//     schema, its two ends and tenant_id): ent still reads and writes by id,
//     which stays unique because every id is a fresh UUIDv7, and id leads
//     the key so that lookups and joins by id alone keep their index;
//   - a foreign key between tenant-owned tables is (tenant_id, x_id) →
//     (tenant_id, id): a row can reference only rows of its own workspace,
//     and Citus keeps both on the same shard;
//   - ON DELETE SET NULL names the column it clears (PostgreSQL 15's
//     SET NULL (x_id)), so tenant_id is never nulled.
//
// Unique indexes are declared with tenant_id in ent/schema itself; the
// catalog test (internal/platform) fails on any that is not.

// CitusKeys is the diff hook that makes ent's desired schema Citus-shaped
// before Atlas compares it with the migrations' (Options adds it), and
// drops the one difference Atlas cannot read back: the column list of SET
// NULL, which its PostgreSQL inspector does not report.
func CitusKeys(next schema.Differ) schema.Differ {
	return schema.DiffFunc(func(current, desired *atlas.Schema) ([]atlas.Change, error) {
		if err := citusShape(desired); err != nil {
			return nil, err
		}
		if err := indexExpressions(desired); err != nil {
			return nil, err
		}
		changes, err := next.Diff(current, desired)
		if err != nil {
			return nil, err
		}
		return dropSetNullColumnLists(changes), nil
	})
}

// Options are the migrate options every migration diff uses (cmd/migrategen
// and the drift test), so what is generated is what is checked.
func Options() []schema.MigrateOption {
	return []schema.MigrateOption{schema.WithDiffHook(CitusKeys)}
}

func citusShape(s *atlas.Schema) error {
	for _, t := range s.Tables {
		if !tenantOwned(t) {
			if _, ok := ReferenceTables[t.Name]; !ok {
				return fmt.Errorf("citus: table %s has no %s and is not a listed reference table (internal/migrationgen.ReferenceTables)", t.Name, TenantColumn)
			}
			continue
		}
		tc, _ := t.Column(TenantColumn)
		if pk := t.PrimaryKey; pk != nil && !hasColumn(pk.Parts, TenantColumn) {
			pk.Parts = append(pk.Parts, &atlas.IndexPart{C: tc})
			for i, p := range pk.Parts {
				p.SeqNo = i
			}
		}
		for _, fk := range t.ForeignKeys {
			if !tenantOwned(fk.RefTable) || colIndex(fk.Columns, TenantColumn) >= 0 {
				continue
			}
			rc, _ := fk.RefTable.Column(TenantColumn)
			cleared := names(fk.Columns)
			fk.Columns = append([]*atlas.Column{tc}, fk.Columns...)
			fk.RefColumns = append([]*atlas.Column{rc}, fk.RefColumns...)
			if fk.OnDelete == atlas.SetNull {
				fk.OnDelete = atlas.ReferenceOption(fmt.Sprintf("%s (%s)", atlas.SetNull, strings.Join(cleared, ", ")))
			}
		}
	}
	return nil
}

// dropSetNullColumnLists removes foreign-key changes whose only difference
// is "SET NULL" read back against "SET NULL (x_id)" wanted.
func dropSetNullColumnLists(changes []atlas.Change) []atlas.Change {
	out := changes[:0]
	for _, c := range changes {
		if mt, ok := c.(*atlas.ModifyTable); ok {
			kept := mt.Changes[:0]
			for _, tc := range mt.Changes {
				if mf, ok := tc.(*atlas.ModifyForeignKey); ok && mf.Change == atlas.ChangeDeleteAction &&
					mf.From.OnDelete == atlas.SetNull && strings.HasPrefix(string(mf.To.OnDelete), string(atlas.SetNull)+" (") {
					continue
				}
				kept = append(kept, tc)
			}
			if mt.Changes = kept; len(kept) == 0 {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

func tenantOwned(t *atlas.Table) bool {
	_, ok := t.Column(TenantColumn)
	return ok
}

func hasColumn(parts []*atlas.IndexPart, name string) bool {
	for _, p := range parts {
		if p.C != nil && p.C.Name == name {
			return true
		}
	}
	return false
}

func colIndex(cols []*atlas.Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func names(cols []*atlas.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// LocalTables stay on the Citus coordinator, neither distributed nor
// replicated.
var LocalTables = map[string]string{
	"scrm_schema_revisions": "the migrations applied (internal/platform.Migrate), read by the migrator only",
}

// CatalogExceptions are the catalog objects (a table, "table.index" or
// "table.constraint") that break a Citus rule on purpose, each with the
// reason. Empty today: every unique key and foreign key complies.
var CatalogExceptions = map[string]string{}

// CitusViolations walks the catalog of db's public schema and returns every
// table, unique index and foreign key that Citus could not distribute by
// tenant_id, and that is not listed above:
//   - a table without a NOT NULL tenant_id that is not a reference or local table;
//   - a unique index (primary keys included) of a distributed table without tenant_id;
//   - a foreign key between distributed tables without tenant_id at the same
//     position on both sides, or whose ON DELETE SET NULL/DEFAULT would clear
//     tenant_id; a foreign key from a reference table to a distributed one.
func CitusViolations(ctx context.Context, db *sql.DB) ([]string, error) {
	var v violations
	kind, err := tableKinds(ctx, db, &v)
	if err != nil {
		return nil, err
	}
	if err := checkUniqueIndexes(ctx, db, kind, &v); err != nil {
		return nil, err
	}
	if err := checkForeignKeys(ctx, db, kind, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// violations collects what breaks a rule, minus the listed exceptions.
type violations []string

func (v *violations) add(object, format string, args ...any) {
	if _, ok := CatalogExceptions[object]; !ok {
		*v = append(*v, object+": "+fmt.Sprintf(format, args...))
	}
}

// tableKinds reads every table of the public schema and returns its kind
// (distributed, reference, local), reporting tables that fit none.
func tableKinds(ctx context.Context, db *sql.DB, v *violations) (map[string]string, error) {
	kind := map[string]string{}
	rows, err := db.QueryContext(ctx, `
		SELECT c.relname, a.attname IS NOT NULL, coalesce(a.attnotnull, false)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY 1`, TenantColumn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var has, notNull bool
		if err := rows.Scan(&name, &has, &notNull); err != nil {
			return nil, err
		}
		_, ref := ReferenceTables[name]
		_, local := LocalTables[name]
		switch {
		case ref || local:
			kind[name] = map[bool]string{true: "reference", false: "local"}[ref]
			if has {
				v.add(name, "listed as a %s table but has %s", kind[name], TenantColumn)
			}
		case !has:
			kind[name] = "distributed"
			v.add(name, "no %s column, and not listed as a reference or local table", TenantColumn)
		default:
			kind[name] = "distributed"
			if !notNull {
				v.add(name, "%s is nullable", TenantColumn)
			}
		}
	}
	for name := range ReferenceTables {
		if _, ok := kind[name]; !ok {
			v.add(name, "listed as a reference table but does not exist")
		}
	}
	return kind, rows.Err()
}

// checkUniqueIndexes reports unique indexes (primary keys included) of
// distributed tables without tenant_id.
func checkUniqueIndexes(ctx context.Context, db *sql.DB, kind map[string]string, v *violations) error {
	rows, err := db.QueryContext(ctx, `
		SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid),
			EXISTS (SELECT 1 FROM unnest(x.indkey) k JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k WHERE a.attname = $1)
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = 'public' AND x.indisunique AND NOT t.relispartition
		ORDER BY 1, 2`, TenantColumn)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, index, def string
		var has bool
		if err := rows.Scan(&table, &index, &def, &has); err != nil {
			return err
		}
		if kind[table] == "distributed" && !has {
			v.add(table+"."+index, "unique index without %s: %s", TenantColumn, def)
		}
	}
	return rows.Err()
}

// checkForeignKeys reports foreign keys Citus would refuse: between
// distributed tables without tenant_id at the same position on both sides,
// or clearing tenant_id on delete; from a reference or local table to a
// distributed one.
func checkForeignKeys(ctx context.Context, db *sql.DB, kind map[string]string, v *violations) error {
	rows, err := db.QueryContext(ctx, `
		SELECT c.conname, t.relname, r.relname,
			array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.ord),
			array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
				JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.ord),
			c.confdeltype::text,
			array(SELECT a.attname::text FROM unnest(coalesce(c.confdelsetcols, '{}')) k(num)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num),
			pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE c.contype = 'f' AND c.conparentid = 0 AND n.nspname = 'public' AND NOT t.relispartition
		ORDER BY 2, 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, table, ref, delType, def string
		var cols, refCols, setCols pq.StringArray
		if err := rows.Scan(&name, &table, &ref, &cols, &refCols, &delType, &setCols, &def); err != nil {
			return err
		}
		object := table + "." + name
		switch from, to := kind[table], kind[ref]; {
		case from == "distributed" && to == "distributed":
			i := slices.Index(cols, TenantColumn)
			if i < 0 || i >= len(refCols) || refCols[i] != TenantColumn {
				v.add(object, "foreign key between distributed tables without %s on both sides at the same position: %s", TenantColumn, def)
			} else if (delType == "n" || delType == "d") && (len(setCols) == 0 || slices.Contains(setCols, TenantColumn)) {
				v.add(object, "ON DELETE SET NULL/DEFAULT would clear %s; name the column it clears: %s", TenantColumn, def)
			}
		case from != "distributed" && to == "distributed":
			v.add(object, "a %s table references the distributed table %s: %s", from, ref, def)
		}
	}
	return rows.Err()
}
