package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/testenv"
)

// queued records the re-scores Track asks for.
type queued struct{ calls int }

func (q *queued) LeadsChanged(context.Context, uuid.UUID, []uuid.UUID) error { q.calls++; return nil }

// A Track call retried with its idempotency key gets the first answer and
// writes nothing; the key with other events is a CONFLICT; keys do not
// collide with lead ingest's.
func TestTrackWithAnIdempotencyKey(t *testing.T) {
	db := testenv.NewDatabase(t)
	ctx, tid, ids := setup(t, db, "acme")
	q := &queued{}
	s := &events.Service{Client: db.Client, Queue: q, Now: func() time.Time { return now }}
	in := []events.Input{
		{LeadID: &ids[0], Name: "viewed_ad", Properties: map[string]any{"campaign": "618"}},
		{Phone: "138 0000 0002", Name: "rode_metro"},
		{Phone: "13900000000", Name: "viewed_ad"}, // no such lead
	}
	first, err := s.Track(ctx, in, "api", "evt-1", "idempotencyKey")
	if err != nil {
		t.Fatal(err)
	}
	if first.Accepted != 2 || first.Rejected != 1 || first.Replayed {
		t.Fatalf("first call: %+v", first)
	}
	s.Now = func() time.Time { return now.Add(time.Minute) }
	again, err := s.Track(ctx, in, "api", "evt-1", "idempotencyKey")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Accepted != first.Accepted || again.Rejected != first.Rejected ||
		len(again.Errors) != 1 || again.Errors[0] != first.Errors[0] {
		t.Fatalf("retry: %+v, want the first answer %+v", again, first)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE tenant_id = $1`, tid); n != 2 {
		t.Fatalf("%d events after a retry, want 2", n)
	}
	if q.calls != 1 {
		t.Errorf("re-scores queued: %d, want 1", q.calls)
	}
	_, err = s.Track(ctx, in[:1], "api", "evt-1", "idempotencyKey")
	if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict || ae.Field != "idempotencyKey" {
		t.Fatalf("the key with other events: %v, want CONFLICT at idempotencyKey", err)
	}
	// A lead ingest's key of the same text is another key.
	if _, err := db.DB.Exec(`INSERT INTO ingest_batches (id, tenant_id, key, request_hash, rows, created_at, response)
		VALUES ($1, $2, 'evt-2', 'other', 1, now(), '{}')`, uuid.New(), tid); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Track(ctx, in[:1], "api", "evt-2", "idempotencyKey"); err != nil || res.Replayed || res.Accepted != 1 {
		t.Fatalf("a key an ingest used: %+v, %v", res, err)
	}
	long := make([]byte, 201)
	for i := range long {
		long[i] = 'k'
	}
	if _, err := s.Track(ctx, in, "api", string(long), "idempotencyKey"); !isInput(err, "idempotencyKey") {
		t.Fatalf("a key of 201 characters: %v", err)
	}
}

// Started in a caller's transaction, Track keeps every statement in it.
func TestTrackStaysInTheCallersTransaction(t *testing.T) {
	db := testenv.NewDatabase(t)
	ctx, tid, ids := setup(t, db, "acme")
	g := testenv.GuardTx(t, db)
	s := &events.Service{Client: g.Client, Now: func() time.Time { return now }}
	tctx, tx := g.Begin(ctx)
	res, err := s.Track(tctx, []events.Input{{LeadID: &ids[0], Name: "viewed_ad"}}, "graphql", "evt-tx", "idempotencyKey")
	if err != nil || res.Accepted != 1 {
		t.Fatalf("track in the transaction: %+v, %v", res, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE tenant_id = $1`, tid) + count(t, db, `SELECT count(*) FROM ingest_batches`); n != 0 {
		t.Fatalf("%d rows outlived the caller's rollback", n)
	}
}

func isInput(err error, field string) bool {
	ae, ok := apperr.As(err)
	return ok && ae.Code == apperr.BadInput && ae.Field == field
}
