package rules

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// BatchSize is how many leads Matcher loads facts for at a time.
const BatchSize = 1000

// Matcher returns the matcher of assignment conditions (assign.Matcher): it
// says which of ids, leads of the context's workspace, match condition,
// evaluated at now() over the workspace's current custom fields, with the
// leads' facts loaded set-based BatchSize at a time. An empty condition
// matches every id; ids that are not leads of the workspace match nothing; a
// condition that does not compile is an apperr.Input at "condition". It
// reads through the transaction of ctx when there is one (ent.TxFromContext
// or ent.FromContext), so leads written earlier in it are seen. No viewer's
// row scope applies.
func Matcher(c *ent.Client, now func() time.Time) func(ctx context.Context, condition string, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	return func(ctx context.Context, condition string, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
		c := txn.Client(ctx, c)
		out := make(map[uuid.UUID]bool, len(ids))
		if strings.TrimSpace(condition) == "" {
			for _, id := range ids {
				out[id] = true
			}
			return out, nil
		}
		env, err := NewEnv(ctx, c, Assignment)
		if err != nil {
			return nil, err
		}
		prg, err := env.Compile("condition", condition)
		if err != nil {
			return nil, err
		}
		at := now()
		for start := 0; start < len(ids); start += BatchSize {
			batch := ids[start:min(start+BatchSize, len(ids))]
			facts, err := LoadFacts(ctx, c, at, batch, prg.Needs())
			if err != nil {
				return nil, err
			}
			for _, id := range batch {
				f := facts[id]
				out[id] = f != nil && prg.Match(f)
			}
		}
		return out, nil
	}
}
