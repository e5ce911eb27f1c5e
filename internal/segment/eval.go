package segment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/ent/segmentversion"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/txn"
)

// ErrCycle is returned when segments reference each other in a loop.
var ErrCycle = errors.New("segment references form a cycle")

// evaluator computes a rule's members as a bitmap of leads.seq. A rule
// without segment references is one SQL query; references are read from the
// referenced segments' current versions and combined with the rest on
// bitmaps (an AND or OR group sends all its plain children as one query).
type evaluator struct {
	c   *ent.Client
	sch *fields.Schema
	env env
	// scope is the caller's row filter; nil reads every lead.
	scope func(*sql.Selector)
	// visiting guards inline evaluation of never-computed references.
	visiting map[uuid.UUID]bool
}

// anyNode reports whether pred holds for r or any node below it.
func anyNode(r *Rule, pred func(*Rule) bool) bool {
	if pred(r) {
		return true
	}
	if r.Not != nil && anyNode(r.Not, pred) {
		return true
	}
	for _, l := range [][]Rule{r.And, r.Or, r.Intersect, r.Union, r.Difference} {
		for i := range l {
			if anyNode(&l[i], pred) {
				return true
			}
		}
	}
	return false
}

// hasRef reports whether r names a saved segment anywhere.
func hasRef(r *Rule) bool {
	return anyNode(r, func(n *Rule) bool { return n.Segment != nil })
}

// ReadsUpdatedAt reports whether evaluating r may read the leads'
// updatedAt: an attribute condition on it, or a saved segment (whose rule
// may name it, and which is evaluated inline when never computed). The
// journey engine puts off the updated_at of leads it tagged until a step
// may read it.
func ReadsUpdatedAt(r *Rule) bool {
	return anyNode(r, func(n *Rule) bool {
		return n.Segment != nil || n.Attribute != nil && n.Attribute.Key == "updatedAt"
	})
}

// mentionsStatus reports whether some attribute condition of r names the
// lead status. Rules that do not are read over active leads only; rules that
// do over every lead that was not merged into another.
func mentionsStatus(r *Rule) bool {
	return anyNode(r, func(n *Rule) bool { return n.Attribute != nil && n.Attribute.Key == "status" })
}

// universe is the set of leads a rule is evaluated over.
type universe int

const (
	activeLeads   universe = iota // rules that do not name the status
	unmergedLeads                 // rules that do
	anyLead                       // row scope of member lists
)

func universeOf(allStatuses bool) universe {
	if allStatuses {
		return unmergedLeads
	}
	return activeLeads
}

// selectLeads is "SELECT cols FROM leads l WHERE <workspace, universe,
// scope> AND x" with the parameters of x.
func (ev *evaluator) selectLeads(allStatuses bool, x expr, cols ...string) *sql.Selector {
	return ev.selectIn(universeOf(allStatuses), x, cols...)
}

func (ev *evaluator) selectIn(u universe, x expr, cols ...string) *sql.Selector {
	s := sql.Dialect(dialect.Postgres).Select().From(sql.Table("leads").As("l"))
	for i, c := range cols {
		if name, ok := strings.CutPrefix(c, "l."); ok {
			cols[i] = s.C(name)
		}
	}
	s.Select(cols...)
	s.Where(sql.P(func(b *sql.Builder) {
		b.WriteString("l.tenant_id = ").Arg(ev.env.tid)
		switch u {
		case unmergedLeads:
			b.WriteString(" AND l.status <> 'MERGED'")
		case activeLeads:
			b.WriteString(" AND l.status = 'ACTIVE'")
		}
	}))
	if ev.scope != nil {
		ev.scope(s)
	}
	if x != nil {
		s.Where(sql.P(func(b *sql.Builder) { x(b, &ev.env) }))
	}
	return s
}

// query runs a selector of seqs into a bitmap.
func (ev *evaluator) query(ctx context.Context, s *sql.Selector) (*roaring.Bitmap, error) {
	q, args := s.Query()
	rows, err := ev.c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	bm := roaring.New()
	buf := make([]uint32, 0, 4096)
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		if seq < 0 || seq > math.MaxUint32 {
			return nil, fmt.Errorf("segment: lead seq %d out of range", seq)
		}
		buf = append(buf, uint32(seq))
		if len(buf) == cap(buf) {
			bm.AddMany(buf)
			buf = buf[:0]
		}
	}
	bm.AddMany(buf)
	return bm, rows.Err()
}

// members evaluates r over the universe of the top-level rule.
func (ev *evaluator) members(ctx context.Context, r *Rule, allStatuses bool) (*roaring.Bitmap, error) {
	if !hasRef(r) {
		x, err := compileRule(ev.sch, r)
		if err != nil {
			return nil, err
		}
		return ev.query(ctx, ev.selectLeads(allStatuses, x, "l.seq"))
	}
	// group evaluates the children of an AND (and=true) or OR group: the
	// plain ones as one query, the others one by one.
	group := func(list []Rule, and bool) (*roaring.Bitmap, error) {
		var plain []expr
		var sets []*roaring.Bitmap
		for i := range list {
			if hasRef(&list[i]) {
				bm, err := ev.members(ctx, &list[i], allStatuses)
				if err != nil {
					return nil, err
				}
				sets = append(sets, bm)
				continue
			}
			x, err := compileRule(ev.sch, &list[i])
			if err != nil {
				return nil, err
			}
			plain = append(plain, x)
		}
		if len(plain) > 0 {
			sep := " OR "
			if and {
				sep = " AND "
			}
			bm, err := ev.query(ctx, ev.selectLeads(allStatuses, joined(plain, sep), "l.seq"))
			if err != nil {
				return nil, err
			}
			sets = append(sets, bm)
		}
		if and {
			return roaring.FastAnd(sets...), nil
		}
		return roaring.FastOr(sets...), nil
	}
	switch {
	case r.And != nil:
		return group(r.And, true)
	case r.Intersect != nil:
		return group(r.Intersect, true)
	case r.Or != nil:
		return group(r.Or, false)
	case r.Union != nil:
		return group(r.Union, false)
	case r.Difference != nil:
		out, err := ev.members(ctx, &r.Difference[0], allStatuses)
		if err != nil {
			return nil, err
		}
		for i := 1; i < len(r.Difference); i++ {
			minus, err := ev.members(ctx, &r.Difference[i], allStatuses)
			if err != nil {
				return nil, err
			}
			out.AndNot(minus)
		}
		return out, nil
	case r.Not != nil:
		all, err := ev.query(ctx, ev.selectLeads(allStatuses, nil, "l.seq"))
		if err != nil {
			return nil, err
		}
		minus, err := ev.members(ctx, r.Not, allStatuses)
		if err != nil {
			return nil, err
		}
		all.AndNot(minus)
		return all, nil
	case r.Segment != nil:
		return ev.reference(ctx, *r.Segment)
	}
	return nil, fmt.Errorf("segment: empty rule node")
}

// reference returns a saved segment's current members: its READY version, or
// when it was never computed, its rule evaluated now.
func (ev *evaluator) reference(ctx context.Context, id uuid.UUID) (*roaring.Bitmap, error) {
	seg, err := ev.c.Segment.Query().Where(segment.ID(id)).
		Select(segment.FieldVersionID, segment.FieldRule, segment.FieldName).Only(ctx)
	if err != nil {
		return nil, err
	}
	if seg.VersionID != nil {
		// A bitmap copy: the caller combines it in place.
		return loadVersion(ctx, ev.c, *seg.VersionID)
	}
	if ev.visiting[id] {
		return nil, fmt.Errorf("%w (through %q)", ErrCycle, seg.Name)
	}
	if ev.visiting == nil {
		ev.visiting = map[uuid.UUID]bool{}
	}
	ev.visiting[id] = true
	defer delete(ev.visiting, id)
	return ev.members(ctx, &seg.Rule, mentionsStatus(&seg.Rule))
}

// versions caches decoded member bitmaps. A version is written once, whole,
// before any segment points at it, and never changes, so a cached copy is
// always right; entries are keyed by workspace and version.
var versions = func() *lru.Cache[[2]uuid.UUID, *roaring.Bitmap] {
	c, err := lru.New[[2]uuid.UUID, *roaring.Bitmap](256)
	if err != nil {
		panic(err)
	}
	return c
}()

// loadVersion reads the members of one segment version; the caller may
// change the bitmap it gets.
func loadVersion(ctx context.Context, c *ent.Client, id uuid.UUID) (*roaring.Bitmap, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	key := [2]uuid.UUID{tid, id}
	if bm, ok := versions.Get(key); ok {
		return bm.Clone(), nil
	}
	v, err := c.SegmentVersion.Query().Where(segmentversion.ID(id)).
		Select(segmentversion.FieldMembers).Only(ctx)
	if err != nil {
		return nil, err
	}
	bm, err := decode(v.Members)
	if err != nil {
		return nil, err
	}
	versions.Add(key, bm.Clone())
	return bm, nil
}

func decode(b []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	if len(b) == 0 {
		return bm, nil
	}
	if err := bm.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("segment: corrupt member bitmap: %w", err)
	}
	return bm, nil
}
