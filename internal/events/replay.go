package events

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/idempotency"
)

// keyRequest is the idempotency claim of a Track call that came with key
// (lead ingest's mechanism, in the "events" namespace of keys).
func keyRequest(in []Input, source, key, field string) (idempotency.Request, error) {
	r := idempotency.Request{Namespace: "events", Key: key, Rows: len(in), Field: field}
	if err := r.Check(); err != nil {
		return r, err
	}
	var err error
	r.Hash, err = idempotency.Hash(struct {
		Source string
		Events []Input
	}{source, in})
	return r, err
}

// claimKey records r's key in the transaction c, or returns the answer of
// the call that used it first (nil: this call is the first).
func claimKey(ctx context.Context, c *ent.Client, tid uuid.UUID, r idempotency.Request, now time.Time) (*Result, error) {
	res, err := idempotency.Claim[Result](ctx, c, tid, r, now)
	if res != nil {
		res.Replayed = true
	}
	return res, err
}
