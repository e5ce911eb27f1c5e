package bench_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/bench"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/importer"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// benchRows is the import size: SCRM_BENCH_ROWS, default 1,000,000.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("SCRM_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// BenchmarkImportVsCopy imports generated rows (about 10% duplicates, 2%
// invalid phones, two custom fields) through the ingest service, in batches
// of 2000 with 2 in flight, exactly as `scrm import` does (CSV file, column
// mapping, idempotency keys, state file), and, in the same run,
// COPYs the same raw rows into an unindexed table: the floor no import can
// beat. It reports both rates and their ratio.
func BenchmarkImportVsCopy(b *testing.B) {
	n := benchRows()
	rows := bench.Leads(n, 42, 0.10, 0.02)
	db := testenv.NewDatabase(b)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		copyRate := copyRows(b, db, rows)
		ctx, in := newWorkspace(b, db)
		path := writeCSV(b, rows)
		b.StartTimer()
		start := time.Now()
		sum, err := importer.Run(ctx, importer.Options{Path: path, Mapping: benchMapping(b), Concurrency: benchWorkers(), BatchSize: benchBatch(),
			FirstBatchSize: min(benchBatch(), importer.FileFirstBatchSize)},
			func(ctx context.Context, batch leads.Batch) (*leads.Result, error) { return in.IngestFile(ctx, batch) })
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		created, merged, rejected := sum.Created, sum.Merged, sum.Rejected
		rate := float64(n) / elapsed.Seconds()
		ceilRate := ceilingRows(b, db, ctx)
		b.ReportMetric(rate, "import-rows/s")
		b.ReportMetric(copyRate, "copy-rows/s")
		b.ReportMetric(rate/copyRate, "import/copy")
		b.ReportMetric(ceilRate*float64(n)/float64(created), "ceiling-rows/s")
		b.ReportMetric(ceilRate/copyRate*float64(n)/float64(created), "ceiling/copy")
		b.ReportMetric(rate/(ceilRate*float64(n)/float64(created)), "import/ceiling")
		b.ReportMetric(float64(created), "created")
		b.ReportMetric(float64(merged), "merged")
		b.ReportMetric(float64(rejected), "rejected")
	}
}

// ceilingRows measures the least any import into leads has to do: the
// leads the import created (already clean and distinct) are inserted again,
// with ids in the same time order, into the default stage and pool of a new
// workspace, by one INSERT … SELECT in one transaction: the same table, with
// all its indexes and foreign keys, and no cleaning, matching, merging,
// idempotency or round trips. It returns leads written per second; the
// caller scales it to input rows (the import also reads and rejects or
// merges the rest).
func ceilingRows(b *testing.B, db *testenv.Database, imported context.Context) float64 {
	b.Helper()
	from, _ := tenant.FromContext(imported)
	w := newLeadTarget(b, db)
	defer w.conn.Close()
	ctx, to, conn := w.ctx, w.tid, w.conn
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE ceiling_src AS
		SELECT id, seq, name, phone, email, union_id, open_id, external_id, company, source, source_detail, attributes, reachable
		FROM leads WHERE tenant_id = $1`, from); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO leads (id, tenant_id, seq, name, phone, email, union_id, open_id, external_id,
		company, source, source_detail, status, score, attributes, stage_id, pool_id, reachable, locked, created_at, updated_at)
	SELECT (left(s.id::text, 24) || lpad(to_hex(s.seq), 12, '0'))::uuid, $1, s.seq, s.name, s.phone, s.email, s.union_id, s.open_id,
		s.external_id, s.company, s.source, s.source_detail, 'ACTIVE', 0, s.attributes, $2, $3, s.reachable, false, now(), now()
	FROM ceiling_src s ORDER BY s.seq`, to, w.stage, w.pool)
	if err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	written, _ := res.RowsAffected()
	if written == 0 {
		b.Fatal("the ceiling wrote no leads")
	}
	return float64(written) / elapsed.Seconds()
}

// leadTarget is a new workspace to write leads into directly: its default
// stage and pool, and one connection (for temporary tables).
type leadTarget struct {
	ctx         context.Context
	tid         uuid.UUID
	stage, pool uuid.UUID
	conn        *sql.Conn
}

func newLeadTarget(b *testing.B, db *testenv.Database) leadTarget {
	b.Helper()
	ctx, _ := newWorkspace(b, db)
	tid, _ := tenant.FromContext(ctx)
	st, err := pipeline.DefaultStage(ctx, db.Client)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := db.Client.Pool.Query().Where(pool.IsDefault(true)).Only(ctx)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := db.DB.Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return leadTarget{ctx: ctx, tid: tid, stage: st.ID, pool: pl.ID, conn: conn}
}

// copyRows COPYs the raw rows into a fresh unindexed table and returns rows/s.
func copyRows(b *testing.B, db *testenv.Database, rows []bench.LeadRow) float64 {
	b.Helper()
	if _, err := db.DB.Exec(`DROP TABLE IF EXISTS copy_anchor; CREATE UNLOGGED TABLE copy_anchor (name text, phone text, email text, company text, source text, budget text, city text)`); err != nil {
		b.Fatal(err)
	}
	// A logged table, like leads: UNLOGGED would flatter the anchor.
	if _, err := db.DB.Exec(`ALTER TABLE copy_anchor SET LOGGED`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	tx, err := db.DB.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(pq.CopyIn("copy_anchor", bench.LeadHeader...))
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range rows {
		if _, err := stmt.Exec(r.Name, r.Phone, r.Email, r.Company, r.Source, r.Budget, r.City); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := stmt.Exec(); err != nil {
		b.Fatal(err)
	}
	if err := stmt.Close(); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return float64(len(rows)) / time.Since(start).Seconds()
}

func newWorkspace(b *testing.B, db *testenv.Database) (context.Context, *leads.Ingester) {
	b.Helper()
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	slug := "bench" + hex.EncodeToString(buf)
	w, err := workspace.Create(context.Background(), db.Client, workspace.Spec{Slug: slug, Name: slug,
		AdminName: "a", AdminEmail: "a@" + slug + ".test", AdminPassword: "password-123"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := tenant.NewContext(context.Background(), w.Workspace.ID)
	fd := fielddefs.New(db.Client, nil)
	opts := make([]schematype.FieldOption, len(bench.Cities))
	for i, c := range bench.Cities {
		opts[i] = schematype.FieldOption{Value: c, Label: c}
	}
	if _, err := fd.Create(ctx, fielddefs.Input{Key: "budget", Label: "预算", Type: fielddefinition.TypeNUMBER}); err != nil {
		b.Fatal(err)
	}
	if _, err := fd.Create(ctx, fielddefs.Input{Key: "city", Label: "城市", Type: fielddefinition.TypeSELECT, Options: opts}); err != nil {
		b.Fatal(err)
	}
	return ctx, &leads.Ingester{Client: db.Client, Fields: fd}
}

// writeCSV writes rows to a CSV file as an export from another system would.
func writeCSV(b *testing.B, rows []bench.LeadRow) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "leads.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := csv.NewWriter(bufio.NewWriter(f))
	_ = w.Write(bench.LeadHeader)
	for _, r := range rows {
		_ = w.Write(r.Record())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchMapping(b *testing.B) *importer.Mapping {
	b.Helper()
	m, err := importer.ParseMapping([]byte("columns:\n  name: name\n  phone: phone\n  email: email\n  company: company\n  source: source\n  budget: attributes.budget\n  city: attributes.city\n"))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchBatch is the rows per batch: SCRM_BENCH_BATCH, default
// importer.FileBatchSize, as `scrm import` sends them.
func benchBatch() int {
	if n, err := strconv.Atoi(os.Getenv("SCRM_BENCH_BATCH")); err == nil && n > 0 {
		return n
	}
	return importer.FileBatchSize
}

// benchWorkers is the number of concurrent batches: SCRM_BENCH_WORKERS, default 2.
func benchWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("SCRM_BENCH_WORKERS")); err == nil && n > 0 {
		return n
	}
	return 2
}
