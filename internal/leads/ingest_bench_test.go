package leads_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/testenv"
	"github.com/scrmhq/scrm/internal/workspace"
)

// BenchmarkIngestOneLead is the API's small ingest (ingestLeads of one lead,
// a WeCom contact added): one Ingest call of one row per op, a new person
// (new) or one the workspace already has (duplicate, merged). It shows what
// a batch of one pays for the file import's staging (ingest_new_leads is
// used by IngestFile only).
//
//	go test -tags nofrontend -run '^$' -bench '^BenchmarkIngestOneLead$' -benchtime 2000x ./internal/leads/
func BenchmarkIngestOneLead(b *testing.B) {
	db, ctx := benchWorkspace(b)
	in := &leads.Ingester{Client: db.Client, Fields: fielddefs.New(db.Client, nil), Clock: time.Now}
	one := func(b *testing.B, phone string, want leads.Status) {
		res, err := in.Ingest(ctx, leads.Batch{Source: "api", Rows: []leads.Row{{Name: "甲", Phone: phone}}})
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows[0].Status != want {
			b.Fatalf("%s: %+v, want %s", phone, res.Rows[0], want)
		}
	}
	var n int
	b.Run("new", func(b *testing.B) {
		for range b.N {
			n++
			one(b, fmt.Sprintf("139%08d", n), leads.StatusCreated)
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		if n == 0 {
			n++
			one(b, fmt.Sprintf("139%08d", n), leads.StatusCreated)
		}
		for i := range b.N {
			one(b, fmt.Sprintf("139%08d", 1+i%n), leads.StatusMerged)
		}
	})
}

// BenchmarkIngestTagged is a batch of 100 new leads with two tags each
// through the ingest's own tag writer: without a TagWatcher (plain), and
// with one (watched: the insert returns the pairs it added and the watcher
// gets them once per batch, as journeys' tagAdded trigger does; here it
// counts them, so the difference is the writer's own cost).
//
//	go test -tags nofrontend -run '^$' -bench '^BenchmarkIngestTagged$' ./internal/leads/
func BenchmarkIngestTagged(b *testing.B) {
	// Each case on a database of its own, so neither runs over the other's
	// leads.
	run := func(b *testing.B, w leads.TagWatcher) {
		db, ctx := benchWorkspace(b)
		in := &leads.Ingester{Client: db.Client, Fields: fielddefs.New(db.Client, nil), Clock: time.Now, TagWatcher: w}
		n := 0
		b.ResetTimer()
		for range b.N {
			rows := make([]leads.Row, 100)
			for i := range rows {
				n++
				rows[i] = leads.Row{Name: "甲", Phone: fmt.Sprintf("138%08d", n), Tags: []string{"vip", "展会"}}
			}
			res, err := in.Ingest(ctx, leads.Batch{Source: "api", Rows: rows})
			if err != nil || res.Created != 100 {
				b.Fatalf("%+v, %v", res, err)
			}
		}
	}
	b.Run("plain", func(b *testing.B) { run(b, nil) })
	b.Run("watched", func(b *testing.B) {
		w := &countTags{}
		run(b, w)
		if w.n != 200*b.N {
			b.Fatalf("the watcher got %d pairs, want %d", w.n, 200*b.N)
		}
	})
}

type countTags struct{ n int }

func (c *countTags) TagsAdded(_ context.Context, added map[uuid.UUID][]uuid.UUID) error {
	for _, l := range added {
		c.n += len(l)
	}
	return nil
}

// BenchmarkIngestDuplicates is a batch of 100 rows that all merge into
// leads the workspace has, each recording a lead.duplicate event: with no
// events recorder (plain) and with journeys' event trigger behind one
// (journeys: the batch makes one lookup of the ACTIVE journeys on
// lead.duplicate, and finds none, the usual case).
//
//	go test -tags nofrontend -run '^$' -bench '^BenchmarkIngestDuplicates$' -benchtime 30x -count 4 ./internal/leads/
func BenchmarkIngestDuplicates(b *testing.B) {
	run := func(b *testing.B, rec *events.Recorder) {
		db, ctx := benchWorkspace(b)
		in := &leads.Ingester{Client: db.Client, Fields: fielddefs.New(db.Client, nil), Clock: time.Now}
		rows := make([]leads.Row, 100)
		for i := range rows {
			rows[i] = leads.Row{Name: "甲", Phone: fmt.Sprintf("138%08d", i)}
		}
		if _, err := in.Ingest(ctx, leads.Batch{Source: "api", Rows: rows}); err != nil {
			b.Fatal(err)
		}
		if rec != nil && rec.Watcher == nil {
			rec.Watcher = journey.New(db.Client, time.Now)
		}
		in.Events = rec
		b.ResetTimer()
		for range b.N {
			res, err := in.Ingest(ctx, leads.Batch{Source: "web", Rows: rows})
			if err != nil || res.Created != 0 {
				b.Fatalf("%+v, %v", res, err)
			}
		}
	}
	b.Run("plain", func(b *testing.B) { run(b, nil) })
	b.Run("journeys", func(b *testing.B) { run(b, &events.Recorder{}) })
}

// benchWorkspace is a new database with one workspace, and a context in it.
func benchWorkspace(b *testing.B) (*testenv.Database, context.Context) {
	b.Helper()
	db := testenv.NewDatabase(b)
	created, err := workspace.Create(context.Background(), db.Client, workspace.Spec{
		Slug: "bench", Name: "bench", AdminName: "admin", AdminEmail: "admin@bench.test", AdminPassword: "password-123",
	})
	if err != nil {
		b.Fatal(err)
	}
	return db, tenant.NewContext(context.Background(), created.Workspace.ID)
}
