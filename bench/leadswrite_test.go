package bench_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/scrmhq/scrm/internal/testenv"
)

// BenchmarkLeadsWriteCost explains the import ceiling: it inserts the same
// generated leads (benchRows of them, already clean and distinct, with
// time-ordered ids like the product's) by one INSERT … SELECT into copies
// of the leads table that gain, step by step, what leads has: its primary
// key, its unique indexes (the identity keys dedup relies on, and the lead
// number), its other indexes, and its foreign keys. The last step is leads
// itself. Each step reports rows/s and its time per row. Index and
// constraint definitions are read from the migrated schema, so the steps
// follow the schema as it changes.
func BenchmarkLeadsWriteCost(b *testing.B) {
	n := benchRows()
	db := testenv.NewDatabase(b)
	w := newLeadTarget(b, db)
	defer w.conn.Close()
	tid, conn := w.tid, w.conn
	// The rows: ids in time order with a random tail, mobile phones, an
	// email on half of them, two custom fields, as the import creates them.
	mustExec(b, conn, `CREATE TEMP TABLE write_src AS
		SELECT (lpad(to_hex(1700000000000 + g), 12, '0') || '7000' || substr(md5(g::text), 1, 16))::uuid AS id,
			g::bigint AS seq, '王先生' AS name, '+86138' || lpad(g::text, 8, '0') AS phone,
			CASE WHEN g % 2 = 0 THEN 'u' || g || '@example.com' END AS email,
			'公司' || (g % 5000) AS company,
			jsonb_build_object('budget', 1000 * (1 + g % 500), 'city', 'sh') AS attributes,
			'["phone","sms"]'::jsonb AS reachable
		FROM generate_series(1, $1::int) g`, n)
	mustExec(b, conn, `ANALYZE write_src`)

	indexes := definitions(b, conn, `SELECT indexdef, indisunique, indisprimary FROM pg_indexes i
		JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid
		WHERE i.tablename = 'leads' ORDER BY i.indexname`)
	fks := definitions(b, conn, `SELECT 'ALTER TABLE %s ADD FOREIGN KEY ' || substr(pg_get_constraintdef(oid), 13), false, false
		FROM pg_constraint WHERE conrelid = 'leads'::regclass AND contype = 'f' ORDER BY conname`)

	// Each step's statements are format strings for the table's name.
	steps := []struct {
		name string
		ddl  []string
	}{
		{"heap", nil},
		{"primary-key", onTable(indexes.where(true, true))},
		{"unique-indexes", onTable(indexes.where(true, false))},
		{"all-indexes", onTable(indexes.where(false, false))},
		{"foreign-keys", fks.all()},
	}
	var ddl []string
	for i, s := range steps {
		ddl = append(ddl, s.ddl...)
		stepDDL := append([]string(nil), ddl...)
		b.Run(fmt.Sprintf("%d-%s", i+1, s.name), func(b *testing.B) {
			var total time.Duration
			for range b.N {
				b.StopTimer()
				table := fmt.Sprintf("write_cost_%d", i+1)
				mustExec(b, conn, `DROP TABLE IF EXISTS `+table)
				mustExec(b, conn, `CREATE TABLE `+table+` (LIKE leads INCLUDING DEFAULTS)`)
				for _, d := range stepDDL {
					mustExec(b, conn, fmt.Sprintf(d, table))
				}
				mustExec(b, conn, `CHECKPOINT`)
				b.StartTimer()
				start := time.Now()
				mustExec(b, conn, `INSERT INTO `+table+` (id, tenant_id, seq, name, phone, email, company, source, source_detail,
					status, score, attributes, stage_id, pool_id, reachable, locked, created_at, updated_at)
				SELECT id, $1, seq, name, phone, email, company, 'import', '', 'ACTIVE', 0, attributes, $2, $3, reachable, false, now(), now()
				FROM write_src ORDER BY seq`, tid, w.stage, w.pool)
				total += time.Since(start)
				b.StopTimer()
				mustExec(b, conn, `DROP TABLE `+table)
				b.StartTimer()
			}
			per := total / time.Duration(b.N*n)
			b.ReportMetric(float64(b.N*n)/total.Seconds(), "rows/s")
			b.ReportMetric(float64(per.Nanoseconds())/1000, "µs/row")
		})
	}
}

// schemaDefs are index or constraint definitions of leads.
type schemaDefs []struct {
	def             string
	unique, primary bool
}

// where returns the primary key's definition (primary), or those of the
// other indexes that are unique (unique) or not.
func (d schemaDefs) where(unique, primary bool) []string {
	var out []string
	for _, x := range d {
		if x.primary == primary && (primary || x.unique == unique) {
			out = append(out, x.def)
		}
	}
	return out
}

func (d schemaDefs) all() []string {
	out := make([]string, len(d))
	for i, x := range d {
		out[i] = x.def
	}
	return out
}

func definitions(b *testing.B, conn *sql.Conn, q string) schemaDefs {
	b.Helper()
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out schemaDefs
	for rows.Next() {
		var x struct {
			def             string
			unique, primary bool
		}
		if err := rows.Scan(&x.def, &x.unique, &x.primary); err != nil {
			b.Fatal(err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		b.Fatalf("read the definitions of leads: %v (%d found)", err, len(out))
	}
	return out
}

var indexOn = regexp.MustCompile(`^CREATE (UNIQUE )?INDEX \S+ ON public\.leads `)

// onTable turns CREATE INDEX statements on leads into format strings for
// another table, with the index named by PostgreSQL.
func onTable(defs []string) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = indexOn.ReplaceAllString(d, "CREATE ${1}INDEX ON %s ")
	}
	return out
}

func mustExec(b *testing.B, conn *sql.Conn, q string, args ...any) {
	b.Helper()
	if _, err := conn.ExecContext(context.Background(), q, args...); err != nil {
		b.Fatalf("%v\n%s", err, q)
	}
}
