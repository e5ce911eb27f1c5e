package segment

import (
	"context"

	"github.com/scrmhq/scrm/internal/txn"
)

// CountSQL is the query Preview counts a rule without segment references
// with, for the plan tests.
func (s *Service) CountSQL(ctx context.Context, r *Rule) (string, []any, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return "", nil, err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return "", nil, err
	}
	x, err := compileRule(sch, r)
	if err != nil {
		return "", nil, err
	}
	ev := &evaluator{sch: sch, env: env{tid: tid, now: s.now()}}
	q, args := ev.selectLeads(mentionsStatus(r), x, "count(*)").Query()
	return q, args, nil
}
