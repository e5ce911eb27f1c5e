// Package dataset generates a benchmark workspace, set-based and
// deterministically for a seed: reps, custom fields, tags, leads with values
// for every field, and behaviour events in the monthly partitions. `scrm
// bench seed` and the benchmarks of bench/ use it; the default size is the
// one issue #11 names (1,000,000 leads, 10,000,000 events, 50 custom
// fields, 200 tags, 100 reps).
package dataset

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	entpool "github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/workspace"
)

// Spec is the size and seed of a data set.
type Spec struct {
	Slug   string
	Leads  int
	Events int
	// Fields is the number of custom fields, at least 1: the first is the
	// NUMBER field budget, the second the SELECT city, the rest cycle
	// through TEXT, NUMBER, SELECT, DATE, BOOLEAN and MULTI_SELECT.
	Fields int
	// Tags is the number of tags, at least 1: the first is "hot".
	Tags int
	// Reps own 60% of the leads (none when 0); the rest wait in the public pool.
	Reps int
	Seed int
	// Now anchors every time: leads are created 90 days before it, events
	// fall in the 60 days before it.
	Now time.Time
	// Password of the admin and the reps.
	Password string
	// Listable gives every lead a distinct mobile phone (+86139 and its seq
	// in 8 digits) and a creation time one millisecond after the previous
	// lead's (the time in its id), so a list ordered newest first, as the web
	// app's is, has one order (the read-path benchmark of issue #21). Without
	// it leads have no phone and all share one creation time.
	Listable bool
}

// Default is issue #11's size.
func Default() Spec {
	return Spec{Slug: "bench", Leads: 1_000_000, Events: 10_000_000, Fields: 50, Tags: 200, Reps: 100, Seed: 1,
		Now: time.Now().UTC().Truncate(time.Hour), Password: "bench-password"}
}

// Dataset is what Generate made.
type Dataset struct {
	Workspace *workspace.Created
	Fields    []*ent.FieldDefinition
	Tags      []*ent.Tag // Tags[0] is "hot"
	Reps      []*ent.User
}

// Hot is the tag on 30% of the leads.
func (d *Dataset) Hot() uuid.UUID { return d.Tags[0].ID }

// Generate creates the workspace spec.Slug and fills it. log receives one
// line per step with its row count and time (progress for large sets).
func Generate(ctx context.Context, db *sql.DB, client *ent.Client, spec Spec, log func(format string, args ...any)) (*Dataset, error) {
	if spec.Leads < 1 || spec.Fields < 1 || spec.Tags < 1 || spec.Events < 0 || spec.Reps < 0 {
		return nil, fmt.Errorf("dataset: need at least 1 lead, 1 field and 1 tag (got %+v)", spec)
	}
	if spec.Fields > 50 {
		return nil, fmt.Errorf("dataset: at most 50 custom fields (jsonb_build_object takes 100 arguments), got %d", spec.Fields)
	}
	if spec.Password == "" {
		spec.Password = "bench-password"
	}
	w, err := workspace.Create(ctx, client, workspace.Spec{Slug: spec.Slug, Name: spec.Slug, AdminName: "Bench admin",
		AdminEmail: "admin@" + spec.Slug + ".test", AdminPassword: spec.Password, Timezone: "Asia/Shanghai"})
	if err != nil {
		return nil, err
	}
	tctx := tenant.NewContext(ctx, w.Workspace.ID)
	d := &Dataset{Workspace: w}
	g := generator{ctx: ctx, db: db, log: log, seed: spec.Seed, now: spec.Now, tid: w.Workspace.ID}
	all := time.Now()

	services, err := app.New(ctx, app.Config{Client: client})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for i := range spec.Reps {
		u, err := services.Org.CreateUser(tctx, org.UserInput{Name: fmt.Sprintf("销售 %03d", i+1),
			Email: fmt.Sprintf("rep%03d@%s.test", i+1, spec.Slug), Password: spec.Password, Roles: []string{"rep"}})
		if err != nil {
			return nil, fmt.Errorf("create rep %d: %w", i+1, err)
		}
		d.Reps = append(d.Reps, u)
	}
	log("reps: %d in %v", spec.Reps, time.Since(start).Round(time.Millisecond))

	fd := services.Fields
	for i := range spec.Fields {
		in := fieldInput(i)
		f, err := fd.Create(tctx, in)
		if err != nil {
			return nil, fmt.Errorf("create field %s: %w", in.Key, err)
		}
		d.Fields = append(d.Fields, f)
	}
	tags := make([]*ent.TagCreate, spec.Tags)
	for i := range tags {
		name := fmt.Sprintf("tag%03d", i)
		if i == 0 {
			name = "hot"
		}
		tags[i] = client.Tag.Create().SetName(name)
	}
	if d.Tags, err = client.Tag.CreateBulk(tags...).Save(tctx); err != nil {
		return nil, err
	}
	p, err := client.Pool.Query().Where(entpool.IsDefault(true)).Only(tctx)
	if err != nil {
		return nil, err
	}
	st, err := client.Stage.Query().Where(stage.Key("new")).Only(tctx)
	if err != nil {
		return nil, err
	}
	reps := make(pq.StringArray, len(d.Reps))
	for i, u := range d.Reps {
		reps[i] = u.ID.String()
	}

	created, phone := "$2::timestamptz - interval '90 days'", "NULL"
	if spec.Listable {
		created = "$2::timestamptz - interval '90 days' + (g - 1) * interval '1 millisecond'"
		phone = "'+86139' || lpad(g::text, 8, '0')"
	}
	owner, args := "NULL::uuid", []any{g.tid, g.now, p.ID, st.ID, spec.Leads}
	if len(reps) > 0 {
		owner = fmt.Sprintf("CASE WHEN %s %% 10 < 6 THEN ($6::uuid[])[1 + %s %% cardinality($6::uuid[])] END", g.hash("g", 3), g.hash("g", 7))
		args = append(args, reps)
	}
	if err := g.step("leads", `
		INSERT INTO leads (id, tenant_id, created_at, updated_at, seq, name, phone, company, source, source_detail,
			status, score, attributes, reachable, locked, pool_id, stage_id, owner_id, claimed_at)
		SELECT `+g.LeadID("g")+`, $1, `+created+`, `+created+`,
			g, '线索 ' || g, `+phone+`, '公司 ' || `+g.hash("g", 8)+` % 5000, (ARRAY['h5', 'ads', 'expo', 'referral'])[1 + `+g.hash("g", 9)+` % 4], '',
			'ACTIVE', `+g.hash("g", 2)+` % 100, `+g.attributes(d.Fields)+`, '[]', false, $3, $4, o.owner,
			CASE WHEN o.owner IS NOT NULL THEN $2::timestamptz - interval '10 days' END
		FROM generate_series(1, $5::int8) g CROSS JOIN LATERAL (SELECT `+owner+` AS owner) o`, args...); err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `UPDATE workspaces SET lead_seq = $2 WHERE id = $1`, g.tid, spec.Leads); err != nil {
		return nil, err
	}
	if err := g.step("lead_tags (hot)", `
		INSERT INTO lead_tags (tenant_id, created_at, lead_id, tag_id)
		SELECT $1, $2, l.id, $3 FROM leads l WHERE l.tenant_id = $1 AND `+g.hash("l.seq", 11)+` % 10 < 3`,
		g.tid, g.now, d.Hot()); err != nil {
		return nil, err
	}
	if len(d.Tags) > 1 {
		others := make(pq.StringArray, 0, len(d.Tags)-1)
		for _, t := range d.Tags[1:] {
			others = append(others, t.ID.String())
		}
		if err := g.step("lead_tags (others)", `
			INSERT INTO lead_tags (tenant_id, created_at, lead_id, tag_id)
			SELECT $1, $2, l.id, ($3::uuid[])[1 + `+g.hash("l.seq * 4 + j", 13)+` % cardinality($3::uuid[])]
			FROM leads l CROSS JOIN generate_series(1, 3) j
			WHERE l.tenant_id = $1 AND j <= `+g.hash("l.seq", 12)+` % 4
			ON CONFLICT DO NOTHING`,
			g.tid, g.now, others); err != nil {
			return nil, err
		}
	}
	if spec.Events > 0 {
		if err := g.events(spec.Leads, spec.Events); err != nil {
			return nil, err
		}
	}
	start = time.Now()
	// Every table, not only the big ones: users, tags and stages left
	// without statistics had the planner scan all of a workspace's users for
	// each lead of a page until autovacuum analyzed them, minutes into a
	// benchmark, so plans changed in the middle of its rounds.
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		return nil, err
	}
	log("VACUUM ANALYZE in %v; generated %d leads and %d events in %v", time.Since(start).Round(time.Millisecond),
		spec.Leads, spec.Events, time.Since(all).Round(time.Millisecond))
	return d, nil
}

// fieldInput is the i-th custom field.
func fieldInput(i int) fielddefs.Input {
	switch i {
	case 0:
		return fielddefs.Input{Key: "budget", Label: "预算", Type: fielddefinition.TypeNUMBER}
	case 1:
		return fielddefs.Input{Key: "city", Label: "城市", Type: fielddefinition.TypeSELECT, Options: cityOptions}
	}
	types := []fielddefinition.Type{fielddefinition.TypeTEXT, fielddefinition.TypeNUMBER, fielddefinition.TypeSELECT,
		fielddefinition.TypeDATE, fielddefinition.TypeBOOLEAN, fielddefinition.TypeMULTI_SELECT}
	t := types[(i-2)%len(types)]
	in := fielddefs.Input{Key: fmt.Sprintf("f%02d_%s", i, strings.ToLower(string(t))), Label: fmt.Sprintf("字段 %d", i), Type: t}
	if t == fielddefinition.TypeSELECT || t == fielddefinition.TypeMULTI_SELECT {
		in.Options = []schematype.FieldOption{{Value: "a", Label: "甲"}, {Value: "b", Label: "乙"}, {Value: "c", Label: "丙"}, {Value: "d", Label: "丁"}}
	}
	return in
}

var cityOptions = []schematype.FieldOption{
	{Value: "sh", Label: "上海"}, {Value: "bj", Label: "北京"}, {Value: "gz", Label: "广州"},
	{Value: "sz", Label: "深圳"}, {Value: "hz", Label: "杭州"}, {Value: "cd", Label: "成都"},
}

type generator struct {
	ctx  context.Context
	db   *sql.DB
	log  func(string, ...any)
	seed int
	now  time.Time
	tid  uuid.UUID
}

// hash is a deterministic, non-negative pseudo-random number of the SQL
// integer expression x: the same data on every run of a seed, and k makes
// the columns independent of each other.
func (g generator) hash(x string, k int) string {
	return fmt.Sprintf("(hashint8extended((%s)::int8, %d) & 2147483647)", x, g.seed*1000+k)
}

// LeadID is the SQL of the id of the lead whose seq is the integer
// expression seq: a UUIDv7 of type Lead whose time is the lead's creation
// (90 days before Now, one millisecond per seq) and whose other bytes are
// the md5 of the seq, so events can name their lead without a join.
func (g generator) LeadID(seq string) string {
	base := g.now.Add(-90*24*time.Hour).UnixMilli() - 1
	return fmt.Sprintf(`encode(overlay(overlay(decode(md5('lead-' || (%[1]s)), 'hex')
		placing substring(int8send(%[2]d::int8 + (%[1]s)) FROM 3) FROM 1 FOR 6)
		placing '\x7006'::bytea FROM 7 FOR 2), 'hex')::uuid`, seq, base)
}

// attributes is the SQL of a lead's custom-field values, in their
// canonical stored forms; budget is 1000 to 500,000 in steps of 1000,
// uniform, as the segment benchmark's rule expects.
func (g generator) attributes(fields []*ent.FieldDefinition) string {
	parts := make([]string, 0, 2*len(fields))
	for i, f := range fields {
		h := g.hash("g", 100+i)
		var v string
		switch {
		case f.Key == "budget":
			v = fmt.Sprintf("1000 * (1 + %s %% 500)", g.hash("g", 1))
		case f.Type == fielddefinition.TypeNUMBER:
			v = h + " % 100000"
		case f.Type == fielddefinition.TypeTEXT:
			v = fmt.Sprintf("'值 ' || %s %% 1000", h)
		case f.Type == fielddefinition.TypeSELECT:
			v = fmt.Sprintf("(ARRAY[%s])[1 + %s %% %d]", optionList(f.Options), h, len(f.Options))
		case f.Type == fielddefinition.TypeDATE:
			v = fmt.Sprintf("to_char(DATE '2026-01-01' + (%s %% 365)::int, 'YYYY-MM-DD')", h)
		case f.Type == fielddefinition.TypeBOOLEAN:
			v = h + " % 2 = 0"
		case f.Type == fielddefinition.TypeMULTI_SELECT:
			v = fmt.Sprintf("to_jsonb((ARRAY[%s])[1 : 1 + %s %% %d])", optionList(f.Options), h, len(f.Options))
		default:
			v = "NULL"
		}
		parts = append(parts, pq.QuoteLiteral(f.Key), v)
	}
	return "jsonb_build_object(" + strings.Join(parts, ", ") + ")"
}

func optionList(opts []schematype.FieldOption) string {
	vs := make([]string, len(opts))
	for i, o := range opts {
		vs[i] = pq.QuoteLiteral(o.Value)
	}
	return strings.Join(vs, ", ")
}

func (g generator) step(what, query string, args ...any) error {
	start := time.Now()
	res, err := g.db.ExecContext(g.ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	rows, _ := res.RowsAffected()
	g.log("%s: %d rows in %v", what, rows, time.Since(start).Round(time.Millisecond))
	return nil
}

// events writes m events over the 60 days before Now, evenly spaced in
// time, in the monthly partitions: 40% viewed_ad, 30% page_view, 10% each
// of form_submit, call and email_open; 80% of them by an "active" tenth of
// the leads, 20% by any lead. The secondary indexes of events are dropped
// for the load and built again after it (faster than row by row).
func (g generator) events(n, m int) error {
	parts, err := events.EnsurePartitions(g.ctx, g.db, g.now.AddDate(0, -3, 0), 3)
	if err != nil {
		return err
	}
	g.log("event partitions: %v", parts)
	active := max(n/10, 1)
	lead := fmt.Sprintf("(1 + ((CASE WHEN %s %% 10 < 8 THEN %s %% %d ELSE %s %% %d END) * 1000003 + 7) %% %d)",
		g.hash("i", 5), g.hash("i", 6), active, g.hash("i", 6), n, n)
	rebuild, err := g.dropEventIndexes()
	if err != nil {
		return err
	}
	if err := g.step("events", `
		INSERT INTO events (tenant_id, id, lead_id, name, properties, occurred_at, received_at, source)
		SELECT $1,
			encode(overlay(overlay(decode(md5('event-' || i), 'hex')
				placing substring(int8send((extract(epoch FROM t.at) * 1000)::int8) FROM 3) FROM 1 FOR 6)
				placing '\x7018'::bytea FROM 7 FOR 2), 'hex')::uuid,
			`+g.LeadID(lead)+`,
			(ARRAY['viewed_ad', 'viewed_ad', 'viewed_ad', 'viewed_ad', 'page_view', 'page_view', 'page_view',
				'form_submit', 'call', 'email_open'])[1 + `+g.hash("i", 4)+` % 10],
			'{}', t.at, t.at, 'bench'
		FROM generate_series(1, $3::int8) i
		CROSS JOIN LATERAL (SELECT $2::timestamptz - interval '60 days'
			+ ((i - 1) * 5184000.0 / $3::int8)::float8 * interval '1 second' AS at) t`,
		g.tid, g.now, m); err != nil {
		return err
	}
	return rebuild()
}

// dropEventIndexes drops the secondary indexes of events and returns the
// function that creates them again as they were.
func (g generator) dropEventIndexes() (func() error, error) {
	rows, err := g.db.QueryContext(g.ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'events'::regclass AND NOT i.indisprimary`)
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := g.db.ExecContext(g.ctx, `DROP INDEX `+pq.QuoteIdentifier(name)); err != nil {
			return nil, err
		}
	}
	return func() error {
		start := time.Now()
		conn, err := g.db.Conn(g.ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(g.ctx, `SET maintenance_work_mem = '256MB'`); err != nil {
			return err
		}
		for _, def := range defs {
			// The definition of a partitioned index reads "ON ONLY events":
			// without ONLY it is built on every partition as well.
			if _, err := conn.ExecContext(g.ctx, strings.Replace(def, " ON ONLY ", " ON ", 1)); err != nil {
				return err
			}
		}
		g.log("event indexes %v built in %v", names, time.Since(start).Round(time.Millisecond))
		return nil
	}, nil
}
