package segment_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/fielddefinition"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/segment"
)

// TestCommonShapesUseTheIndexes: the compiled SQL of the common rule shapes
// reaches every table through an index (events by workspace and name or lead
// and time, lead_tags by tag or lead, an indexed custom field through its
// expression index). Planned with sequential scans disabled, so a remaining
// Seq Scan means no index can serve that table, whatever the planner would
// pick on a tiny table.
func TestCommonShapesUseTheIndexes(t *testing.T) {
	f := newFixture(t)
	def, err := f.Fields.Create(f.Ctx, fielddefs.Input{Key: "budget", Label: "budget", Type: fielddefinition.TypeNUMBER, Indexed: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Fields.BuildIndex(f.Ctx, f.ID, def.ID); err != nil {
		t.Fatal(err)
	}
	ids := f.Leads(t, 50, func(i int, q *ent.LeadCreate) {
		q.SetAttributes(map[string]any{"budget": float64(i * 1000)})
	})
	for _, id := range ids[:10] {
		f.Tag(t, id, "vip")
		f.Event(t, id, "viewed_ad", t0.Add(-day))
	}
	if _, err := f.C.ExecContext(f.Ctx, `ANALYZE leads; ANALYZE lead_tags; ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	vip := f.tagID(t, "vip")
	three := 3
	for _, c := range []struct {
		name  string
		rule  segment.Rule
		index string
	}{
		{"event", segment.Rule{Event: &schematype.EventCondition{Name: "viewed_ad", MinCount: &three, WithinDays: ptr(7)}}, "on events"},
		{"tag", segment.Rule{Tag: &schematype.TagCondition{Any: []uuid.UUID{vip}}}, "lead_tags"},
		{"tag none", segment.Rule{Tag: &schematype.TagCondition{None: []uuid.UUID{vip}}}, "lead_tags"},
		{"never did", segment.Rule{Event: &schematype.EventCondition{Name: "paid", MaxCount: ptr(0)}}, "on events"},
		{"indexed field", attr("budget", "GT", 20000), fielddefs.IndexName(f.ID, "budget")},
		{"three conditions", segment.Rule{And: []segment.Rule{attr("budget", "GT", 20000),
			{Tag: &schematype.TagCondition{Any: []uuid.UUID{vip}}},
			{Event: &schematype.EventCondition{Name: "viewed_ad", MinCount: &three, WithinDays: ptr(7)}}}}, fielddefs.IndexName(f.ID, "budget")},
	} {
		q, args, err := f.svc.CountSQL(f.Ctx, &c.rule)
		if err != nil {
			t.Fatal(err)
		}
		plan := explain(t, f, q, args)
		if !strings.Contains(plan, c.index) {
			t.Errorf("%s: plan does not use %s:\n%s", c.name, c.index, plan)
		}
		if strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: a table is read without an index:\n%s", c.name, plan)
		}
	}
}

func explain(t *testing.T, f *fixture, q string, args []any) string {
	t.Helper()
	tx, err := f.C.Tx(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	if _, err := tx.ExecContext(f.Ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(f.Ctx, "EXPLAIN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
