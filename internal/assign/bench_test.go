package assign_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/assignmentrule"
	"github.com/scrmhq/scrm/ent/lead"
)

// BenchmarkAssign runs 10,000 new leads through a 1:2:3 WEIGHTED rule per
// iteration and reports leads assigned per second. Creating the leads (and
// analysing the table, as autovacuum would), and archiving the previous
// iteration's so reps' loads do not grow, is not timed.
//
//	go test ./internal/assign/ -run '^$' -bench BenchmarkAssign -benchtime 5x
func BenchmarkAssign(b *testing.B) {
	f := newFixture(b)
	reps := []uuid.UUID{f.rep(b, "One", repSpec{}), f.rep(b, "Two", repSpec{}), f.rep(b, "Three", repSpec{})}
	f.rule(b, ruleSpec{name: "weighted", strategy: assignmentrule.StrategyWEIGHTED, targets: reps, weights: []int{1, 2, 3}})
	e := f.engine(nil)
	const n = 10_000
	total := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if _, err := f.c.Lead.Update().Where(lead.StatusEQ(lead.StatusACTIVE)).SetStatus(lead.StatusARCHIVED).Save(f.ctx); err != nil {
			b.Fatal(err)
		}
		ids := f.leads(b, n, nil)
		// Production tables have statistics (autovacuum); without them the
		// planner takes 10,000 fresh rows for one.
		if _, err := f.c.ExecContext(f.ctx, `ANALYZE leads`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := e.Run(f.ctx, ids)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Assigned) != n {
			b.Fatalf("%d of %d assigned", len(res.Assigned), n)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "leads/s")
}
