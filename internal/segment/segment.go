// Package segment builds segments (分群): rule trees over lead attributes,
// tags, stages, owners and behaviour events, combined with and/or/not and
// with saved segments by intersect/union/difference; previews of their
// counts; and materialised, versioned member sets (Roaring bitmaps of
// leads.seq) that broadcasts read.
//
// A rule without segment references compiles to one parameterised SQL query
// (see compile.go for the exact semantics of every condition). Members are
// computed by a worker into a new SegmentVersion; the segment switches to it
// only when it is complete, so readers always see a whole computation.
package segment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	stdsql "database/sql"

	"entgo.io/ent/dialect/sql"
	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/ent/segmentversion"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/policy"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// Defaults of the Service.
const (
	DefaultPreviewTimeout = 3 * time.Second
	DefaultComputeTimeout = 15 * time.Minute
	// keepVersions is how many versions of a segment are kept: readers that
	// looked up the previous one a moment ago can still load it.
	keepVersions = 3
	// MinRefreshMinutes and MaxRefreshMinutes bound a dynamic segment's schedule.
	MinRefreshMinutes = 5
	MaxRefreshMinutes = 30 * 24 * 60
)

// Schemas serves the workspace's custom-field schema (fielddefs.Service).
type Schemas interface {
	Schema(ctx context.Context) (*fields.Schema, error)
}

// Enqueuer queues the computation of a segment (jobs.Queue), in the
// transaction ctx carries.
type Enqueuer interface {
	EnqueueSegment(ctx context.Context, tenantID, segmentID uuid.UUID) error
}

// Service previews, saves and computes segments.
type Service struct {
	// Client runs previews and computations in their own transactions, and
	// every write (a computation's result goes to it).
	Client *ent.Client
	// Reader, when set (a streaming replica), runs the read-only evaluation
	// of previews and computations instead of Client, which it falls back
	// to when the replica cannot be reached. Its data may lag the primary
	// by the replication delay.
	Reader *ent.Client
	Fields Schemas
	Now    func() time.Time
	// Queue schedules computations; nil computes nothing in the background.
	Queue          Enqueuer
	PreviewTimeout time.Duration
	ComputeTimeout time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ---------------------------------------------------------------- preview

// Preview is a rule's member count and the first members by seq.
type Preview struct {
	Count  int
	Sample []*ent.Lead
}

// Preview counts the leads r selects among those the caller can see and
// returns up to sample of them, within the preview timeout (LIMIT_EXCEEDED
// past it). field is the rule's input path.
func (s *Service) Preview(ctx context.Context, c *ent.Client, field string, r *Rule, sample int) (*Preview, error) {
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
	leads, err := LeadsBySeq(ctx, c, seqs)
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

// readOnly runs fn in a read-only REPEATABLE READ transaction (one snapshot
// for every query of a computation) with a statement timeout.
func (s *Service) readOnly(ctx context.Context, timeout time.Duration, fn func(tx *ent.Client) error) error {
	opts := &stdsql.TxOptions{ReadOnly: true, Isolation: stdsql.LevelRepeatableRead}
	tx, err := beginRead(ctx, s.Reader, s.Client, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to keep
	// One plan per query without parallel workers: a parallel plan builds the
	// event aggregates once per worker. Enough memory that they do not
	// spill, and no JIT (it costs more than it saves on these queries).
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL statement_timeout = %d; SET LOCAL max_parallel_workers_per_gather = 0;
		SET LOCAL work_mem = '64MB'; SET LOCAL jit = off`, timeout.Milliseconds())); err != nil {
		return err
	}
	return fn(tx.Client())
}

// beginRead begins a read-only transaction on the replica, or on the
// primary when there is no replica or it cannot be reached.
func beginRead(ctx context.Context, replica, primary *ent.Client, opts *stdsql.TxOptions) (*ent.Tx, error) {
	if replica != nil {
		tx, err := replica.BeginTx(ctx, opts)
		if err == nil || ctx.Err() != nil {
			return tx, err
		}
	}
	return primary.BeginTx(ctx, opts)
}

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

// ---------------------------------------------------------------- saved segments

// Input creates a segment.
type Input struct {
	Name        string
	Description string
	// Kind is DYNAMIC (recomputed on its schedule and on demand) or STATIC
	// (a snapshot taken when it is created, retaken only on demand).
	Kind                string
	Rule                *Rule
	RefreshEveryMinutes *int
	CreatedBy           *uuid.UUID
}

// Update changes a segment; nil fields stay. RefreshEveryMinutes 0 clears
// the schedule.
type Update struct {
	Name                *string
	Description         *string
	Rule                *Rule
	RefreshEveryMinutes *int
}

func checkName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", apperr.Input(field, "a name of 1 to 200 characters is required")
	}
	return name, nil
}

func checkRefresh(field, kind string, every *int) error {
	if every == nil || *every == 0 {
		return nil
	}
	if kind == segment.KindSTATIC.String() {
		return apperr.Input(field, "a STATIC segment keeps its snapshot; only DYNAMIC segments refresh on a schedule")
	}
	if *every < MinRefreshMinutes || *every > MaxRefreshMinutes {
		return apperr.Input(field, "must be between %d and %d minutes", MinRefreshMinutes, MaxRefreshMinutes)
	}
	return nil
}

// Create saves a segment and queues its first computation. c is the
// caller's (transactional) client.
func (s *Service) Create(ctx context.Context, c *ent.Client, in Input) (*ent.Segment, error) {
	name, err := checkName("input.name", in.Name)
	if err != nil {
		return nil, err
	}
	kind := in.Kind
	if kind == "" {
		kind = segment.KindDYNAMIC.String()
	}
	if segment.KindValidator(segment.Kind(kind)) != nil {
		return nil, apperr.Input("input.kind", "kind is DYNAMIC or STATIC")
	}
	if err := checkRefresh("input.refreshEveryMinutes", kind, in.RefreshEveryMinutes); err != nil {
		return nil, err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	chk, err := check(ctx, c, sch, "input.rule", in.Rule)
	if err != nil {
		return nil, err
	}
	if err := uniqueName(ctx, c, "input.name", name, uuid.Nil); err != nil {
		return nil, err
	}
	create := c.Segment.Create().SetName(name).SetDescription(in.Description).
		SetKind(segment.Kind(kind)).SetRule(*in.Rule).SetDependsOn(chk.refs).
		SetNillableCreatedByID(in.CreatedBy)
	if in.RefreshEveryMinutes != nil && *in.RefreshEveryMinutes > 0 {
		create.SetRefreshEveryMinutes(*in.RefreshEveryMinutes)
	}
	seg, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	return seg, s.schedule(ctx, seg)
}

func uniqueName(ctx context.Context, c *ent.Client, field, name string, self uuid.UUID) error {
	taken, err := c.Segment.Query().Where(segment.Name(name), segment.IDNEQ(self)).Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return apperr.New(apperr.Conflict, field, "a segment named %q exists", name)
	}
	return nil
}

// schedule queues a computation of seg in the caller's transaction (an
// outbox row that commits with the segment).
func (s *Service) schedule(ctx context.Context, seg *ent.Segment) error {
	if s.Queue == nil {
		return nil
	}
	return s.Queue.EnqueueSegment(ctx, seg.TenantID, seg.ID)
}

// UpdateSegment changes a segment; a new rule queues a recomputation and is
// refused when it would make segments reference each other in a loop.
func (s *Service) UpdateSegment(ctx context.Context, c *ent.Client, id uuid.UUID, in Update) (*ent.Segment, error) {
	seg, err := c.Segment.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	up := c.Segment.UpdateOne(seg)
	if in.Name != nil {
		name, err := checkName("input.name", *in.Name)
		if err != nil {
			return nil, err
		}
		if err := uniqueName(ctx, c, "input.name", name, id); err != nil {
			return nil, err
		}
		up.SetName(name)
	}
	if in.Description != nil {
		up.SetDescription(*in.Description)
	}
	if in.RefreshEveryMinutes != nil {
		if err := checkRefresh("input.refreshEveryMinutes", seg.Kind.String(), in.RefreshEveryMinutes); err != nil {
			return nil, err
		}
		if *in.RefreshEveryMinutes == 0 {
			up.ClearRefreshEveryMinutes().ClearNextRefreshAt()
		} else {
			up.SetRefreshEveryMinutes(*in.RefreshEveryMinutes)
			next := s.now()
			if seg.ComputedAt != nil {
				next = seg.ComputedAt.Add(time.Duration(*in.RefreshEveryMinutes) * time.Minute)
			}
			up.SetNextRefreshAt(next)
		}
	}
	recompute := false
	if in.Rule != nil {
		sch, err := s.Fields.Schema(ctx)
		if err != nil {
			return nil, err
		}
		chk, err := check(ctx, c, sch, "input.rule", in.Rule)
		if err != nil {
			return nil, err
		}
		if err := noCycle(ctx, c, id, chk.refs); err != nil {
			return nil, err
		}
		up.SetRule(*in.Rule).SetDependsOn(chk.refs).SetStatus(segment.StatusPENDING).ClearError()
		recompute = true
	}
	seg, err = up.Save(ctx)
	if err != nil {
		return nil, err
	}
	if recompute {
		return seg, s.schedule(ctx, seg)
	}
	return seg, nil
}

// noCycle refuses refs that lead back to id through the saved references.
func noCycle(ctx context.Context, c *ent.Client, id uuid.UUID, refs []uuid.UUID) error {
	seen := map[uuid.UUID]bool{}
	frontier := slices.Clone(refs)
	for len(frontier) > 0 {
		if slices.Contains(frontier, id) {
			return apperr.Input("input.rule", "%s: the rule would reference this segment", ErrCycle)
		}
		for _, f := range frontier {
			seen[f] = true
		}
		next, err := c.Segment.Query().Where(segment.IDIn(frontier...)).Select(segment.FieldDependsOn).All(ctx)
		if err != nil {
			return err
		}
		frontier = frontier[:0]
		for _, n := range next {
			for _, d := range n.DependsOn {
				if !seen[d] && !slices.Contains(frontier, d) {
					frontier = append(frontier, d)
				}
			}
		}
	}
	return nil
}

// Delete removes a segment and its versions; a segment another one
// references, or an unfinished broadcast sends to, is refused with CONFLICT.
func (s *Service) Delete(ctx context.Context, c *ent.Client, id uuid.UUID) error {
	if _, err := c.Segment.Get(ctx, id); err != nil {
		return err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	rows, err := c.QueryContext(ctx, `SELECT name FROM segments WHERE tenant_id = $1 AND depends_on @> jsonb_build_array($2::text) ORDER BY name LIMIT 5`, tid, id.String())
	if err != nil {
		return err
	}
	var users []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		users = append(users, fmt.Sprintf("%q", n))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(users) > 0 {
		return apperr.New(apperr.Conflict, "id", "segment is referenced by %s; change those first", strings.Join(users, ", "))
	}
	pending, err := c.Broadcast.Query().Where(broadcast.SegmentID(id),
		broadcast.StatusIn(broadcast.StatusSCHEDULED, broadcast.StatusPLANNING, broadcast.StatusSENDING, broadcast.StatusPAUSED)).
		Select(broadcast.FieldName).First(ctx)
	if err == nil {
		return apperr.New(apperr.Conflict, "id", "broadcast %q (%s) sends to this segment; cancel it first", pending.Name, pending.Status)
	}
	if !ent.IsNotFound(err) {
		return err
	}
	return c.Segment.DeleteOneID(id).Exec(ctx)
}

// Refresh marks the segment PENDING and queues a recomputation (STATIC
// segments retake their snapshot).
func (s *Service) Refresh(ctx context.Context, c *ent.Client, id uuid.UUID) (*ent.Segment, error) {
	seg, err := c.Segment.UpdateOneID(id).SetStatus(segment.StatusPENDING).Save(ctx)
	if err != nil {
		return nil, err
	}
	return seg, s.schedule(ctx, seg)
}

// ---------------------------------------------------------------- compute

// Compute evaluates the segment's rule and makes the result its current
// version. It runs as the system (no row scope): members are the workspace's,
// and readers apply their own scope. A failure is recorded on the segment
// (FAILED with the error) and leaves the current members in place.
func (s *Service) Compute(ctx context.Context, id uuid.UUID) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	started := s.now()
	var ver *ent.SegmentVersion
	var seg *ent.Segment
	err = txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		if seg, err = c.Segment.Query().Where(segment.ID(id)).ForUpdate().Only(ctx); err != nil {
			return err
		}
		last, err := c.SegmentVersion.Query().Where(segmentversion.SegmentID(id)).
			Order(ent.Desc(segmentversion.FieldVersion)).First(ctx)
		next := 1
		switch {
		case err == nil:
			next = last.Version + 1
		case !ent.IsNotFound(err):
			return err
		}
		if ver, err = c.SegmentVersion.Create().SetSegmentID(id).SetVersion(next).SetStartedAt(started).Save(ctx); err != nil {
			return err
		}
		return c.Segment.UpdateOneID(id).SetStatus(segment.StatusCOMPUTING).Exec(ctx)
	})
	if err != nil {
		return err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	timeout := s.ComputeTimeout
	if timeout <= 0 {
		timeout = DefaultComputeTimeout
	}
	var members *roaring.Bitmap
	evalErr := s.readOnly(ctx, timeout, func(tx *ent.Client) error {
		ev := &evaluator{c: tx, sch: sch, env: env{tid: tid, now: started}, visiting: map[uuid.UUID]bool{id: true}}
		var err error
		members, err = ev.members(ctx, &seg.Rule, mentionsStatus(&seg.Rule))
		return err
	})
	finished := s.now()
	next := nextRefresh(seg, finished)
	if evalErr != nil {
		msg := failure(evalErr, timeout)
		err := txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
			if err := c.SegmentVersion.UpdateOneID(ver.ID).SetStatus(segmentversion.StatusFAILED).
				SetError(msg).SetFinishedAt(finished).Exec(ctx); err != nil {
				return err
			}
			return c.Segment.UpdateOneID(id).SetStatus(segment.StatusFAILED).SetError(msg).
				SetNillableNextRefreshAt(next).Exec(ctx)
		})
		return errors.Join(fmt.Errorf("compute segment %s: %w", id, evalErr), err)
	}
	members.RunOptimize()
	blob, err := members.ToBytes()
	if err != nil {
		return err
	}
	count := int(members.GetCardinality())
	return txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		if err := c.SegmentVersion.UpdateOneID(ver.ID).SetStatus(segmentversion.StatusREADY).
			SetMembers(blob).SetMemberCount(count).SetFinishedAt(finished).Exec(ctx); err != nil {
			return err
		}
		// Only a newer version replaces the current one: two computations
		// that overlap finish in either order.
		n, err := c.Segment.Update().Where(segment.ID(id), func(sel *sql.Selector) {
			sel.Where(sql.P(func(b *sql.Builder) {
				b.WriteString("(" + sel.C(segment.FieldVersionID) + " IS NULL OR (SELECT v.version FROM segment_versions v WHERE v.id = " +
					sel.C(segment.FieldVersionID) + ") < ").Arg(ver.Version).WriteString(")")
			}))
		}).SetVersionID(ver.ID).SetMemberCount(count).SetComputedAt(finished).
			SetStatus(segment.StatusREADY).ClearError().SetNillableNextRefreshAt(next).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil // a newer version won
		}
		_, err = c.SegmentVersion.Delete().Where(segmentversion.SegmentID(id),
			segmentversion.VersionLTE(ver.Version-keepVersions)).Exec(ctx)
		return err
	})
}

func nextRefresh(seg *ent.Segment, at time.Time) *time.Time {
	if seg.Kind != segment.KindDYNAMIC || seg.RefreshEveryMinutes == nil {
		return nil
	}
	t := at.Add(time.Duration(*seg.RefreshEveryMinutes) * time.Minute)
	return &t
}

// failure is the message stored on a failed computation: no SQL, no stack.
func failure(err error, timeout time.Duration) string {
	var pe *pq.Error
	switch {
	case errors.As(err, &pe) && pe.Code == "57014":
		return fmt.Sprintf("the computation took longer than %s", timeout)
	case errors.Is(err, ErrCycle):
		return err.Error()
	case ent.IsNotFound(err):
		return "a referenced segment no longer exists"
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return "the computation failed; see the worker log"
}

// ---------------------------------------------------------------- members

// Members returns the segment's current members that the caller can see;
// empty before the first computation. A viewer who sees masked a field the
// rule conditions on is refused (CheckReadable).
func (s *Service) Members(ctx context.Context, c *ent.Client, seg *ent.Segment) (*roaring.Bitmap, error) {
	if err := s.CheckReadable(ctx, c, seg, "members"); err != nil {
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
func LeadsBySeq(ctx context.Context, c *ent.Client, seqs []int64) ([]*ent.Lead, error) {
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
