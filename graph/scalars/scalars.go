// Package scalars maps GraphQL scalars onto Go types for gqlgen.
package scalars

import (
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/gid"
)

// MarshalID writes an entity id as its opaque GraphQL ID.
func MarshalID(id uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(gid.Encode(id)))
	})
}

// UnmarshalID reads an opaque GraphQL ID.
func UnmarshalID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, fmt.Errorf("%w: expected a string, got %T", gid.ErrInvalid, v)
	}
	return gid.Decode(s)
}
