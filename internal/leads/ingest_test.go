package leads_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/notification"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/sourcetouch"
	"github.com/scrmhq/scrm/ent/suppression"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fixture is one workspace and an Ingester over a fresh database.
type fixture struct {
	db     *testenv.Database
	c      *ent.Client
	ctx    context.Context
	tid    uuid.UUID
	admin  uuid.UUID
	fields *fielddefs.Service
	in     *leads.Ingester
	queued []leads.Ingested
	mu     sync.Mutex
}

func newFixture(t *testing.T, db *testenv.Database) *fixture {
	t.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	slug := "w" + hex.EncodeToString(b)
	created, err := workspace.Create(context.Background(), db.Client, workspace.Spec{
		Slug: slug, Name: slug, AdminName: "admin", AdminEmail: "admin@" + slug + ".test", AdminPassword: "password-123",
	})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	f := &fixture{db: db, c: db.Client, tid: created.Workspace.ID, admin: created.Admin.ID,
		ctx: tenant.NewContext(context.Background(), created.Workspace.ID)}
	f.fields = fielddefs.New(db.Client, nil)
	f.in = &leads.Ingester{Client: db.Client, Fields: f.fields, Queue: f, Clock: func() time.Time { return now }}
	return f
}

// LeadsIngested records what the ingester queued, as the outbox does: in
// the transaction ctx carries, so it counts once that transaction commits.
func (f *fixture) LeadsIngested(ctx context.Context, in leads.Ingested) error {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return errors.New("fixture: background work queued outside the ingest's transaction")
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			f.queued = append(f.queued, in)
			return nil
		})
	})
	return nil
}

func (f *fixture) ingest(t *testing.T, b leads.Batch) *leads.Result {
	t.Helper()
	res, err := f.in.Ingest(f.ctx, b)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

func (f *fixture) field(t *testing.T, in fielddefs.Input) {
	t.Helper()
	if _, err := f.fields.Create(f.ctx, in); err != nil {
		t.Fatalf("create field %s: %v", in.Key, err)
	}
}

func (f *fixture) activeLeads(t *testing.T) []*ent.Lead {
	t.Helper()
	ls, err := f.c.Lead.Query().Where(lead.StatusEQ(lead.StatusACTIVE)).Order(lead.BySeq()).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func statuses(res *leads.Result) string {
	s := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		s[i] = string(r.Status)
	}
	return strings.Join(s, ",")
}

func TestIngestCleansCreatesAndDedups(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.field(t, fielddefs.Input{Key: "budget", Label: "预算", Type: fielddefinition.TypeNUMBER})
	f.field(t, fielddefs.Input{Key: "city", Label: "城市", Type: fielddefinition.TypeSELECT,
		Options: []schematype.FieldOption{{Value: "sh", Label: "上海"}, {Value: "bj", Label: "北京"}}})

	res := f.ingest(t, leads.Batch{Source: "form", Rows: []leads.Row{
		{Name: "  张三 ", Phone: "138 1234 5678", Attributes: map[string]any{"budget": "12000", "city": "上海"}, Tags: []string{"展会", "VIP"}},
		{Name: "李四", Email: " Li.Si@Example.COM ", Company: "Acme"},
		{Name: "张三 again", Phone: "+86 13812345678", Email: "zs@example.com", Attributes: map[string]any{"budget": 99, "city": "bj"}, Tags: []string{"展会", "复购"}},
		{Name: "bad", Phone: "12345"},
		{Name: "no identity"},
		{Phone: "13900000001", Attributes: map[string]any{"budget": "lots", "nope": 1}},
	}})
	if got, want := statuses(res), "CREATED,CREATED,MERGED,REJECTED,REJECTED,REJECTED"; got != want {
		t.Fatalf("statuses %s, want %s; %+v", got, want, res.Rows)
	}
	if res.Created != 2 || res.Merged != 1 || res.Rejected != 3 {
		t.Fatalf("counts %d/%d/%d", res.Created, res.Merged, res.Rejected)
	}
	if res.Rows[2].LeadID != res.Rows[0].LeadID {
		t.Fatalf("row 2 merged into %s, want row 0's lead %s", res.Rows[2].LeadID, res.Rows[0].LeadID)
	}
	wantErrors(t, res.Rows[3], "phone:INVALID_VALUE")
	wantErrors(t, res.Rows[4], ":NO_IDENTITY")
	wantErrors(t, res.Rows[5], "attributes.budget:INVALID_VALUE", "attributes.nope:UNKNOWN_FIELD")

	ls := f.activeLeads(t)
	if len(ls) != 2 {
		t.Fatalf("%d active leads, want 2", len(ls))
	}
	zs := ls[0]
	if zs.Name != "张三" || *zs.Phone != "+8613812345678" || zs.Email == nil || *zs.Email != "zs@example.com" || zs.Source != "form" {
		t.Fatalf("lead 0 = %q %v %v %q", zs.Name, zs.Phone, zs.Email, zs.Source)
	}
	// The first row wins field by field; later rows fill what it left empty.
	if zs.Attributes["budget"] != float64(12000) || zs.Attributes["city"] != "sh" {
		t.Fatalf("attributes %v", zs.Attributes)
	}
	if got := strings.Join(zs.Reachable, ","); got != "PHONE,SMS,EMAIL" {
		t.Fatalf("reachable %s", got)
	}
	if zs.StageID == nil || zs.PoolID == nil {
		t.Fatalf("new lead has stage %v pool %v, want the defaults", zs.StageID, zs.PoolID)
	}
	if *ls[1].Email != "li.si@example.com" || strings.Join(ls[1].Reachable, ",") != "EMAIL" {
		t.Fatalf("lead 1 = %v %v", ls[1].Email, ls[1].Reachable)
	}
	tags, err := zs.QueryTags().All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range tags {
		names = append(names, tg.Name)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "VIP,复购,展会" {
		t.Fatalf("tags %v", names)
	}
	// The duplicate row left a touch and a lead.duplicate event.
	n, err := f.c.SourceTouch.Query().Where(sourcetouch.LeadID(zs.ID), sourcetouch.Duplicate(true)).Count(f.ctx)
	if err != nil || n != 1 {
		t.Fatalf("%d touches (%v), want 1", n, err)
	}
	if n := countEvents(t, f, zs.ID, "lead.duplicate"); n != 1 {
		t.Fatalf("%d lead.duplicate events, want 1", n)
	}
	if len(f.queued) != 1 || len(f.queued[0].Created) != 2 {
		t.Fatalf("queued %+v, want the 2 new leads", f.queued)
	}

	// A later batch merges into the existing lead: empty fields are filled,
	// existing values and attributes win, tags are added.
	res = f.ingest(t, leads.Batch{Source: "ads", Rows: []leads.Row{
		{Email: "LI.SI@example.com", Phone: "13700000000", Name: "ignored", Company: "Other",
			Attributes: map[string]any{"budget": 5}, Tags: []string{"VIP"}},
	}})
	if statuses(res) != "MERGED" || res.Rows[0].LeadID != ls[1].ID {
		t.Fatalf("second batch %+v", res.Rows)
	}
	li, err := f.c.Lead.Get(f.ctx, ls[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if li.Name != "李四" || li.Company != "Acme" || li.Phone == nil || *li.Phone != "+8613700000000" || li.Attributes["budget"] != float64(5) || li.Source != "form" {
		t.Fatalf("merged lead = %q %q %v %v %q", li.Name, li.Company, li.Phone, li.Attributes, li.Source)
	}
	if got := strings.Join(li.Reachable, ","); got != "PHONE,SMS,EMAIL" {
		t.Fatalf("reachable after merge %s", got)
	}
}

func wantErrors(t *testing.T, r leads.RowResult, want ...string) {
	t.Helper()
	var got []string
	for _, e := range r.Errors {
		got = append(got, e.Field+":"+e.Code)
		if e.Message == "" {
			t.Errorf("row %d: error %s:%s has no message", r.Index, e.Field, e.Code)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") || r.LeadID != uuid.Nil {
		t.Fatalf("row %d errors %v (lead %s), want %v", r.Index, got, r.LeadID, want)
	}
}

func countEvents(t *testing.T, f *fixture, leadID uuid.UUID, name string) int {
	t.Helper()
	var n int
	if err := f.db.DB.QueryRow(`SELECT count(*) FROM events WHERE tenant_id = $1 AND lead_id = $2 AND name = $3`, f.tid, leadID, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIngestConcurrentOverlappingBatches(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	// 20 batches of 60 rows over 300 people: each person is in about 4
	// batches, under different identity mixes (phone only, email only, both).
	const people, batches, perBatch = 300, 20, 60
	var wg sync.WaitGroup
	errs := make([]error, batches)
	for b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rows []leads.Row
			for i := range perBatch {
				p := (b*37 + i*7) % people
				r := leads.Row{Name: fmt.Sprintf("p%d", p)}
				switch (b + i) % 3 {
				case 0:
					r.Phone = fmt.Sprintf("1380000%04d", p)
				case 1:
					r.Email = fmt.Sprintf("p%d@example.com", p)
				default:
					r.Phone, r.Email = fmt.Sprintf("1380000%04d", p), fmt.Sprintf("p%d@example.com", p)
				}
				rows = append(rows, r)
			}
			_, errs[b] = f.in.Ingest(f.ctx, leads.Batch{Rows: rows})
		}()
	}
	wg.Wait()
	for b, err := range errs {
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
	}
	// Exactly one active lead per phone and per email, and every person seen
	// is there. (A person first seen by email only and by phone only in
	// separate batches may legitimately be two leads until a row with both
	// arrives; the unique indexes guarantee no identity is held twice.)
	var dupPhones, dupEmails, total int
	if err := db.DB.QueryRow(`SELECT
		(SELECT count(*) FROM (SELECT phone FROM leads WHERE tenant_id = $1 AND status = 'ACTIVE' AND phone IS NOT NULL GROUP BY phone HAVING count(*) > 1) d),
		(SELECT count(*) FROM (SELECT email FROM leads WHERE tenant_id = $1 AND status = 'ACTIVE' AND email IS NOT NULL GROUP BY email HAVING count(*) > 1) d),
		(SELECT count(*) FROM leads WHERE tenant_id = $1)`, f.tid).Scan(&dupPhones, &dupEmails, &total); err != nil {
		t.Fatal(err)
	}
	if dupPhones != 0 || dupEmails != 0 {
		t.Fatalf("%d phones and %d emails held by more than one lead", dupPhones, dupEmails)
	}
	var seen map[int]bool = map[int]bool{}
	for b := range batches {
		for i := range perBatch {
			seen[(b*37+i*7)%people] = true
		}
	}
	var persons int
	if err := db.DB.QueryRow(`SELECT count(DISTINCT name) FROM leads WHERE tenant_id = $1`, f.tid).Scan(&persons); err != nil {
		t.Fatal(err)
	}
	if persons != len(seen) {
		t.Fatalf("%d people have leads, want %d", persons, len(seen))
	}
	// Replaying every batch now creates nothing new.
	before := total
	for b := range batches {
		var rows []leads.Row
		for i := range perBatch {
			p := (b*37 + i*7) % people
			rows = append(rows, leads.Row{Phone: fmt.Sprintf("1380000%04d", p), Email: fmt.Sprintf("p%d@example.com", p)})
		}
		res := f.ingest(t, leads.Batch{Rows: rows})
		if res.Created != 0 {
			t.Fatalf("replay of batch %d created %d leads", b, res.Created)
		}
	}
	if err := db.DB.QueryRow(`SELECT count(*) FROM leads WHERE tenant_id = $1`, f.tid).Scan(&total); err != nil || total != before {
		t.Fatalf("lead count %d -> %d (%v)", before, total, err)
	}
}

func TestIngestConcurrentSamePeopleOneLeadEach(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	// 20 concurrent batches of the same 100 phones in different orders.
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for b := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := make([]leads.Row, 100)
			for i := range rows {
				p := (i*(b+1) + b) % 100
				rows[i] = leads.Row{Phone: fmt.Sprintf("139%08d", p), Name: fmt.Sprint(b)}
			}
			_, errs[b] = f.in.Ingest(f.ctx, leads.Batch{Rows: rows})
		}()
	}
	wg.Wait()
	for b, err := range errs {
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
	}
	ls := f.activeLeads(t)
	phones := map[string]bool{}
	for _, l := range ls {
		phones[*l.Phone] = true
	}
	if len(ls) != 100 || len(phones) != 100 {
		t.Fatalf("%d leads with %d phones, want exactly one lead per phone (100)", len(ls), len(phones))
	}
}

func TestIngestIdempotencyKey(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	b := leads.Batch{IdempotencyKey: "form-42", Rows: []leads.Row{{Phone: "13811110000"}, {Email: "a@example.com"}, {Phone: "x"}}}
	first := f.ingest(t, b)
	snapshot := func() string {
		var s string
		if err := db.DB.QueryRow(`SELECT (SELECT count(*) FROM leads)::text || '/' || (SELECT count(*) FROM source_touches)::text || '/' || (SELECT count(*) FROM events)::text || '/' || (SELECT coalesce(max(lead_seq), 0) FROM workspaces)::text`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1 := snapshot()
	again := f.ingest(t, b)
	if !again.Replayed || statuses(again) != statuses(first) || again.Rows[0].LeadID != first.Rows[0].LeadID || again.Rows[1].LeadID != first.Rows[1].LeadID {
		t.Fatalf("replay = %+v, want the first answer %+v", again, first)
	}
	if s2 := snapshot(); s2 != s1 {
		t.Fatalf("replay wrote: %s -> %s", s1, s2)
	}
	// Same key, other rows: refused, nothing written.
	b2 := b
	b2.Rows = []leads.Row{{Phone: "13822220000"}}
	_, err := f.in.Ingest(f.ctx, b2)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || e.Field != "idempotencyKey" {
		t.Fatalf("reused key with other rows: %v", err)
	}
	if s3 := snapshot(); s3 != s1 {
		t.Fatalf("refused request wrote: %s -> %s", s1, s3)
	}
	// Concurrent retries of one new key: one writes, the others replay.
	b3 := leads.Batch{IdempotencyKey: "form-43", Rows: []leads.Row{{Phone: "13833330000"}}}
	var wg sync.WaitGroup
	results := make([]*leads.Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.in.Ingest(f.ctx, b3)
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = r
		}()
	}
	wg.Wait()
	writes := 0
	for _, r := range results {
		if r == nil {
			t.FailNow()
		}
		if !r.Replayed {
			writes++
		}
		if r.Rows[0].LeadID != results[0].Rows[0].LeadID {
			t.Fatalf("concurrent retries answered different leads")
		}
	}
	if writes != 1 {
		t.Fatalf("%d of 8 concurrent retries wrote, want 1", writes)
	}
}

func TestIngestDuplicateOfProtectedLeadStaysWithOwner(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	rep, err := f.c.User.Create().SetName("rep").SetEmail("rep@x.test").SetPasswordHash("x").SetRoles([]string{"rep"}).Save(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := f.ingest(t, leads.Batch{Rows: []leads.Row{{Name: "王五", Phone: "13512345678"}, {Name: "赵六", Phone: "13512345679"}}})
	protected, expired := res.Rows[0].LeadID, res.Rows[1].LeadID
	if _, err := f.c.Lead.UpdateOneID(protected).SetOwnerID(rep.ID).ClearPoolID().SetClaimedAt(now.Add(-time.Hour)).SetProtectedUntil(now.Add(48 * time.Hour)).Save(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Lead.UpdateOneID(expired).SetOwnerID(rep.ID).ClearPoolID().SetProtectedUntil(now.Add(-time.Hour)).Save(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.queued = nil
	res = f.ingest(t, leads.Batch{Source: "referral", Rows: []leads.Row{{Name: "王五 dup", Phone: "135 1234 5678"}, {Phone: "13512345679"}}})
	if statuses(res) != "MERGED,MERGED" || res.Rows[0].LeadID != protected || res.Rows[0].OwnerID == nil || *res.Rows[0].OwnerID != rep.ID {
		t.Fatalf("duplicate of protected lead: %+v", res.Rows[0])
	}
	l, err := f.c.Lead.Get(f.ctx, protected)
	if err != nil {
		t.Fatal(err)
	}
	if l.OwnerID == nil || *l.OwnerID != rep.ID || l.PoolID != nil {
		t.Fatalf("protected lead now owned by %v in pool %v", l.OwnerID, l.PoolID)
	}
	notes, err := f.c.Notification.Query().Where(notification.UserID(rep.ID)).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || notes[0].LeadID == nil || *notes[0].LeadID != protected || notes[0].Kind != "lead.duplicate" || !strings.Contains(notes[0].Message, "王五") {
		t.Fatalf("notifications %+v, want one about the protected lead only", notes)
	}
	if len(f.queued) != 1 || len(f.queued[0].Notifications) != 1 || f.queued[0].Notifications[0] != notes[0].ID {
		t.Fatalf("queued %+v, want the notification delivered", f.queued)
	}
	if len(f.queued[0].Created) != 0 || len(f.queued[0].Merged) != 2 {
		t.Fatalf("queued %+v: a duplicate must not be assigned as a new lead", f.queued[0])
	}
}

func TestIngestBlacklistAndUniqueFields(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.field(t, fielddefs.Input{Key: "id_card", Label: "证件号", Type: fielddefinition.TypeTEXT, Unique: true})
	f.field(t, fielddefs.Input{Key: "level", Label: "等级", Type: fielddefinition.TypeTEXT, Required: true})
	if _, err := f.c.Suppression.Create().SetKind(suppression.KindBLACKLIST).SetPhone("+8613600000000").Save(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Suppression.Create().SetKind(suppression.KindBLACKLIST).SetEmail("old@example.com").SetUntil(now.Add(-time.Hour)).Save(f.ctx); err != nil {
		t.Fatal(err)
	}
	res := f.ingest(t, leads.Batch{Rows: []leads.Row{
		{Phone: "13600000000", Attributes: map[string]any{"level": "a"}},
		{Email: "old@example.com", Attributes: map[string]any{"level": "a"}}, // expired entry
		{Phone: "13600000001", Attributes: map[string]any{"level": "a", "id_card": "X1"}},
		{Phone: "13600000002", Attributes: map[string]any{"level": "a", "id_card": "X1"}},
		{Phone: "13600000003"}, // required level missing on a new lead
	}})
	if got := statuses(res); got != "REJECTED,CREATED,CREATED,REJECTED,REJECTED" {
		t.Fatalf("statuses %s: %+v", got, res.Rows)
	}
	wantErrors(t, res.Rows[0], "phone:BLACKLISTED")
	wantErrors(t, res.Rows[3], "attributes.id_card:DUPLICATE")
	wantErrors(t, res.Rows[4], "attributes.level:REQUIRED")
	// A duplicate of an existing lead need not repeat required values, and
	// another lead's unique value is refused.
	res = f.ingest(t, leads.Batch{Rows: []leads.Row{
		{Phone: "13600000001"},
		{Email: "old@example.com", Attributes: map[string]any{"id_card": "X1"}},
	}})
	if got := statuses(res); got != "MERGED,REJECTED" {
		t.Fatalf("statuses %s: %+v", got, res.Rows)
	}
	// Blacklisting a lead by id rejects its duplicates.
	if _, err := f.c.Suppression.Create().SetKind(suppression.KindBLACKLIST).SetLeadID(res.Rows[0].LeadID).Save(f.ctx); err != nil {
		t.Fatal(err)
	}
	res = f.ingest(t, leads.Batch{Rows: []leads.Row{{Phone: "13600000001"}}})
	wantErrors(t, res.Rows[0], ":BLACKLISTED")
}

func TestIngestRequiresWorkspaceAndLimits(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	if _, err := f.in.Ingest(context.Background(), leads.Batch{Rows: []leads.Row{{Phone: "13800000000"}}}); err != tenant.ErrMissing {
		t.Fatalf("without a workspace: %v", err)
	}
	_, err := f.in.Ingest(f.ctx, leads.Batch{Rows: make([]leads.Row, leads.MaxRows+1)})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.LimitExceeded {
		t.Fatalf("over the row limit: %v", err)
	}
	_, err = f.in.Ingest(f.ctx, leads.Batch{})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.BadInput {
		t.Fatalf("empty batch: %v", err)
	}
	// Another workspace's identical phone is another person.
	g := newFixture(t, db)
	a := f.ingest(t, leads.Batch{Rows: []leads.Row{{Phone: "13800000000"}}})
	b := g.ingest(t, leads.Batch{Rows: []leads.Row{{Phone: "13800000000"}}})
	if a.Created != 1 || b.Created != 1 || a.Rows[0].LeadID == b.Rows[0].LeadID {
		t.Fatalf("workspaces share a lead: %+v %+v", a.Rows, b.Rows)
	}
}

// leadVersion is the lead's row version (xmin) and updated_at.
func leadVersion(t *testing.T, f *fixture, id uuid.UUID) (string, time.Time) {
	t.Helper()
	var xmin string
	var at time.Time
	if err := f.db.DB.QueryRow(`SELECT xmin::text, updated_at FROM leads WHERE tenant_id = $1 AND id = $2`, f.tid, id).Scan(&xmin, &at); err != nil {
		t.Fatal(err)
	}
	return xmin, at
}

// A duplicate that brings nothing new writes no new version of the lead
// (an update there would cost an index entry in each of leads' indexes),
// but its touch and event are still recorded; one that fills a field does
// update it.
func TestIngestDuplicateWithNothingNewLeavesLeadUntouched(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	f.field(t, fielddefs.Input{Key: "budget", Label: "预算", Type: fielddefinition.TypeNUMBER})
	first := f.ingest(t, leads.Batch{Rows: []leads.Row{{Name: "王先生", Phone: "13800001111", Attributes: map[string]any{"budget": 5000}}}})
	id := first.Rows[0].LeadID
	xmin, at := leadVersion(t, f, id)

	f.in.Clock = func() time.Time { return now.Add(time.Hour) }
	dup := f.ingest(t, leads.Batch{Rows: []leads.Row{{Name: "李先生", Phone: "+86 138-0000-1111", Attributes: map[string]any{"budget": 9000}}}})
	if dup.Rows[0].Status != leads.StatusMerged || dup.Rows[0].LeadID != id {
		t.Fatalf("duplicate: %+v", dup.Rows[0])
	}
	if x, a := leadVersion(t, f, id); x != xmin || !a.Equal(at) {
		t.Fatalf("a duplicate with nothing new rewrote the lead: xmin %s -> %s, updated_at %s -> %s", xmin, x, at, a)
	}
	if n := countEvents(t, f, id, "lead.duplicate"); n != 1 {
		t.Fatalf("lead.duplicate events = %d, want 1", n)
	}

	fill := f.ingest(t, leads.Batch{Rows: []leads.Row{{Phone: "13800001111", Email: "Wang@Example.com", Company: "上海某公司"}}})
	if fill.Rows[0].Status != leads.StatusMerged {
		t.Fatalf("filling duplicate: %+v", fill.Rows[0])
	}
	got, err := f.c.Lead.Get(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "王先生" || got.Email == nil || *got.Email != "wang@example.com" || got.Company != "上海某公司" ||
		got.Attributes["budget"] != float64(5000) || !got.UpdatedAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("after a filling duplicate: name %q email %v company %q budget %v updated %s",
			got.Name, got.Email, got.Company, got.Attributes["budget"], got.UpdatedAt)
	}
	if n := countEvents(t, f, id, "lead.duplicate"); n != 2 {
		t.Fatalf("lead.duplicate events = %d, want 2", n)
	}
}

// A batch whose insert meets a person that a concurrent ingest commits
// while this one waits on the identity index merges that row into the
// other ingest's lead and creates the rest, in the same call.
func TestIngestInsertLosingARaceMergesInstead(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	tx, err := f.c.Tx(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	other := &leads.Ingester{Client: tx.Client(), Fields: f.fields, Clock: func() time.Time { return now }}
	held, err := other.Ingest(f.ctx, leads.Batch{Rows: []leads.Row{{Name: "先到", Phone: "13900002222"}}})
	if err != nil {
		t.Fatal(err)
	}

	type outcome struct {
		res *leads.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := f.in.Ingest(f.ctx, leads.Batch{Rows: []leads.Row{
			{Name: "后到", Phone: "13900002222", Email: "late@example.com"},
			{Name: "新人", Phone: "13900003333"},
		}})
		done <- outcome{res, err}
	}()
	// Commit only once the second ingest waits on the first one's row.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := f.db.DB.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second ingest never waited on the first one's insert")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	out := <-done
	if out.err != nil {
		t.Fatal(out.err)
	}
	if got := statuses(out.res); got != "MERGED,CREATED" || out.res.Rows[0].LeadID != held.Rows[0].LeadID {
		t.Fatalf("statuses %s, row 0 lead %s (the first ingest's is %s)", got, out.res.Rows[0].LeadID, held.Rows[0].LeadID)
	}
	ls := f.activeLeads(t)
	if len(ls) != 2 || ls[0].Name != "先到" || ls[0].Email == nil || *ls[0].Email != "late@example.com" || ls[1].Name != "新人" {
		t.Fatalf("active leads: %d, first %q %v", len(ls), ls[0].Name, ls[0].Email)
	}
}

func TestIngestFileTakesBigBatchesUnderItsOwnLimit(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	_, err := f.in.IngestFile(f.ctx, leads.Batch{Rows: make([]leads.Row, leads.MaxFileRows+1)})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.LimitExceeded {
		t.Fatalf("over the file row limit: %v", err)
	}
	rows := make([]leads.Row, leads.MaxRows+1)
	for i := range rows {
		rows[i] = leads.Row{Phone: fmt.Sprintf("1380%07d", i)}
	}
	rows[len(rows)-1].Phone = rows[0].Phone // a repeat within the batch merges as in Ingest
	res, err := f.in.IngestFile(f.ctx, leads.Batch{Rows: rows, IdempotencyKey: "file:1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != leads.MaxRows || res.Merged != 1 || res.Rows[len(rows)-1].LeadID != res.Rows[0].LeadID {
		t.Fatalf("created %d, merged %d", res.Created, res.Merged)
	}
	again, err := f.in.IngestFile(f.ctx, leads.Batch{Rows: rows, IdempotencyKey: "file:1"})
	if err != nil || !again.Replayed || again.Created != res.Created {
		t.Fatalf("replay: %+v, %v", again, err)
	}
}

func TestIngestFileConcurrentBatchesSharingPeople(t *testing.T) {
	db := testenv.NewDatabase(t)
	f := newFixture(t, db)
	const batches, shared, own = 4, 30, 70
	var wg sync.WaitGroup
	results := make([]*leads.Result, batches)
	errs := make([]error, batches)
	for b := range batches {
		rows := make([]leads.Row, 0, shared+own)
		for i := range shared {
			rows = append(rows, leads.Row{Phone: fmt.Sprintf("1390000%04d", i), Name: fmt.Sprintf("批次%d", b)})
		}
		for i := range own {
			rows = append(rows, leads.Row{Phone: fmt.Sprintf("137%02d00%04d", b, i)})
		}
		wg.Go(func() {
			results[b], errs[b] = f.in.IngestFile(f.ctx, leads.Batch{Rows: rows, IdempotencyKey: fmt.Sprintf("file:%d", b)})
		})
	}
	wg.Wait()
	created, merged := 0, 0
	for b := range batches {
		if errs[b] != nil {
			t.Fatalf("batch %d: %v", b, errs[b])
		}
		created += results[b].Created
		merged += results[b].Merged
	}
	if created != shared+batches*own || merged != (batches-1)*shared {
		t.Fatalf("created %d, merged %d", created, merged)
	}
	n, err := f.c.Lead.Query().Count(f.ctx)
	if err != nil || n != shared+batches*own {
		t.Fatalf("%d leads, %v", n, err)
	}
}
