package bench_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	entpool "github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// segNow is the clock of the segment benchmarks: events are spread evenly
// over the 60 days before it.
var segNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// benchEvents is the number of generated events: SCRM_BENCH_EVENTS, default
// ten per lead.
func benchEvents(leads int) int {
	if n, err := strconv.Atoi(os.Getenv("SCRM_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 10 * leads
}

// segWorkspace is the generated workspace of the segment benchmarks.
type segWorkspace struct {
	db     *testenv.Database
	ctx    context.Context
	tid    uuid.UUID
	svc    *segment.Service
	hot    uuid.UUID // the tag of the three-condition rule
	leads  int
	events int
}

// hashOf is a deterministic, non-negative pseudo-random number of the SQL
// integer expression x: the same data on every run, and seed makes the
// columns independent of each other.
func hashOf(x string, seed int) string {
	return fmt.Sprintf("(hashint8extended((%s)::int8, %d) & 2147483647)", x, seed)
}

// leadID is the SQL of the id of the lead whose seq is the integer
// expression seq: a UUIDv7 of type Lead whose time is the lead's creation
// (90 days before segNow, one millisecond per seq) and whose other bytes are
// the md5 of the seq, so events can name their lead without a join.
func leadID(seq string) string {
	base := segNow.Add(-90*24*time.Hour).UnixMilli() - 1
	return fmt.Sprintf(`encode(overlay(overlay(decode(md5('lead-' || (%[1]s)), 'hex')
		placing substring(int8send(%[2]d::int8 + (%[1]s)) FROM 3) FROM 1 FOR 6)
		placing '\x7006'::bytea FROM 7 FOR 2), 'hex')::uuid`, seq, base)
}

// newSegWorkspace generates, set-based and deterministically:
//
//   - n leads (seq 1..n, all ACTIVE), the custom NUMBER field budget
//     (1000 to 500,000 in steps of 1000, uniform) and score 0..99 (uniform);
//   - 200 tags: "hot" on 30% of the leads, and 0 to 3 (1.5 on average) of
//     the 199 others on every lead;
//   - m events over the 60 days before segNow, evenly spaced in time, in
//     the monthly partitions: 40% viewed_ad, 30% page_view, 10% each of
//     form_submit, call and email_open; 80% of them by an "active" tenth of
//     the leads, 20% by any lead.
func newSegWorkspace(b *testing.B, n, m int) *segWorkspace {
	b.Helper()
	db := testenv.NewDatabase(b)
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	slug := "seg" + hex.EncodeToString(buf)
	w, err := workspace.Create(context.Background(), db.Client, workspace.Spec{Slug: slug, Name: slug,
		AdminName: "a", AdminEmail: "a@" + slug + ".test", AdminPassword: "password-123", Timezone: "Asia/Shanghai"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := tenant.NewContext(context.Background(), w.Workspace.ID)
	sw := &segWorkspace{db: db, ctx: ctx, tid: w.Workspace.ID, leads: n, events: m}
	fd := fielddefs.New(db.Client, nil)
	if _, err := fd.Create(ctx, db.Client, fielddefs.Input{Key: "budget", Label: "预算", Type: fielddefinition.TypeNUMBER}); err != nil {
		b.Fatal(err)
	}
	sw.svc = &segment.Service{Client: db.Client, Fields: fd, Now: func() time.Time { return segNow }}
	p, err := db.Client.Pool.Query().Where(entpool.IsDefault(true)).Only(ctx)
	if err != nil {
		b.Fatal(err)
	}
	st, err := db.Client.Stage.Query().Where(stage.Key("new")).Only(ctx)
	if err != nil {
		b.Fatal(err)
	}
	tags := make([]*ent.TagCreate, 200)
	for i := range tags {
		name := fmt.Sprintf("tag%03d", i)
		if i == 0 {
			name = "hot"
		}
		tags[i] = db.Client.Tag.Create().SetName(name)
	}
	created, err := db.Client.Tag.CreateBulk(tags...).Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	sw.hot = created[0].ID
	others := make(pq.StringArray, 0, len(created)-1)
	for _, t := range created[1:] {
		others = append(others, t.ID.String())
	}

	step := func(what string, query string, args ...any) {
		b.Helper()
		start := time.Now()
		res, err := db.DB.Exec(query, args...)
		if err != nil {
			b.Fatalf("%s: %v", what, err)
		}
		rows, _ := res.RowsAffected()
		b.Logf("%s: %d rows in %v", what, rows, time.Since(start).Round(time.Millisecond))
	}
	all := time.Now()
	step("leads", `
		INSERT INTO leads (id, tenant_id, created_at, updated_at, seq, name, company, source, source_detail,
			status, score, attributes, reachable, locked, pool_id, stage_id)
		SELECT `+leadID("g")+`, $1, $2::timestamptz - interval '90 days', $2::timestamptz - interval '90 days',
			g, '线索 ' || g, '', 'bench', '', 'ACTIVE', `+hashOf("g", 2)+` % 100,
			jsonb_build_object('budget', 1000 * (1 + `+hashOf("g", 1)+` % 500)), '[]', false, $3, $4
		FROM generate_series(1, $5::int8) g`,
		sw.tid, segNow, p.ID, st.ID, n)
	if _, err := db.DB.Exec(`UPDATE workspaces SET lead_seq = $2 WHERE id = $1`, sw.tid, n); err != nil {
		b.Fatal(err)
	}
	step("lead_tags (hot)", `
		INSERT INTO lead_tags (tenant_id, created_at, lead_id, tag_id)
		SELECT $1, $2, l.id, $3 FROM leads l WHERE l.tenant_id = $1 AND `+hashOf("l.seq", 11)+` % 10 < 3`,
		sw.tid, segNow, sw.hot)
	step("lead_tags (others)", `
		INSERT INTO lead_tags (tenant_id, created_at, lead_id, tag_id)
		SELECT $1, $2, l.id, ($3::uuid[])[1 + `+hashOf("l.seq * 4 + j", 13)+` % cardinality($3::uuid[])]
		FROM leads l CROSS JOIN generate_series(1, 3) j
		WHERE l.tenant_id = $1 AND j <= `+hashOf("l.seq", 12)+` % 4
		ON CONFLICT DO NOTHING`,
		sw.tid, segNow, others)

	// Monthly partitions from three months back: the events land in
	// events_yYYYYmMM, not in the default partition.
	parts, err := events.EnsurePartitions(context.Background(), db.DB, segNow.AddDate(0, -3, 0), 3)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("event partitions: %v", parts)
	// Event i happens at segNow - 60 days + i × 60 days / m, by the lead of
	// seq 1 + (k × 1,000,003 + 7) mod n: a permutation of the leads, so the
	// "active" tenth (k < n/10) is spread over the whole seq range.
	active := max(n/10, 1)
	lead := fmt.Sprintf("(1 + ((CASE WHEN %s %% 10 < 8 THEN %s %% %d ELSE %s %% %d END) * 1000003 + 7) %% %d)",
		hashOf("i", 5), hashOf("i", 6), active, hashOf("i", 6), n, n)
	// The secondary indexes of events are built after the load (faster than
	// maintaining them row by row), with the definitions of the migrations.
	rebuild := dropEventIndexes(b, db)
	step("events", `
		INSERT INTO events (tenant_id, id, lead_id, name, properties, occurred_at, received_at, source)
		SELECT $1,
			encode(overlay(overlay(decode(md5('event-' || i), 'hex')
				placing substring(int8send((extract(epoch FROM t.at) * 1000)::int8) FROM 3) FROM 1 FOR 6)
				placing '\x7018'::bytea FROM 7 FOR 2), 'hex')::uuid,
			`+leadID(lead)+`,
			(ARRAY['viewed_ad', 'viewed_ad', 'viewed_ad', 'viewed_ad', 'page_view', 'page_view', 'page_view',
				'form_submit', 'call', 'email_open'])[1 + `+hashOf("i", 4)+` % 10],
			'{}', t.at, t.at, 'bench'
		FROM generate_series(1, $3::int8) i
		CROSS JOIN LATERAL (SELECT $2::timestamptz - interval '60 days'
			+ ((i - 1) * 5184000.0 / $3::int8)::float8 * interval '1 second' AS at) t`,
		sw.tid, segNow, m)
	rebuild()
	start := time.Now()
	if _, err := db.DB.Exec(`VACUUM ANALYZE leads, lead_tags, events`); err != nil {
		b.Fatal(err)
	}
	b.Logf("VACUUM ANALYZE in %v; generated %d leads and %d events in %v", time.Since(start).Round(time.Millisecond),
		n, m, time.Since(all).Round(time.Millisecond))
	return sw
}

// dropEventIndexes drops the secondary indexes of events and returns the
// function that creates them again as they were.
func dropEventIndexes(b *testing.B, db *testenv.Database) func() {
	b.Helper()
	rows, err := db.DB.Query(`SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'events'::regclass AND NOT i.indisprimary`)
	if err != nil {
		b.Fatal(err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			b.Fatal(err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	for _, name := range names {
		if _, err := db.DB.Exec(`DROP INDEX ` + pq.QuoteIdentifier(name)); err != nil {
			b.Fatal(err)
		}
	}
	return func() {
		b.Helper()
		start := time.Now()
		conn, err := db.DB.Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(context.Background(), `SET maintenance_work_mem = '256MB'`); err != nil {
			b.Fatal(err)
		}
		for _, def := range defs {
			// The definition of a partitioned index reads "ON ONLY events":
			// without ONLY it is built on every partition as well.
			if _, err := conn.ExecContext(context.Background(), strings.Replace(def, " ON ONLY ", " ON ", 1)); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("event indexes %v built in %v", names, time.Since(start).Round(time.Millisecond))
	}
}

func intp(n int) *int { return &n }

func budgetGT(v float64) segment.Rule {
	return segment.Rule{Attribute: &schematype.AttributeCondition{Key: "budget", Op: "GT", Value: v}}
}

// threeConditions is the rule of issue #8: budget > 150,000 (70% of the
// leads), tagged hot (30%), and viewed_ad at least 3 times in the last 7
// days.
func (sw *segWorkspace) threeConditions() segment.Rule {
	return segment.Rule{And: []segment.Rule{
		budgetGT(150000),
		{Tag: &schematype.TagCondition{Any: []uuid.UUID{sw.hot}}},
		{Event: &schematype.EventCondition{Name: "viewed_ad", MinCount: intp(3), WithinDays: intp(7)}},
	}}
}

// handwrittenCount is the anchor: the fastest hand-written count of the
// three-condition set we found (docs/benchmarks.md lists the shapes tried).
// The event counts are aggregated once, from the index (tenant_id, name,
// occurred_at) INCLUDE (lead_id), in a materialised CTE; the planner then
// merges them with the tag's index (tenant_id, tag_id, lead_id) and checks
// the budget of the remaining leads by primary key, never scanning leads.
const handwrittenCount = `
WITH ev AS MATERIALIZED (
  SELECT e.lead_id FROM events e
  WHERE e.tenant_id = $1 AND e.name = 'viewed_ad' AND e.occurred_at >= $2
  GROUP BY e.lead_id HAVING count(*) >= 3)
SELECT count(*) FROM ev JOIN leads l ON l.id = ev.lead_id
WHERE l.tenant_id = $1 AND l.status = 'ACTIVE'
  AND (CASE WHEN jsonb_typeof(l.attributes -> 'budget') = 'number' THEN (l.attributes ->> 'budget')::numeric END) > 150000
  AND EXISTS (SELECT 1 FROM lead_tags lt WHERE lt.tenant_id = $1 AND lt.tag_id = $3 AND lt.lead_id = l.id)`

// create saves a segment and computes it once; it returns the segment and
// how long the computation took.
func (sw *segWorkspace) create(b *testing.B, name string, r segment.Rule) (*ent.Segment, time.Duration) {
	b.Helper()
	s, err := sw.svc.Create(sw.ctx, sw.db.Client, segment.Input{Name: name, Rule: &r})
	if err != nil {
		b.Fatalf("create %s: %v", name, err)
	}
	start := time.Now()
	if err := sw.svc.Compute(sw.ctx, s.ID); err != nil {
		b.Fatalf("compute %s: %v", name, err)
	}
	took := time.Since(start)
	if s, err = sw.db.Client.Segment.Get(sw.ctx, s.ID); err != nil {
		b.Fatal(err)
	}
	return s, took
}

func msPerOp(b *testing.B) float64 {
	return float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
}

// BenchmarkSegment generates one workspace of SCRM_BENCH_LEADS leads
// (default 1,000,000) and SCRM_BENCH_EVENTS events (default ten per lead),
// outside the timer, and runs on it:
//
// Compute: the three-condition rule of issue #8 (custom attribute + tag +
// event at least 3 times in 7 days), as the fastest hand-written count
// (the anchor), as a preview (count only, and count with a sample of 10),
// and materialised by Service.Compute (evaluate, build the bitmap, store a
// new version); it reports the ratio materialised / hand-written.
//
// SetOps: two saved segments of about half the leads each (budget above
// the median; score ≥ 50), computed once; the in-memory bitmap operations
// on their members, and intersect, union and difference rules over them,
// previewed end to end through the Service (read both versions, combine,
// count, load a sample of 10 leads) and materialised.
func BenchmarkSegment(b *testing.B) {
	n := benchLeads()
	sw := newSegWorkspace(b, n, benchEvents(n))
	since := segNow.Add(-7 * 24 * time.Hour)
	rule := sw.threeConditions()

	var handMs float64
	var handCount int64
	b.Run("Compute/handwritten-count", func(b *testing.B) {
		for b.Loop() {
			if err := sw.db.DB.QueryRow(handwrittenCount, sw.tid, since, sw.hot).Scan(&handCount); err != nil {
				b.Fatal(err)
			}
		}
		handMs = msPerOp(b)
		b.ReportMetric(handMs, "ms/op")
		b.ReportMetric(float64(handCount), "members")
	})
	for _, sample := range []int{0, 10} {
		b.Run(fmt.Sprintf("Compute/preview-sample-%d", sample), func(b *testing.B) {
			var count int
			for b.Loop() {
				p, err := sw.svc.Preview(sw.ctx, sw.db.Client, "rule", &rule, sample)
				if ae, ok := apperr.As(err); ok && ae.Code == apperr.LimitExceeded {
					b.Skipf("the preview exceeded its %v timeout: %v", segment.DefaultPreviewTimeout, err)
				}
				if err != nil {
					b.Fatal(err)
				}
				count = p.Count
			}
			if int64(count) != handCount {
				b.Fatalf("preview counts %d leads, the hand-written query %d", count, handCount)
			}
			ms := msPerOp(b)
			b.ReportMetric(ms, "ms/op")
			b.ReportMetric(float64(count), "members")
			b.ReportMetric(ms/handMs, "x-handwritten")
		})
	}
	b.Run("Compute/materialise", func(b *testing.B) {
		s, err := sw.svc.Create(sw.ctx, sw.db.Client, segment.Input{Name: "three conditions", Rule: &rule})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := sw.svc.Compute(sw.ctx, s.ID); err != nil {
				b.Fatal(err)
			}
		}
		ms := msPerOp(b)
		if s, err = sw.db.Client.Segment.Get(sw.ctx, s.ID); err != nil {
			b.Fatal(err)
		}
		if int64(s.MemberCount) != handCount {
			b.Fatalf("materialised %d members, the hand-written query counts %d", s.MemberCount, handCount)
		}
		b.ReportMetric(ms, "ms/op")
		b.ReportMetric(float64(s.MemberCount), "members")
		b.ReportMetric(ms/handMs, "x-handwritten")
	})

	// Two segments of about half the leads each.
	segA, tookA := sw.create(b, "budget above the median", budgetGT(250000))
	segB, tookB := sw.create(b, "score at least 50", segment.Rule{Attribute: &schematype.AttributeCondition{Key: "score", Op: "GTE", Value: 50}})
	b.Logf("materialised A (%d members) in %v, B (%d members) in %v", segA.MemberCount, tookA.Round(time.Millisecond),
		segB.MemberCount, tookB.Round(time.Millisecond))
	bmA, err := sw.svc.Members(sw.ctx, sw.db.Client, segA)
	if err != nil {
		b.Fatal(err)
	}
	bmB, err := sw.svc.Members(sw.ctx, sw.db.Client, segB)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("bitmaps: A %d bytes, B %d bytes", bmA.GetSerializedSizeInBytes(), bmB.GetSerializedSizeInBytes())
	ops := []struct {
		name   string
		bitmap func(x, y *roaring.Bitmap) *roaring.Bitmap
		rule   segment.Rule
	}{
		{"intersect", roaring.And, segment.Rule{Intersect: []segment.Rule{{Segment: &segA.ID}, {Segment: &segB.ID}}}},
		{"union", roaring.Or, segment.Rule{Union: []segment.Rule{{Segment: &segA.ID}, {Segment: &segB.ID}}}},
		{"difference", roaring.AndNot, segment.Rule{Difference: []segment.Rule{{Segment: &segA.ID}, {Segment: &segB.ID}}}},
	}
	want := map[string]uint64{}
	for _, op := range ops {
		b.Run("SetOps/bitmap-"+op.name, func(b *testing.B) {
			var out *roaring.Bitmap
			for b.Loop() {
				out = op.bitmap(bmA, bmB)
			}
			want[op.name] = out.GetCardinality()
			b.ReportMetric(msPerOp(b), "ms/op")
			b.ReportMetric(float64(out.GetCardinality()), "members")
		})
	}
	b.Run("SetOps/load-version", func(b *testing.B) {
		for b.Loop() {
			if _, err := sw.svc.Members(sw.ctx, sw.db.Client, segA); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(msPerOp(b), "ms/op")
	})
	for _, op := range ops {
		b.Run("SetOps/preview-"+op.name, func(b *testing.B) {
			var count int
			for b.Loop() {
				p, err := sw.svc.Preview(sw.ctx, sw.db.Client, "rule", &op.rule, 10)
				if err != nil {
					b.Fatal(err)
				}
				count = p.Count
			}
			if uint64(count) != want[op.name] {
				b.Fatalf("%s previews %d members, the bitmaps give %d", op.name, count, want[op.name])
			}
			b.ReportMetric(msPerOp(b), "ms/op")
			b.ReportMetric(float64(count), "members")
		})
	}
	for _, op := range ops {
		b.Run("SetOps/materialise-"+op.name, func(b *testing.B) {
			s, err := sw.svc.Create(sw.ctx, sw.db.Client, segment.Input{Name: "A " + op.name + " B", Rule: &op.rule})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := sw.svc.Compute(sw.ctx, s.ID); err != nil {
					b.Fatal(err)
				}
			}
			ms := msPerOp(b)
			if s, err = sw.db.Client.Segment.Get(sw.ctx, s.ID); err != nil {
				b.Fatal(err)
			}
			if uint64(s.MemberCount) != want[op.name] {
				b.Fatalf("%s materialised %d members, the bitmaps give %d", op.name, s.MemberCount, want[op.name])
			}
			b.ReportMetric(ms, "ms/op")
			b.ReportMetric(float64(s.MemberCount), "members")
		})
	}
}
