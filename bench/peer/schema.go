package peer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// Schema is the bench-only schema PostGraphile serves. Only the benchmark
// creates it, in its own database.
const Schema = "bench_peer"

// Field is a custom field PostGraphile serves as a computed column of Lead
// (a SQL function of the row that reads the attributes JSONB as scrm
// stores them).
type Field struct {
	Key string
	// Number reads a NUMBER field (double precision, as scrm's Float);
	// otherwise the field is text (TEXT, SELECT).
	Number bool
	// Filterable lets the field be a condition of allLeads.
	Filterable bool
}

// Prepare creates the schema: views over leads, users, stages, tags and
// lead_tags restricted to the tenant of the transaction's setting
// bench_peer.tenant_id (the server sets it on every request; without it a
// query fails), the relations between them as smart tags (views have no
// constraints), and the fields as computed columns. The views are simple,
// so PostgreSQL plans a query over them as over the tables, with the same
// indexes scrm's queries use.
func Prepare(ctx context.Context, db *sql.DB, fields []Field) error {
	tenant := `tenant_id = current_setting('bench_peer.tenant_id')::uuid`
	stmts := []string{
		`DROP SCHEMA IF EXISTS bench_peer CASCADE`,
		`CREATE SCHEMA bench_peer`,
		`CREATE VIEW bench_peer.users AS SELECT id, name FROM public.users WHERE ` + tenant,
		`CREATE VIEW bench_peer.stages AS SELECT id, name FROM public.stages WHERE ` + tenant,
		`CREATE VIEW bench_peer.tags AS SELECT id, name FROM public.tags WHERE ` + tenant,
		`CREATE VIEW bench_peer.leads AS SELECT id, seq, name, phone, score, created_at, owner_id, stage_id, attributes
			FROM public.leads WHERE ` + tenant,
		`CREATE VIEW bench_peer.lead_tags AS SELECT lead_id, tag_id FROM public.lead_tags WHERE ` + tenant,
		`COMMENT ON VIEW bench_peer.users IS '@primaryKey id'`,
		`COMMENT ON VIEW bench_peer.stages IS '@primaryKey id'`,
		`COMMENT ON VIEW bench_peer.tags IS '@primaryKey id'`,
		`COMMENT ON VIEW bench_peer.leads IS E'@primaryKey id\n@foreignKey (owner_id) references bench_peer.users (id)\n@foreignKey (stage_id) references bench_peer.stages (id)'`,
		`COMMENT ON VIEW bench_peer.lead_tags IS E'@primaryKey lead_id,tag_id\n@foreignKey (lead_id) references bench_peer.leads (id)\n@foreignKey (tag_id) references bench_peer.tags (id)'`,
	}
	for _, f := range fields {
		fn := pq.QuoteIdentifier("leads_" + f.Key)
		key := pq.QuoteLiteral(f.Key)
		body, typ := "SELECT l.attributes ->> "+key, "text"
		if f.Number {
			body = fmt.Sprintf("SELECT CASE WHEN jsonb_typeof(l.attributes -> %[1]s) = 'number' THEN (l.attributes ->> %[1]s)::float8 END", key)
			typ = "double precision"
		}
		stmts = append(stmts, fmt.Sprintf(`CREATE FUNCTION bench_peer.%s(l bench_peer.leads) RETURNS %s LANGUAGE sql STABLE PARALLEL SAFE AS $$ %s $$`, fn, typ, body))
		if f.Filterable {
			stmts = append(stmts, fmt.Sprintf(`COMMENT ON FUNCTION bench_peer.%s(bench_peer.leads) IS '@behavior +condition:proc:filterBy'`, fn))
		}
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("peer: %s: %w", strings.SplitN(s, "\n", 2)[0], err)
		}
	}
	return nil
}
