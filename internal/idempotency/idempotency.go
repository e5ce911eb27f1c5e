// Package idempotency remembers the answer to a write request under the
// client's idempotency key (the ingest_batches table, purged after
// jobs.IngestKeyRetention), so a retry gets the first answer and writes
// nothing twice. Lead ingest and event tracking share it, each in its own
// namespace of keys.
package idempotency

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// MaxKeyLen is the longest key a client may send, in characters.
const MaxKeyLen = 200

// Request is one write request that came with an idempotency key.
type Request struct {
	// Namespace keeps one kind of request's keys apart from another's: ""
	// for lead ingest (keys stored as sent), "events" for trackEvents.
	Namespace string
	Key       string
	// Hash fingerprints the request (see Hash), telling a retry from another
	// request that reuses the key.
	Hash string
	// Rows is how many rows the request carries (kept for operators).
	Rows int
	// Field is the input path of the key, for errors.
	Field string
}

// Check refuses a key longer than MaxKeyLen.
func (r Request) Check() error {
	if utf8.RuneCountInString(r.Key) > MaxKeyLen {
		return apperr.Input(r.Field, "at most %d characters", MaxKeyLen)
	}
	return nil
}

func (r Request) stored() string {
	if r.Namespace == "" {
		return r.Key
	}
	return r.Namespace + ":" + r.Key
}

// Hash fingerprints a request's content.
func Hash(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("hash request: %w", err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// Claim records r's key in the transaction c and returns nil, or returns the
// answer of type T stored by the request that used the key first. A
// concurrent request with the same key waits on the unique index until the
// first one commits (or rolls back, and then this one claims the key). The
// same key with other content is a CONFLICT at r.Field.
func Claim[T any](ctx context.Context, c *ent.Client, tid uuid.UUID, r Request, now time.Time) (*T, error) {
	answer, err := claim(ctx, c, tid, r, now)
	if err != nil || answer == nil {
		return nil, err
	}
	var out T
	if err := json.Unmarshal(answer, &out); err != nil {
		return nil, fmt.Errorf("decode idempotent answer: %w", err)
	}
	return &out, nil
}

func claim(ctx context.Context, c *ent.Client, tid uuid.UUID, r Request, now time.Time) (json.RawMessage, error) {
	var id uuid.UUID
	err := txn.QueryRow(ctx, c, `INSERT INTO ingest_batches (id, tenant_id, key, request_hash, rows, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, key) DO NOTHING RETURNING id`,
		gid.New(gid.IngestBatch), tid, r.stored(), r.Hash, r.Rows, now).Scan(&id)
	if err == nil {
		return nil, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	var hash string
	var answer []byte
	if err := txn.QueryRow(ctx, c, `SELECT request_hash, response FROM ingest_batches WHERE tenant_id = $1 AND key = $2`,
		tid, r.stored()).Scan(&hash, &answer); err != nil {
		return nil, fmt.Errorf("read idempotent answer: %w", err)
	}
	if hash != r.Hash {
		return nil, apperr.New(apperr.Conflict, r.Field, "this idempotency key was used for a different request")
	}
	if answer == nil {
		// Written in the same transaction as the claim: only a claim whose
		// writer did not store an answer can leave it empty.
		return nil, fmt.Errorf("idempotency key %q has no stored answer", r.Key)
	}
	return answer, nil
}

// Store keeps answer as the reply to every retry of r; call it in the
// transaction that claimed the key, after the writes.
func Store(ctx context.Context, c *ent.Client, tid uuid.UUID, r Request, answer any) error {
	raw, err := json.Marshal(answer)
	if err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, `UPDATE ingest_batches SET response = $3 WHERE tenant_id = $1 AND key = $2`,
		tid, r.stored(), raw); err != nil {
		return fmt.Errorf("store idempotent answer: %w", err)
	}
	return nil
}
