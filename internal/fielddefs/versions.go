package fielddefs

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
)

// The workspace's schema version lives in PostgreSQL (workspaces.
// schema_version, bumped in the transaction that changes a definition); a
// process that served every request by reading it paid one SQL statement per
// request for a value that changes a few times a year. With Redis, a change
// also moves a per-workspace token there once its transaction has committed
// (scrm:schema:<workspace>), and a process asks PostgreSQL again only when
// the token moved, when it has not asked for recheckEvery (the token's move
// can be lost: Redis flushed or down at the commit), or when Redis does not
// answer. The token is read before PostgreSQL, so a change that commits in
// between leaves the cache with the older token and is seen on the next
// request; and it moves only after the commit, so no process can cache the
// schema before the change under the token of after it.

// recheckEvery bounds how long a process trusts an unchanged token.
const recheckEvery = 5 * time.Second

// redisPause is how long a process asks PostgreSQL without trying Redis
// after Redis failed to answer.
const redisPause = 5 * time.Second

func tokenKey(tid uuid.UUID) string { return "scrm:schema:" + tid.String() }

// WithRedis has the service keep its cache by the Redis token (nil: the
// PostgreSQL version is read on every request that needs the schema).
func (s *Service) WithRedis(rdb redis.UniversalClient) *Service {
	s.redis = rdb
	return s
}

// token reads the workspace's token; ok is false when Redis is not there or
// did not answer (the caller then asks PostgreSQL). A missing key is token 0.
func (s *Service) token(ctx context.Context, tid uuid.UUID) (v int64, ok bool) {
	if s.redis == nil {
		return 0, false
	}
	s.mu.Lock()
	down := s.now().Before(s.redisDownUntil)
	s.mu.Unlock()
	if down {
		return 0, false
	}
	v, err := s.redis.Get(ctx, tokenKey(tid)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, true
	}
	if err != nil {
		// Redis is not answering: ask PostgreSQL for a while instead of
		// making every request wait for Redis's retries.
		s.mu.Lock()
		s.redisDownUntil = s.now().Add(redisPause)
		s.mu.Unlock()
		return 0, false
	}
	return v, true
}

// fresh returns the cached schema when the token says nothing changed since
// it was checked against PostgreSQL, less than recheckEvery ago.
func (s *Service) fresh(tid uuid.UUID, token int64) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cache[tid]
	if e == nil || !e.tokenOK || e.token != token || s.now().Sub(e.checked) >= recheckEvery {
		return nil
	}
	return e
}

// moveToken moves the workspace's token once ctx's transaction commits (at
// once without one). A failure is logged by the caller's process only through
// staleness: other processes see the change within recheckEvery.
func (s *Service) moveToken(ctx context.Context, tid uuid.UUID) {
	if s.redis == nil {
		return
	}
	move := func() {
		// Not the request's context: the response may already be on its way.
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = s.redis.Incr(c, tokenKey(tid)).Err()
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		move()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				move()
			}
			return err
		})
	})
}

func (s *Service) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// WithClock sets the clock of the recheck period and the Redis pause (tests).
func (s *Service) WithClock(now func() time.Time) *Service {
	s.clock = now
	return s
}
