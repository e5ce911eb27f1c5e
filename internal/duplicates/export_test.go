package duplicates

import (
	"context"
	"strings"
)

// Explain is EXPLAIN (ANALYZE) of the first page of kind for the viewer of ctx.
func Explain(ctx context.Context, s *Service, kind Kind) (string, error) {
	q, args, err := statement(ctx, kind, DefaultPageSize, nil)
	if err != nil {
		return "", err
	}
	rows, err := s.DB(ctx).QueryContext(ctx, "EXPLAIN (ANALYZE, COSTS OFF) "+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}
