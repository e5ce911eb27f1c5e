// Package changetoken tells every process that something a workspace's
// requests read on every call (its field schema, its users) has changed, so
// they can keep it in memory instead of asking PostgreSQL each time.
//
// A change moves a per-workspace token in Redis (<prefix><workspace>) once its
// transaction has committed. A process that caches the data keeps the token it
// read before reading the data (a Mark), and trusts the cache while the token
// has not moved and for at most RecheckEvery (the move can be lost: Redis
// flushed or down at the commit). Because the token is read before the data,
// a change that commits in between leaves the cache with the older token and
// is seen on the next request; because it moves only after the commit, no
// process can cache the data before the change under the token of after it.
// When Redis does not answer, nothing is trusted and Redis is not asked again
// for RedisPause, so requests do not wait on its retries.
//
// An entry in use is read again off the request path once it is RefreshAhead
// old (Refresh), so the recheck that RecheckEvery demands is done before it
// is due and no request waits for it: a list request costs its own
// statements and nothing more. An entry nobody used for RecheckEvery is read
// on the request, as before; the staleness bound does not change.
package changetoken

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/tenant"
	"github.com/scrmhq/scrm/internal/txn"
)

// RecheckEvery bounds how long a process trusts an unchanged token.
const RecheckEvery = 5 * time.Second

// RefreshAhead is the age at which an entry still covered by its mark is
// read again in the background (Refresh) when a request uses it.
const RefreshAhead = 4 * time.Second

// RedisPause is how long a process asks PostgreSQL without trying Redis
// after Redis failed to answer.
const RedisPause = 5 * time.Second

// ReadTimeout bounds one read of a token (and authz's read of the policy
// version): past it Redis counts as not answering. A Redis that answers does
// so in a millisecond. It is a variable for the test environment only
// (testenv widens it: a test machine running every package at once on two
// cores can take longer without Redis being down); nothing else sets it.
var ReadTimeout = 500 * time.Millisecond

// Tokens are the tokens of one kind of data (one key prefix).
type Tokens struct {
	redis     redis.UniversalClient // nil: no tokens, every read goes to PostgreSQL
	prefix    string
	now       func() time.Time
	mu        sync.Mutex
	downUntil time.Time // Redis is not asked until then (it failed)
	running   map[uuid.UUID]bool
	refreshes sync.WaitGroup
}

// New returns the tokens under prefix (e.g. "scrm:schema:") in rdb; a nil
// rdb gives tokens that are never trusted.
func New(rdb redis.UniversalClient, prefix string) *Tokens {
	return &Tokens{redis: rdb, prefix: prefix, now: time.Now}
}

// WithClock sets the clock of the recheck period and the Redis pause (tests).
func (t *Tokens) WithClock(now func() time.Time) *Tokens {
	t.mu.Lock()
	t.now = now
	t.mu.Unlock()
	return t
}

// Mark is a token as read at a moment: what a cache entry keeps beside the
// data it read after it.
type Mark struct {
	token int64
	ok    bool // Redis answered
	at    time.Time
}

// Read returns the workspace's token now (a missing key is token 0). A Mark
// read when Redis is absent or not answering trusts nothing.
func (t *Tokens) Read(ctx context.Context, tid uuid.UUID) Mark {
	t.mu.Lock()
	now := t.now()
	down := now.Before(t.downUntil)
	t.mu.Unlock()
	m := Mark{at: now}
	if t.redis == nil || down {
		return m
	}
	// A Redis that answers does so in a millisecond; one that does not
	// would hold the request for its client's dial retries.
	rctx, cancel := context.WithTimeout(ctx, ReadTimeout)
	defer cancel()
	v, err := t.redis.Get(rctx, t.prefix+tid.String()).Int64()
	switch {
	case errors.Is(err, redis.Nil):
		m.ok = true
	case err != nil:
		t.mu.Lock()
		t.downUntil = t.now().Add(RedisPause)
		t.mu.Unlock()
	default:
		m.token, m.ok = v, true
	}
	return m
}

// Usable reports whether m is a token Redis answered (a cache may store data
// under it).
func (m Mark) Usable() bool { return m.ok }

// Covers reports whether data cached under m is still good at now: both
// tokens were read from Redis, the token has not moved, and m is younger
// than RecheckEvery.
func (m Mark) Covers(now Mark) bool {
	return m.ok && now.ok && m.token == now.token && now.at.Sub(m.at) < RecheckEvery
}

// Older reports whether m was read before other (a cache keeps the newer).
func (m Mark) Older(other Mark) bool { return m.at.Before(other.at) }

// Due reports whether data cached under m, still covered at now, is old
// enough to be read again in the background (Refresh).
func (m Mark) Due(now Mark) bool {
	return m.Covers(now) && now.at.Sub(m.at) >= RefreshAhead
}

// Refresh runs read in the background for the workspace unless a refresh
// of it is already under way. read gets a context of its own that carries
// the workspace and nothing of the request (no transaction, no statement
// counter, no deadline of the request's), bounded by RecheckEvery.
func (t *Tokens) Refresh(tid uuid.UUID, read func(ctx context.Context)) {
	t.mu.Lock()
	if t.running[tid] {
		t.mu.Unlock()
		return
	}
	if t.running == nil {
		t.running = map[uuid.UUID]bool{}
	}
	t.running[tid] = true
	t.refreshes.Add(1)
	t.mu.Unlock()
	go func() {
		defer func() {
			t.mu.Lock()
			delete(t.running, tid)
			t.mu.Unlock()
			t.refreshes.Done()
		}()
		ctx, cancel := context.WithTimeout(tenant.NewContext(context.Background(), tid), RecheckEvery)
		defer cancel()
		read(ctx)
	}()
}

// Wait returns once the refreshes under way have finished (tests).
func (t *Tokens) Wait() { t.refreshes.Wait() }

// MoveAfterCommit moves the workspace's token once ctx's transaction
// commits (at once without one). A lost move shows only as staleness: other
// processes see the change within RecheckEvery.
func (t *Tokens) MoveAfterCommit(ctx context.Context, tid uuid.UUID) {
	t.MoveAfter(ctx, ent.TxFromContext(ctx), tid)
}

// MoveAfter moves the workspace's token once tx commits (at once when tx
// is nil).
func (t *Tokens) MoveAfter(ctx context.Context, tx *ent.Tx, tid uuid.UUID) {
	if t.redis == nil {
		return
	}
	move := func() {
		// Not the request's context: the response may already be on its way.
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = t.redis.Incr(c, t.prefix+tid.String()).Err()
	}
	txn.AfterCommit(tx, move)
}
