package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/ent/stagechange"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/scope"
)

// StagePatch holds the changes of UpdateStage; nil leaves a field alone. The
// key is immutable: rules, imports and reports refer to it.
type StagePatch struct {
	Name            *string
	Kind            *stage.Kind
	Probability     *int
	RotDays         *int
	ClearRotDays    bool
	FunnelStep      *stage.FunnelStep
	ClearFunnelStep bool
	Color           *string
}

// AddStage appends a stage to a pipeline (ReorderStages moves it).
func (s *Service) AddStage(ctx context.Context, pipelineID uuid.UUID, in StageInput) (*ent.Stage, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	in, err := validStage("", in)
	if err != nil {
		return nil, err
	}
	var out *ent.Stage
	err = withTx(ctx, c, func(c *ent.Client) error {
		if _, err := lockPipeline(ctx, c, pipelineID, "pipelineID"); err != nil {
			return err
		}
		// Archived stages keep their keys: history and reports still name them.
		all, err := c.Stage.Query().Where(stage.PipelineID(pipelineID)).All(ctx)
		if err != nil {
			return err
		}
		pos := 0
		for _, s := range all {
			if s.Key == in.Key {
				return apperr.New(apperr.Conflict, "key", "the pipeline already has a stage with key %q", in.Key)
			}
			pos = max(pos, s.Position+1)
		}
		out, err = c.Stage.Create().SetPipelineID(pipelineID).SetKey(in.Key).SetName(in.Name).SetPosition(pos).
			SetKind(in.Kind).SetProbability(in.Probability).SetNillableRotDays(in.RotDays).
			SetNillableFunnelStep(in.FunnelStep).SetColor(in.Color).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.Wrap(err, apperr.Conflict, "key", "the pipeline already has a stage with this key")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateStage changes a stage's name, kind, probability, rot days, funnel
// step or colour. Changing the kind does not move leads or write history: the
// leads in the stage simply count as the new kind from now on.
func (s *Service) UpdateStage(ctx context.Context, id uuid.UUID, p StagePatch) (*ent.Stage, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	var name, color string
	var err error
	if p.Name != nil {
		if name, err = text("name", *p.Name, maxNameLen, true); err != nil {
			return nil, err
		}
	}
	if p.Kind != nil && stage.KindValidator(*p.Kind) != nil {
		return nil, apperr.Input("kind", "kind must be OPEN, WON or LOST")
	}
	if p.Probability != nil {
		if err := validProbability("probability", *p.Probability); err != nil {
			return nil, err
		}
	}
	if err := validRotDays("rotDays", p.RotDays); err != nil {
		return nil, err
	}
	if err := validFunnelStep("funnelStep", p.FunnelStep); err != nil {
		return nil, err
	}
	if p.Color != nil {
		if color, err = text("color", *p.Color, maxColorLen, false); err != nil {
			return nil, err
		}
	}
	var out *ent.Stage
	err = withTx(ctx, c, func(c *ent.Client) error {
		s, err := lockStage(ctx, c, id, "id", sql.LockNoKeyUpdate)
		if err != nil {
			return err
		}
		u := s.Update()
		if p.Name != nil {
			u.SetName(name)
		}
		if p.Kind != nil && *p.Kind != s.Kind {
			if err := keepsOpenStage(ctx, c, s, "kind"); err != nil {
				return err
			}
			u.SetKind(*p.Kind)
		}
		if p.Probability != nil {
			u.SetProbability(*p.Probability)
		}
		switch {
		case p.ClearRotDays:
			u.ClearRotDays()
		case p.RotDays != nil:
			u.SetRotDays(*p.RotDays)
		}
		switch {
		case p.ClearFunnelStep:
			u.ClearFunnelStep()
		case p.FunnelStep != nil:
			u.SetFunnelStep(*p.FunnelStep)
		}
		if p.Color != nil {
			u.SetColor(color)
		}
		out, err = u.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReorderStages gives the pipeline's non-archived stages the order of
// stageIDs, which must list each of them exactly once. Archived stages keep
// their relative order after them. It returns the pipeline with its
// non-archived stages loaded in the new order.
func (s *Service) ReorderStages(ctx context.Context, pipelineID uuid.UUID, stageIDs []uuid.UUID) (*ent.Pipeline, error) {
	c := s.DB(ctx)
	tid, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.Pipeline
	err = withTx(ctx, c, func(c *ent.Client) error {
		p, err := lockPipeline(ctx, c, pipelineID, "pipelineID")
		if err != nil {
			return err
		}
		all, err := stages(ctx, c, pipelineID, true)
		if err != nil {
			return err
		}
		active := make(map[uuid.UUID]bool, len(all)) // id → listed yet
		var archived []uuid.UUID
		for _, s := range all {
			if s.Archived {
				archived = append(archived, s.ID)
			} else {
				active[s.ID] = false
			}
		}
		for i, id := range stageIDs {
			field := fmt.Sprintf("stageIDs[%d]", i)
			listed, ok := active[id]
			switch {
			case !ok && slices.Contains(archived, id):
				return apperr.Input(field, "the stage is archived")
			case !ok:
				return apperr.Input(field, "not a stage of this pipeline")
			case listed:
				return apperr.Input(field, "the stage is listed twice")
			}
			active[id] = true
		}
		if missing := len(active) - len(stageIDs); missing > 0 {
			return apperr.Input("stageIDs", "every non-archived stage of the pipeline must be listed: %d missing", missing)
		}
		order := append(append([]uuid.UUID{}, stageIDs...), archived...)
		// One statement for the whole new order; a pipeline has few stages,
		// but a loop would also leave positions half-rewritten on error.
		_, err = c.ExecContext(ctx, `
			UPDATE stages SET position = x.ord - 1, updated_at = $3
			FROM unnest($2::uuid[]) WITH ORDINALITY AS x(id, ord)
			WHERE stages.tenant_id = $1 AND stages.pipeline_id = $4 AND stages.id = x.id`,
			tid, uuidArray(order), s.Now(), pipelineID)
		if err != nil {
			return fmt.Errorf("reorder stages: %w", err)
		}
		if p.Edges.Stages, err = stages(ctx, c, pipelineID, false); err != nil {
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

// ArchiveStage hides a stage from new moves. Leads already in it stay there
// until moved or merged away. Archiving an archived stage changes nothing.
func (s *Service) ArchiveStage(ctx context.Context, id uuid.UUID) (*ent.Stage, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	var out *ent.Stage
	err := withTx(ctx, c, func(c *ent.Client) error {
		s, err := lockStage(ctx, c, id, "id", sql.LockNoKeyUpdate)
		if err != nil || s.Archived {
			out = s
			return err
		}
		if err := keepsOpenStage(ctx, c, s, "id"); err != nil {
			return err
		}
		out, err = s.Update().SetArchived(true).Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteStage removes a stage nothing refers to. A stage with leads (of any
// status) or with stage history is refused with CONFLICT, saying how many:
// such a stage can only be archived or merged into another.
func (s *Service) DeleteStage(ctx context.Context, id uuid.UUID) error {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return err
	}
	return withTx(ctx, c, func(c *ent.Client) error {
		// The stage lock makes a concurrent move into it wait (it takes a
		// share lock), so the counts below cannot go stale before the delete.
		s, err := lockStage(ctx, c, id, "id", sql.LockUpdate)
		if err != nil {
			return err
		}
		leads, err := c.Lead.Query().Where(lead.StageID(id)).Count(scope.Unscoped(ctx))
		if err != nil {
			return err
		}
		if leads > 0 {
			return apperr.Wrap(ErrStageInUse, apperr.Conflict, "id",
				fmt.Sprintf("%d leads are in this stage: merge it into another stage or archive it", leads))
		}
		moves, err := c.StageChange.Query().Where(stagechange.Or(stagechange.FromID(id), stagechange.ToID(id))).Count(ctx)
		if err != nil {
			return err
		}
		if moves > 0 {
			return apperr.Wrap(ErrStageInUse, apperr.Conflict, "id",
				fmt.Sprintf("%d stage changes refer to this stage: archive it to keep the history", moves))
		}
		if err := keepsOpenStage(ctx, c, s, "id"); err != nil {
			return err
		}
		return c.Stage.DeleteOneID(id).Exec(ctx)
	})
}

// stageChangeType holds bytes 6-7 of a StageChange id (UUID version and
// entity type code, see internal/gid), taken from a real id so that ids made
// in SQL below cannot drift from gid.
var stageChangeType = func() []byte {
	id := gid.New(gid.StageChange)
	return []byte{id[6], id[7]}
}()

// mergeSQL moves every lead of stage $2 into $3 and records a StageChange per
// lead, in one statement. Leads are locked in id order, the order every bulk
// lead write takes, so it cannot deadlock with them; a lead moved away
// concurrently is re-checked after its lock and skipped. StageChange ids are
// UUIDv7 made in SQL: the time of $4, the type bytes $7, random bits from
// gen_random_uuid (which also supplies the variant).
var mergeSQL = `
WITH locked AS (
	SELECT id FROM leads WHERE tenant_id = $1::uuid AND stage_id = $2::uuid ORDER BY id FOR UPDATE
), moved AS (
	UPDATE leads SET stage_id = $3::uuid, updated_at = $4::timestamptz
	FROM locked
	WHERE leads.tenant_id = $1::uuid AND leads.id = locked.id AND leads.stage_id = $2::uuid
	RETURNING leads.id
)
INSERT INTO stage_changes (id, tenant_id, lead_id, from_id, to_id, actor_id, lost_reason_id, reason, at)
SELECT ` + gid.NewSQL("$4::timestamptz", "$7::bytea") + `,
	$1::uuid, moved.id, $2::uuid, $3::uuid, $5::uuid, NULL, $6::text, $4::timestamptz
FROM moved`

// MergeStage moves every lead of stage fromID into intoID (same pipeline)
// with one statement that also writes their StageChange rows (actor, at
// now), then archives fromID. It returns the archived stage and the number of
// leads moved. Leads cannot be merged into a LOST stage from a stage that is
// not LOST, since each would need its own lost reason. The move is an admin's
// schema change: it applies to every lead of the stage, whatever the caller's
// lead scope.
func (s *Service) MergeStage(ctx context.Context, fromID, intoID uuid.UUID, actor *uuid.UUID, now time.Time) (*ent.Stage, int, error) {
	c := s.DB(ctx)
	tid, err := tenantOf(ctx)
	if err != nil {
		return nil, 0, err
	}
	if fromID == intoID {
		return nil, 0, apperr.Input("intoID", "a stage cannot be merged into itself")
	}
	if now.IsZero() {
		now = s.Now()
	}
	var out *ent.Stage
	var moved int
	err = withTx(ctx, c, func(c *ent.Client) error {
		from, err := lockStage(ctx, c, fromID, "id", sql.LockNoKeyUpdate)
		if err != nil {
			return err
		}
		into, err := c.Stage.Query().Where(stage.ID(intoID)).ForShare().Only(ctx)
		if err != nil {
			return notFound(err, "intoID", "stage")
		}
		switch {
		case into.PipelineID != from.PipelineID:
			return apperr.Input("intoID", "stages of different pipelines cannot be merged")
		case into.Archived:
			return apperr.Input("intoID", "cannot merge into an archived stage")
		case into.Kind == stage.KindLOST && from.Kind != stage.KindLOST:
			return apperr.Input("intoID", "leads moved into a LOST stage need a lost reason each: move them with moveLeadStage instead")
		}
		if into.Kind != stage.KindOPEN {
			if err := keepsOpenStage(ctx, c, from, "id"); err != nil {
				return err
			}
		}
		if err := checkActor(ctx, c, actor); err != nil {
			return err
		}
		var actorArg any
		if actor != nil {
			actorArg = *actor
		}
		reason := fmt.Sprintf("stage %q merged into %q", from.Key, into.Key)
		res, err := c.ExecContext(ctx, mergeSQL, tid, fromID, intoID, now, actorArg, reason, stageChangeType)
		if err != nil {
			return fmt.Errorf("merge stage: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		moved = int(n)
		if from.Archived {
			out = from
			return nil
		}
		out, err = from.Update().SetArchived(true).SetUpdatedAt(now).Save(ctx)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, moved, nil
}

// lockStage reads stage id with a row lock of strength after locking its
// pipeline (the lock order of this package).
//
// Changes that keep the row use FOR NO KEY UPDATE: it still makes a move into
// the stage (FOR SHARE) wait, but not the foreign-key checks (FOR KEY SHARE)
// of a move out of it, which holds its lead's lock; FOR UPDATE there would
// deadlock a merge against such a move. Only DeleteStage needs FOR UPDATE.
func lockStage(ctx context.Context, c *ent.Client, id uuid.UUID, field string, strength sql.LockStrength) (*ent.Stage, error) {
	s, err := c.Stage.Get(ctx, id)
	if err != nil {
		return nil, notFound(err, field, "stage")
	}
	if _, err := lockPipeline(ctx, c, s.PipelineID, field); err != nil {
		return nil, err
	}
	s, err = c.Stage.Query().Where(stage.ID(id)).Unique(false).
		Modify(func(s *sql.Selector) { s.For(strength) }).Only(ctx)
	return s, notFound(err, field, "stage")
}

// keepsOpenStage refuses, with CONFLICT at field, a change that takes s out of
// the pipeline's open stages (archive, delete, kind change, merge into a
// closed stage) when it is the last one. The caller holds the pipeline lock.
func keepsOpenStage(ctx context.Context, c *ent.Client, s *ent.Stage, field string) error {
	if s.Kind != stage.KindOPEN || s.Archived {
		return nil
	}
	others, err := c.Stage.Query().Where(stage.PipelineID(s.PipelineID), stage.IDNEQ(s.ID),
		stage.KindEQ(stage.KindOPEN), stage.Archived(false)).Count(ctx)
	if err != nil {
		return err
	}
	if others == 0 {
		return apperr.Wrap(ErrLastOpenStage, apperr.Conflict, field,
			"this is the pipeline's last open stage: new leads start in one, so add another first")
	}
	return nil
}
