package graph

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/scrmhq/scrm/internal/apperr"
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

// newestFirstPage checks the first and after of a list ordered by creation
// time, newest first (notificationPage, jobs): first 0 to maxN (def when
// null), after a cursor of such a list (a creation time beside the id; a
// cursor of another list, e.g. a duplicate group's, carries something else).
func newestFirstPage(first *int, after *entgql.Cursor[uuid.UUID], def, maxN int) (int, error) {
	n := def
	if first != nil {
		if *first < 0 || *first > maxN {
			return 0, apperr.Input("first", "first must be between 0 and %d", maxN)
		}
		n = *first
	}
	if after != nil {
		if _, ok := after.Value.(time.Time); !ok || after.ID == uuid.Nil {
			return 0, apperr.Input("after", "after is not a cursor of this list")
		}
	}
	return n, nil
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

// PageLimits refuses, before anything runs, an operation that asks a
// connection (a field whose type ends in Connection, at any depth) for a
// negative page: BAD_USER_INPUT at the argument (first or last), where
// pageSize would answer an empty page. A page above maxPageSize is capped at
// it, as the contract says ("capped at 1000"). It walks the
// operation once; a field middleware would run for every field of every
// row (see AuthorizeRootFields). Connections with a smaller maximum check
// theirs in the resolver.
type PageLimits struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = PageLimits{}

// ExtensionName names the extension.
func (PageLimits) ExtensionName() string { return "PageLimits" }

// Validate is a no-op.
func (PageLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext checks every connection's first and last.
func (PageLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	return pageLimits(oc, oc.Operation.SelectionSet, 0)
}

func pageLimits(oc *graphql.OperationContext, set ast.SelectionSet, depth int) *gqlerror.Error {
	if depth > 32 {
		return nil // far deeper than the depth limit lets an operation run
	}
	for _, sel := range set {
		var sub ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			if err := pageArgs(oc, s); err != nil {
				return err
			}
			sub = s.SelectionSet
		case *ast.InlineFragment:
			sub = s.SelectionSet
		case *ast.FragmentSpread:
			if f := oc.Doc.Fragments.ForName(s.Name); f != nil {
				sub = f.SelectionSet
			}
		}
		if err := pageLimits(oc, sub, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func pageArgs(oc *graphql.OperationContext, f *ast.Field) *gqlerror.Error {
	if f.Definition == nil || !strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		return nil
	}
	args := f.ArgumentMap(oc.Variables)
	for _, name := range []string{"first", "last"} {
		n, err := strconv.ParseInt(fmt.Sprint(args[name]), 10, 64)
		if args[name] == nil || (err == nil && n >= 0) {
			continue
		}
		gerr := gqlerror.ErrorPosf(f.Position, "%s must not be negative (pages are capped at %d)", name, maxPageSize)
		gerr.Extensions = map[string]any{"code": string(apperr.BadInput), "field": name}
		return gerr
	}
	return nil
}
