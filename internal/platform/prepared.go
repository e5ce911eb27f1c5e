package platform

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

// A list request sends the same two statements again and again (the
// page's count and the page, issue #21), and lib/pq sends every statement
// with arguments unnamed: two round trips (parse and describe, then bind
// and execute) and a fresh parse and plan each time, about a third of the
// page's time in PostgreSQL. PostGraphile, the read path's yardstick,
// prepares its statements once per connection. Queries whose context
// PrepareStatements marked do the same: outside a transaction they run as
// prepared statements (database/sql prepares one on each pool connection
// the first time it runs there), kept per statement text in a small cache
// whose least recently used entry is closed when a new one comes. The
// texts that reach it are the read path's own (values are always
// arguments; the text varies only with the selection, the filter's shape
// and the page size), so a few dozen entries hold them. PostgreSQL
// re-plans a prepared statement when a table it reads changes (a new
// index, ANALYZE), and chooses per execution between a plan for the
// values at hand and a generic one by its usual rule (plan_cache_mode).

type preparedKey struct{}

// PrepareStatements returns ctx in which queries sent through an ent client
// of NewEntClient outside a transaction are prepared once per connection
// and reused. It is for a request's hot read statements (a list page and
// its count), not for one-off statements.
func PrepareStatements(ctx context.Context) context.Context {
	return context.WithValue(ctx, preparedKey{}, true)
}

func preparing(ctx context.Context) bool {
	on, _ := ctx.Value(preparedKey{}).(bool)
	return on
}

// PreparedCacheSize bounds the statements a client keeps prepared.
const PreparedCacheSize = 64

// preparedStatements is a client's cache of prepared statements by text.
type preparedStatements struct {
	db    *sql.DB
	mu    sync.Mutex
	byKey map[string]*list.Element // of *preparedStatement
	lru   list.List                // front: most recently used
}

type preparedStatement struct {
	query   string
	stmt    *sql.Stmt
	users   int  // queries starting on stmt now
	evicted bool // out of the cache: close when users is 0
}

func newPreparedStatements(db *sql.DB) *preparedStatements {
	return &preparedStatements{db: db, byKey: map[string]*list.Element{}}
}

// query runs query with args as a prepared statement and sets *v to its
// rows, as ent's driver would set them.
func (p *preparedStatements) query(ctx context.Context, query string, args []any, v *entsql.Rows) error {
	s, err := p.take(ctx, query)
	if err != nil {
		return err
	}
	// Rows keep their statement open until they are closed (database/sql
	// closes a statement only when nothing uses it), so the statement can be
	// given back as soon as the query has started.
	rows, err := s.stmt.QueryContext(ctx, args...)
	p.give(s)
	if planChanged(err) {
		// A migration changed what the statement returns (a column's
		// type): PostgreSQL refuses the statement prepared before it on
		// every execution. Forget it and run the text afresh.
		p.forget(s)
		rows, err = p.db.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return err
	}
	*v = entsql.Rows{ColumnScanner: rows}
	return nil
}

// planChanged reports PostgreSQL's "cached plan must not change result
// type" (feature_not_supported), which a prepared statement gets after its
// result's columns changed.
func planChanged(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "0A000" && strings.Contains(pqErr.Message, "cached plan")
}

// forget drops s from the cache (the next query prepares its text again)
// and closes it once nobody uses it.
func (p *preparedStatements) forget(s *preparedStatement) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.byKey[s.query]; ok && e.Value == s {
		p.dropLocked(e)
	}
}

// dropLocked takes e out of the cache and closes its statement once nobody
// uses it; p.mu is held.
func (p *preparedStatements) dropLocked(e *list.Element) {
	s := p.lru.Remove(e).(*preparedStatement)
	delete(p.byKey, s.query)
	s.evicted = true
	if s.users == 0 {
		_ = s.stmt.Close()
	}
}

// take returns query's statement, preparing it when the cache lacks it.
func (p *preparedStatements) take(ctx context.Context, query string) (*preparedStatement, error) {
	p.mu.Lock()
	if e, ok := p.byKey[query]; ok {
		p.lru.MoveToFront(e)
		s := e.Value.(*preparedStatement)
		s.users++
		p.mu.Unlock()
		return s, nil
	}
	p.mu.Unlock()
	stmt, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.byKey[query]; ok { // another request prepared it meanwhile
		_ = stmt.Close()
		p.lru.MoveToFront(e)
		s := e.Value.(*preparedStatement)
		s.users++
		return s, nil
	}
	s := &preparedStatement{query: query, stmt: stmt, users: 1}
	p.byKey[query] = p.lru.PushFront(s)
	for p.lru.Len() > PreparedCacheSize {
		p.dropLocked(p.lru.Back())
	}
	return s, nil
}

// give returns a statement taken by take.
func (p *preparedStatements) give(s *preparedStatement) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.users--
	if s.evicted && s.users == 0 {
		_ = s.stmt.Close()
	}
}

// len is the number of statements kept (tests).
func (p *preparedStatements) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lru.Len()
}
