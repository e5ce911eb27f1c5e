package fielddefs

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/internal/changetoken"
)

// The workspace's schema version lives in PostgreSQL (workspaces.
// schema_version, bumped in the transaction that changes a definition); a
// process that served every request by reading it paid one SQL statement per
// request for a value that changes a few times a year. With Redis, a change
// also moves the workspace's token (scrm:schema:<workspace>) once its
// transaction has committed, and a process asks PostgreSQL again only when
// the token moved, every changetoken.RecheckEvery, or when Redis does not
// answer (package changetoken says why that is safe).

const tokenPrefix = "scrm:schema:"

// WithRedis has the service keep its cache by the Redis token (nil: the
// PostgreSQL version is read on every request that needs the schema).
func (s *Service) WithRedis(rdb redis.UniversalClient) *Service {
	s.tokens = changetoken.New(rdb, tokenPrefix)
	if s.clock != nil {
		s.tokens.WithClock(s.clock)
	}
	return s
}

// fresh returns the cached schema when the token says nothing changed since
// it was checked against PostgreSQL.
func (s *Service) fresh(tid uuid.UUID, now changetoken.Mark) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cache[tid]
	if e == nil || !e.mark.Covers(now) {
		return nil
	}
	return e
}

// moveToken moves the workspace's token once ctx's transaction commits.
func (s *Service) moveToken(ctx context.Context, tid uuid.UUID) {
	s.tokens.MoveAfterCommit(ctx, tid)
}

// WithClock sets the clock of the recheck period and the Redis pause (tests).
func (s *Service) WithClock(now func() time.Time) *Service {
	s.clock = now
	s.tokens.WithClock(now)
	return s
}

// WaitRefreshes returns once the background reads of cached schemas under
// way have finished (tests).
func (s *Service) WaitRefreshes() { s.tokens.Wait() }
