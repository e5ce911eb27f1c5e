package graph

import (
	"time"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"
)

// Page sizes of the contract: 50 when the client asks for none, never more than 1000.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// pageSize applies the default and the cap to a connection's first/last.
func pageSize(first, last *int) (*int, *int) {
	clamp := func(p *int) *int {
		if p == nil {
			return nil
		}
		v := min(max(*p, 0), maxPageSize)
		return &v
	}
	first, last = clamp(first), clamp(last)
	if first == nil && last == nil {
		v := defaultPageSize
		first = &v
	}
	return first, last
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// cursorTime is the creation time a keyset cursor carries as its value (a
// string once the cursor went through JSON), zero when it has none.
func cursorTime(c *entgql.Cursor[uuid.UUID]) time.Time {
	switch v := c.Value.(type) {
	case string:
		at, _ := time.Parse(time.RFC3339Nano, v)
		return at
	case time.Time:
		return v
	}
	return time.Time{}
}
