package segment

import (
	"context"
	"slices"

	"entgo.io/ent/dialect/sql"
	"github.com/RoaringBitmap/roaring/v2"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// rowScope is the caller's lead row filter, nil when it sees every lead.
func rowScope(ctx context.Context) func(*sql.Selector) {
	v := auth.FromContext(ctx)
	if v == nil || slices.Contains(v.LeadScopes, policy.ScopeAll) {
		return nil
	}
	return scope.Predicate(v)
}

// firstSeqs returns up to n members greater than after.
func firstSeqs(bm *roaring.Bitmap, after int64, n int) []int64 {
	if n <= 0 {
		return nil
	}
	it := bm.Iterator()
	if after > 0 {
		it.AdvanceIfNeeded(uint32(after) + 1)
	}
	out := make([]int64, 0, n)
	for it.HasNext() && len(out) < n {
		out = append(out, int64(it.Next()))
	}
	return out
}

// Members returns the segment's current members that the caller can see;
// empty before the first computation. A viewer who sees masked a field the
// rule conditions on is refused (CheckReadable).
func (s *Service) Members(ctx context.Context, seg *ent.Segment) (*roaring.Bitmap, error) {
	return s.members(ctx, s.db(ctx), seg)
}

// members is Members on the client c (the caller's transaction).
func (s *Service) members(ctx context.Context, c *ent.Client, seg *ent.Segment) (*roaring.Bitmap, error) {
	if err := s.checkReadable(ctx, c, seg, "members"); err != nil {
		return nil, err
	}
	if seg.VersionID == nil {
		return roaring.New(), nil
	}
	bm, err := loadVersion(ctx, c, *seg.VersionID)
	if err != nil {
		return nil, err
	}
	if sc := rowScope(ctx); sc != nil {
		tid, err := txn.Tenant(ctx)
		if err != nil {
			return nil, err
		}
		ev := &evaluator{c: c, env: env{tid: tid}, scope: sc}
		visible, err := ev.query(ctx, ev.selectIn(anyLead, nil, "l.seq"))
		if err != nil {
			return nil, err
		}
		bm.And(visible)
	}
	return bm, nil
}

// Page returns up to n members after the seq after (0: from the start) and
// whether more follow.
func Page(bm *roaring.Bitmap, after int64, n int) (seqs []int64, more bool) {
	seqs = firstSeqs(bm, after, n+1)
	if len(seqs) > n {
		return seqs[:n], true
	}
	return seqs, false
}

// LeadsBySeq loads leads in the order of seqs (the member pages and
// previews), under the context's row scope like every lead read.
func (s *Service) LeadsBySeq(ctx context.Context, seqs []int64) ([]*ent.Lead, error) {
	return leadsBySeq(ctx, s.db(ctx), seqs)
}

// leadsBySeq is LeadsBySeq on the client c (the caller's transaction).
func leadsBySeq(ctx context.Context, c *ent.Client, seqs []int64) ([]*ent.Lead, error) {
	if len(seqs) == 0 {
		return []*ent.Lead{}, nil
	}
	ls, err := c.Lead.Query().Where(lead.SeqIn(seqs...)).All(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ls, func(a, b *ent.Lead) int { return int(a.Seq - b.Seq) })
	return ls, nil
}

// MemberSeqs returns the seqs of the segment's current members for a lead
// filter (LeadWhereInput.inSegment): all of them, since the query they
// narrow applies the caller's row scope itself; none before the first
// computation. A viewer who sees masked a field the rule conditions on is
// refused at field, as for Members.
func (s *Service) MemberSeqs(ctx context.Context, seg *ent.Segment, field string) ([]int64, error) {
	c := s.db(ctx)
	if err := s.checkReadable(ctx, c, seg, field); err != nil {
		return nil, err
	}
	if seg.VersionID == nil {
		return []int64{}, nil
	}
	bm, err := loadVersion(ctx, c, *seg.VersionID)
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, bm.GetCardinality())
	it := bm.Iterator()
	for it.HasNext() {
		out = append(out, int64(it.Next()))
	}
	return out, nil
}
