// Package pipeline manages a workspace's sales pipelines, their stages and
// lost reasons, and moves leads between stages with a recorded history.
//
// The Service works in the transaction the context carries, or opens its
// own, because the invariants below are kept with row locks:
//
//   - one default pipeline per workspace (an advisory lock per workspace, backed
//     by the partial unique index);
//   - every non-archived pipeline keeps at least one non-archived OPEN stage,
//     the stage a new lead gets (the pipeline row is locked while stages change);
//   - a lead's StageChange history is a chain: each change's from is the
//     previous change's to (the lead row is locked while it moves).
//
// Locks are always taken in the order pipeline → stage → lead (leads in id
// order when there are many), so concurrent calls wait for each other instead
// of deadlocking.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/pipeline"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service changes pipelines, stages and lost reasons and moves leads between
// stages, in the transaction the context carries or in its own.
type Service struct {
	txn.Root
	// Watcher learns, in the move's transaction, which leads entered a
	// stage (journeys triggered by a stage); nil: nobody.
	Watcher Watcher
}

// Watcher is told about leads entering a stage (internal/journey).
type Watcher interface {
	// StageEntered gets the leads that moved into stageID; ctx carries the
	// move's transaction.
	StageEntered(ctx context.Context, stageID uuid.UUID, leads []uuid.UUID) error
}

// New returns the service over the root client c with the clock now (nil:
// the system clock); app.New builds the one the processes use.
func New(c *ent.Client, now func() time.Time) *Service {
	return &Service{Root: txn.NewRoot(c).WithClock(now)}
}

// Sentinel errors, the causes inside the apperr errors this package returns,
// for callers that branch with errors.Is.
var (
	// ErrNoDefaultStage means the workspace has no default pipeline with an
	// open stage, so a new lead has nowhere to start.
	ErrNoDefaultStage = errors.New("no default pipeline with an open stage")
	// ErrLastOpenStage refuses a change that would leave a pipeline without a
	// non-archived OPEN stage.
	ErrLastOpenStage = errors.New("a pipeline needs at least one open stage")
	// ErrStageInUse refuses deleting a stage that leads or history refer to.
	ErrStageInUse = errors.New("stage is in use")
)

// KeyPattern is what a stage key must look like; keys are stable identifiers
// for rules, imports and reports, so they are immutable once created.
var KeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Length limits in characters, matching the schema.
const (
	maxNameLen   = 200
	maxColorLen  = 32
	maxReasonLen = 1000
)

// StageInput describes a stage to create. A zero Kind means OPEN.
type StageInput struct {
	Key         string
	Name        string
	Kind        stage.Kind
	Probability int
	RotDays     *int
	FunnelStep  *stage.FunnelStep
	Color       string
}

// PipelineInput describes a pipeline to create with its stages in order.
type PipelineInput struct {
	Name      string
	IsDefault bool
	Stages    []StageInput
}

// PipelinePatch holds the changes of UpdatePipeline; nil leaves a field alone.
type PipelinePatch struct {
	Name *string
	// IsDefault true makes the pipeline the workspace default (the previous one
	// stops being it); false is refused on the default pipeline, because a
	// workspace always has one.
	IsDefault *bool
	Position  *int
}

// validStage checks in and returns it normalised (trimmed, kind defaulted).
// prefix is prepended to field paths, e.g. "stages[2].".
func validStage(prefix string, in StageInput) (StageInput, error) {
	if !KeyPattern.MatchString(in.Key) {
		return in, apperr.Input(prefix+"key", "key must match %s", KeyPattern)
	}
	name, err := text(prefix+"name", in.Name, maxNameLen, true)
	if err != nil {
		return in, err
	}
	in.Name = name
	if in.Kind == "" {
		in.Kind = stage.KindOPEN
	}
	if stage.KindValidator(in.Kind) != nil {
		return in, apperr.Input(prefix+"kind", "kind must be OPEN, WON or LOST")
	}
	if err := validProbability(prefix+"probability", in.Probability); err != nil {
		return in, err
	}
	if err := validRotDays(prefix+"rotDays", in.RotDays); err != nil {
		return in, err
	}
	if err := validFunnelStep(prefix+"funnelStep", in.FunnelStep); err != nil {
		return in, err
	}
	if in.Color, err = text(prefix+"color", in.Color, maxColorLen, false); err != nil {
		return in, err
	}
	return in, nil
}

func validProbability(field string, p int) error {
	if p < 0 || p > 100 {
		return apperr.Input(field, "probability must be between 0 and 100")
	}
	return nil
}

func validRotDays(field string, d *int) error {
	if d != nil && *d < 1 {
		return apperr.Input(field, "rotDays must be at least 1 (leave it empty for no limit)")
	}
	return nil
}

func validFunnelStep(field string, f *stage.FunnelStep) error {
	if f != nil && stage.FunnelStepValidator(*f) != nil {
		return apperr.Input(field, "unknown funnel step %q", string(*f))
	}
	return nil
}

// CreatePipeline validates in and creates the pipeline with its stages, in
// the given order. With IsDefault it becomes the workspace default and the
// previous default stops being it.
func (s *Service) CreatePipeline(ctx context.Context, in PipelineInput) (*ent.Pipeline, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	name, err := text("name", in.Name, maxNameLen, true)
	if err != nil {
		return nil, err
	}
	if len(in.Stages) == 0 {
		return nil, apperr.Input("stages", "a pipeline needs at least one stage")
	}
	stages := make([]StageInput, len(in.Stages))
	seen := make(map[string]int, len(in.Stages))
	open := false
	for i, s := range in.Stages {
		prefix := fmt.Sprintf("stages[%d].", i)
		if stages[i], err = validStage(prefix, s); err != nil {
			return nil, err
		}
		if j, dup := seen[stages[i].Key]; dup {
			return nil, apperr.Input(prefix+"key", "key %q is also used by stages[%d]", stages[i].Key, j)
		}
		seen[stages[i].Key] = i
		open = open || stages[i].Kind == stage.KindOPEN
	}
	if !open {
		return nil, apperr.Wrap(ErrLastOpenStage, apperr.BadInput, "stages", "at least one stage must be OPEN: it is where new leads start")
	}
	var out *ent.Pipeline
	err = withTx(ctx, c, func(c *ent.Client) error {
		if in.IsDefault {
			if err := lockWorkspace(ctx, c, lockDefaultPipeline); err != nil {
				return err
			}
		}
		if err := nameFree(ctx, c, name, uuid.Nil); err != nil {
			return err
		}
		pos, err := nextPipelinePosition(ctx, c)
		if err != nil {
			return err
		}
		if in.IsDefault {
			if err := c.Pipeline.Update().Where(pipeline.IsDefault(true)).SetIsDefault(false).Exec(ctx); err != nil {
				return err
			}
		}
		p, err := c.Pipeline.Create().SetName(name).SetIsDefault(in.IsDefault).SetPosition(pos).Save(ctx)
		if err != nil {
			return pipelineSaveErr(err)
		}
		creates := make([]*ent.StageCreate, len(stages))
		for i, s := range stages {
			creates[i] = c.Stage.Create().SetPipelineID(p.ID).SetKey(s.Key).SetName(s.Name).SetPosition(i).
				SetKind(s.Kind).SetProbability(s.Probability).SetNillableRotDays(s.RotDays).
				SetNillableFunnelStep(s.FunnelStep).SetColor(s.Color)
		}
		if p.Edges.Stages, err = c.Stage.CreateBulk(creates...).Save(ctx); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdatePipeline renames a pipeline, moves it in the list or makes it the default.
func (s *Service) UpdatePipeline(ctx context.Context, id uuid.UUID, p PipelinePatch) (*ent.Pipeline, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	var name string
	if p.Name != nil {
		var err error
		if name, err = text("name", *p.Name, maxNameLen, true); err != nil {
			return nil, err
		}
	}
	if p.Position != nil && *p.Position < 0 {
		return nil, apperr.Input("position", "position must not be negative")
	}
	var out *ent.Pipeline
	err := withTx(ctx, c, func(c *ent.Client) error {
		makeDefault := p.IsDefault != nil && *p.IsDefault
		if makeDefault {
			if err := lockWorkspace(ctx, c, lockDefaultPipeline); err != nil {
				return err
			}
		}
		cur, err := lockPipeline(ctx, c, id, "id")
		if err != nil {
			return err
		}
		u := cur.Update()
		if p.Name != nil && name != cur.Name {
			if err := nameFree(ctx, c, name, id); err != nil {
				return err
			}
			u.SetName(name)
		}
		if p.Position != nil {
			u.SetPosition(*p.Position)
		}
		switch {
		case p.IsDefault == nil || *p.IsDefault == cur.IsDefault:
		case !*p.IsDefault:
			return apperr.Input("isDefault", "a workspace always has a default pipeline: make another pipeline the default instead")
		case cur.Archived:
			return apperr.Input("isDefault", "an archived pipeline cannot be the default")
		default:
			if err := c.Pipeline.Update().Where(pipeline.IsDefault(true)).SetIsDefault(false).Exec(ctx); err != nil {
				return err
			}
			u.SetIsDefault(true)
		}
		if out, err = u.Save(ctx); err != nil {
			return pipelineSaveErr(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DefaultStage returns the stage a new lead starts in: the first non-archived
// OPEN stage, by position, of the workspace's default pipeline.
func DefaultStage(ctx context.Context, c *ent.Client) (*ent.Stage, error) {
	s, err := c.Stage.Query().
		Where(stage.Archived(false), stage.KindEQ(stage.KindOPEN), stage.HasPipelineWith(pipeline.IsDefault(true))).
		Order(stage.ByPosition(), stage.ByID()).
		First(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Wrap(ErrNoDefaultStage, apperr.NotFound, "", ErrNoDefaultStage.Error())
	}
	return s, err
}

// Stages returns the stages of a pipeline in order (position, then creation),
// with or without the archived ones.
func (s *Service) Stages(ctx context.Context, pipelineID uuid.UUID, includeArchived bool) ([]*ent.Stage, error) {
	return stages(ctx, s.DB(ctx), pipelineID, includeArchived)
}

// stages is Stages on the client c (the caller's transaction).
func stages(ctx context.Context, c *ent.Client, pipelineID uuid.UUID, includeArchived bool) ([]*ent.Stage, error) {
	q := c.Stage.Query().Where(stage.PipelineID(pipelineID))
	if !includeArchived {
		q.Where(stage.Archived(false))
	}
	return q.Order(stage.ByPosition(), stage.ByID()).All(ctx)
}

// lockPipeline reads pipeline id FOR NO KEY UPDATE: the lock under which its
// stage set changes, so "at least one open stage" and positions cannot race.
// (NO KEY: the foreign-key checks of rows pointing at it need not wait.)
func lockPipeline(ctx context.Context, c *ent.Client, id uuid.UUID, field string) (*ent.Pipeline, error) {
	p, err := c.Pipeline.Query().Where(pipeline.ID(id)).Unique(false).
		Modify(func(s *sql.Selector) { s.For(sql.LockNoKeyUpdate) }).Only(ctx)
	return p, notFound(err, field, "pipeline")
}

// nameFree reports CONFLICT when another pipeline (not except) is called name.
func nameFree(ctx context.Context, c *ent.Client, name string, except uuid.UUID) error {
	taken, err := c.Pipeline.Query().Where(pipeline.Name(name), pipeline.IDNEQ(except)).Exist(ctx)
	if err != nil {
		return err
	}
	if taken {
		return apperr.New(apperr.Conflict, "name", "a pipeline named %q exists", name)
	}
	return nil
}

// pipelineSaveErr maps a unique violation that slipped past nameFree (a
// concurrent create) to the same CONFLICT.
func pipelineSaveErr(err error) error {
	if ent.IsConstraintError(err) {
		return apperr.Wrap(err, apperr.Conflict, "name", "a pipeline with this name exists")
	}
	return err
}

func nextPipelinePosition(ctx context.Context, c *ent.Client) (int, error) {
	last, err := c.Pipeline.Query().Order(pipeline.ByPosition(sql.OrderDesc())).First(ctx)
	switch {
	case ent.IsNotFound(err):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return last.Position + 1, nil
}
