package segment

import (
	"context"
	"errors"
	"time"

	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// Preview is a rule's member count and the first members by seq.
type Preview struct {
	Count  int
	Sample []*ent.Lead
}

// Preview counts the leads r selects among those the caller can see and
// returns up to sample of them, within the preview timeout (LIMIT_EXCEEDED
// past it). field is the rule's input path.
func (s *Service) Preview(ctx context.Context, field string, r *Rule, sample int) (*Preview, error) {
	c := s.db(ctx)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	chk, err := check(ctx, c, sch, field, r)
	if err != nil {
		return nil, err
	}
	timeout := s.PreviewTimeout
	if timeout <= 0 {
		timeout = DefaultPreviewTimeout
	}
	var count int
	var seqs []int64
	err = s.readOnly(ctx, timeout, func(tx *ent.Client) error {
		ev := &evaluator{c: tx, sch: sch, env: env{tid: tid, now: s.now()}, scope: rowScope(ctx)}
		if !hasRef(r) {
			x, err := compileRule(sch, r)
			if err != nil {
				return err
			}
			if sample == 0 {
				q, args := ev.selectLeads(chk.status, x, "count(*)").Query()
				n, err := scanInt(ctx, tx, q, args)
				count = int(n)
				return err
			}
			// One pass: the first members with the total beside them.
			sel := ev.selectLeads(chk.status, x, "l.seq", "count(*) OVER ()")
			sel.OrderBy(sel.C("seq")).Limit(sample)
			q, args := sel.Query()
			rows, err := tx.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var seq, n int64
				if err := rows.Scan(&seq, &n); err != nil {
					return err
				}
				seqs, count = append(seqs, seq), int(n)
			}
			return rows.Err()
		}
		bm, err := ev.members(ctx, r, chk.status)
		if err != nil {
			return err
		}
		if ev.scope != nil {
			visible, err := ev.query(ctx, ev.selectIn(anyLead, nil, "l.seq"))
			if err != nil {
				return err
			}
			bm.And(visible)
		}
		count = int(bm.GetCardinality())
		seqs = firstSeqs(bm, 0, sample)
		return nil
	})
	if err != nil {
		return nil, previewError(err, field, timeout)
	}
	leads, err := leadsBySeq(ctx, c, seqs)
	if err != nil {
		return nil, err
	}
	return &Preview{Count: count, Sample: leads}, nil
}

// scanInt runs a query of one integer.
func scanInt(ctx context.Context, c *ent.Client, q string, args []any) (int64, error) {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

func previewError(err error, field string, timeout time.Duration) error {
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "57014" { // query_canceled: statement_timeout
		return apperr.New(apperr.LimitExceeded, field,
			"the preview did not finish within %s; narrow the rule, or save it as a segment to compute it in the background", timeout)
	}
	if errors.Is(err, ErrCycle) {
		return apperr.Input(field, "%s", err.Error())
	}
	return err
}
