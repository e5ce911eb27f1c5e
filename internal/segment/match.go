package segment

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Rules used outside segments (journey conditions and exit rules) are
// checked and evaluated here, so they mean exactly what a segment's rule
// means.

// CheckRule validates r, given at input path field, like a segment's rule:
// its shape, the ids it names, and field security (a condition on a field
// the caller sees masked, directly or through a saved segment, is FORBIDDEN).
func (s *Service) CheckRule(ctx context.Context, field string, r *Rule) error {
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	_, err = check(ctx, s.db(ctx), sch, field, r)
	return err
}

// Match returns those of ids that r selects now, as the system (no row
// scope), reading in the transaction ctx carries. A rule without saved
// segments is one statement over the given leads; one with references is
// evaluated whole, like a preview, and intersected with them.
func (s *Service) Match(ctx context.Context, r *Rule, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	out := make(map[uuid.UUID]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	c := s.db(ctx)
	ev := &evaluator{c: c, sch: sch, env: env{tid: tid, now: s.now(), probe: true}}
	status := mentionsStatus(r)
	among := sql.P(func(b *sql.Builder) {
		b.WriteString("l.id = ANY(").Arg(txn.UUIDArray(ids)).WriteString("::uuid[])")
	})
	if !hasRef(r) {
		x, err := compileRule(sch, r)
		if err != nil {
			return nil, err
		}
		sel := ev.selectLeads(status, x, "l.id")
		sel.Where(among)
		return out, scanIDs(ctx, c, sel, func(id uuid.UUID, _ int64) { out[id] = true })
	}
	bm, err := ev.members(ctx, r, status)
	if err != nil {
		return nil, err
	}
	sel := ev.selectIn(anyLead, nil, "l.id", "l.seq")
	sel.Where(among)
	return out, scanIDs(ctx, c, sel, func(id uuid.UUID, seq int64) {
		if seq >= 0 && bm.Contains(uint32(seq)) {
			out[id] = true
		}
	})
}

// scanIDs runs sel (id, and optionally seq) and calls fn per row.
func scanIDs(ctx context.Context, c *ent.Client, sel *sql.Selector, fn func(uuid.UUID, int64)) error {
	q, args := sel.Query()
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		var id uuid.UUID
		var seq int64
		dest := []any{&id}
		if len(cols) > 1 {
			dest = append(dest, &seq)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn(id, seq)
	}
	return rows.Err()
}

// Watcher learns which leads entered a segment: in the transaction that
// makes a new computation current, the members it has that the computation
// it replaces had not (a first computation has no "before" and enters no
// one). internal/journey's segmentEntered trigger is one.
type Watcher interface {
	// Watches reports whether anything waits for entries into segmentID,
	// so computations nobody watches decode no previous bitmap.
	Watches(ctx context.Context, segmentID uuid.UUID) (bool, error)
	// SegmentEntered is given the entered leads by leads.seq.
	SegmentEntered(ctx context.Context, segmentID uuid.UUID, entered *roaring.Bitmap) error
}
