package schematype

import (
	"database/sql/driver"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// UUIDs is a PostgreSQL uuid[] column (the leads of a duplicate dismissal),
// compared in SQL with the array operators (@>).
type UUIDs []uuid.UUID

// Value writes the ids as a PostgreSQL array.
func (u UUIDs) Value() (driver.Value, error) {
	s := make(pq.StringArray, len(u))
	for i, id := range u {
		s[i] = id.String()
	}
	return s.Value()
}

// Scan reads a PostgreSQL uuid array.
func (u *UUIDs) Scan(src any) error {
	var s pq.StringArray
	if err := s.Scan(src); err != nil {
		return err
	}
	out := make(UUIDs, len(s))
	for i, v := range s {
		id, err := uuid.Parse(v)
		if err != nil {
			return fmt.Errorf("uuid array: %w", err)
		}
		out[i] = id
	}
	*u = out
	return nil
}
