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
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	stdsql "database/sql"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/broadcast"
	"github.com/scrmhq/scrm/ent/segment"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/fields"
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
	Queue Enqueuer
	// Watcher learns who entered a segment at each computation; nil: nobody.
	Watcher        Watcher
	PreviewTimeout time.Duration
	ComputeTimeout time.Duration
}

// db is the client of the transaction ctx carries, else the root client.
func (s *Service) db(ctx context.Context) *ent.Client { return txn.Client(ctx, s.Client) }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
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

// Patch changes a segment; nil fields stay. RefreshEveryMinutes 0 clears
// the schedule.
type Patch struct {
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

// Create saves a segment and queues its first computation, in the
// transaction ctx carries or its own.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Segment, error) {
	c := s.db(ctx)
	name, err := checkName("name", in.Name)
	if err != nil {
		return nil, err
	}
	kind := in.Kind
	if kind == "" {
		kind = segment.KindDYNAMIC.String()
	}
	if segment.KindValidator(segment.Kind(kind)) != nil {
		return nil, apperr.Input("kind", "kind is DYNAMIC or STATIC")
	}
	if err := checkRefresh("refreshEveryMinutes", kind, in.RefreshEveryMinutes); err != nil {
		return nil, err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return nil, err
	}
	chk, err := check(ctx, c, sch, "rule", in.Rule)
	if err != nil {
		return nil, err
	}
	if err := uniqueName(ctx, c, "name", name, uuid.Nil); err != nil {
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
func (s *Service) UpdateSegment(ctx context.Context, id uuid.UUID, in Patch) (*ent.Segment, error) {
	c := s.db(ctx)
	seg, err := c.Segment.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	up := c.Segment.UpdateOne(seg)
	if in.Name != nil {
		name, err := checkName("name", *in.Name)
		if err != nil {
			return nil, err
		}
		if err := uniqueName(ctx, c, "name", name, id); err != nil {
			return nil, err
		}
		up.SetName(name)
	}
	if in.Description != nil {
		up.SetDescription(*in.Description)
	}
	if in.RefreshEveryMinutes != nil {
		if err := checkRefresh("refreshEveryMinutes", seg.Kind.String(), in.RefreshEveryMinutes); err != nil {
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
		chk, err := check(ctx, c, sch, "rule", in.Rule)
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
			return apperr.Input("rule", "%s: the rule would reference this segment", ErrCycle)
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
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	c := s.db(ctx)
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
func (s *Service) Refresh(ctx context.Context, id uuid.UUID) (*ent.Segment, error) {
	c := s.db(ctx)
	seg, err := c.Segment.UpdateOneID(id).SetStatus(segment.StatusPENDING).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Wrap(err, apperr.NotFound, "id", "segment not found")
	}
	if err != nil {
		return nil, err
	}
	return seg, s.schedule(ctx, seg)
}
