package pipeline

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/lostreason"
	"github.com/scrmhq/scrm/ent/predicate"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/scope"
)

// MoveLeadStage moves lead leadID to stage stageID and records the move as a
// StageChange (from, to, actor, at now, reason, lost reason).
//
// Rules:
//   - moving to the stage the lead is already in changes and records nothing;
//   - archived stages, and stages of archived pipelines, are refused;
//   - a LOST stage needs a reason: lostReasonID, a non-archived lost reason
//     of the workspace, or a reason text, which is linked to the lost reason
//     it names (see lostReasonNamed) and otherwise kept as free text; with
//     neither it is BAD_USER_INPUT at "reason". Other stages refuse a
//     lostReasonID (BAD_USER_INPUT at "lostReasonID");
//   - a lead moves to another pipeline only into an OPEN stage: entering a
//     pipeline starts its process, and won/lost in a pipeline the lead never
//     went through would distort that pipeline's funnel. A lead without a
//     stage may be put in any stage;
//   - merged leads are refused (CONFLICT): they live on in the lead they were
//     merged into.
//
// The lead row is locked for the move, so concurrent moves of one lead queue
// and each records the stage the previous one left it in. A lead outside the
// caller's write scope, as it stands once the row is locked, is FORBIDDEN.
// A zero now means the service's clock.
func (s *Service) MoveLeadStage(ctx context.Context, leadID, stageID uuid.UUID, actor *uuid.UUID,
	reason string, lostReasonID *uuid.UUID, now time.Time) (*ent.Lead, error) {
	c := s.DB(ctx)
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	reason, err := text("reason", reason, maxReasonLen, false)
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		now = s.Now()
	}
	var out *ent.Lead
	err = withTx(ctx, c, func(c *ent.Client) error {
		// Stage before lead, the lock order of this package. The share lock
		// holds off an archive, merge or delete of the target until we commit.
		to, stageErr := c.Stage.Query().Where(stage.ID(stageID)).ForShare().Only(ctx)
		if stageErr != nil && !ent.IsNotFound(stageErr) {
			return stageErr
		}
		// The lead's scope is checked once its row is locked, and before the
		// stage is judged (a missing stage is reported after it).
		if err := scope.LockLead(ctx, c, scope.Write, "id", leadID); err != nil {
			return err
		}
		if stageErr != nil {
			return notFound(stageErr, "stageID", "stage")
		}
		l, err := c.Lead.Query().Where(lead.ID(leadID)).Only(scope.Unscoped(ctx))
		if err != nil {
			return notFound(err, "id", "lead")
		}
		if l.StageID != nil && *l.StageID == stageID {
			out = l
			return nil
		}
		if l.Status == lead.StatusMERGED {
			return apperr.New(apperr.Conflict, "id", "the lead was merged into another lead; move that one").
				WithReason(apperr.ReasonLeadInactive)
		}
		if err := checkTarget(ctx, c, l, to); err != nil {
			return err
		}
		linked, err := checkLostReason(ctx, c, to, reason, lostReasonID)
		if err != nil {
			return err
		}
		if err := checkActor(ctx, c, actor); err != nil {
			return err
		}
		// The lock already makes this safe; the condition states it in the
		// statement too, so a lost lock could never record a wrong from.
		var wasThere predicate.Lead = lead.StageIDIsNil()
		if l.StageID != nil {
			wasThere = lead.StageID(*l.StageID)
		}
		out, err = c.Lead.UpdateOneID(leadID).Where(wasThere).SetStageID(stageID).SetUpdatedAt(now).Save(ctx)
		if ent.IsNotFound(err) {
			return apperr.Wrap(err, apperr.Conflict, "id", "the lead was moved concurrently; try again")
		}
		if err != nil {
			return err
		}
		err = c.StageChange.Create().SetLeadID(leadID).SetNillableFromID(l.StageID).SetToID(stageID).
			SetNillableActorID(actor).SetReason(reason).SetNillableLostReasonID(linked).SetAt(now).
			Exec(ctx)
		if err != nil || s.Watcher == nil {
			return err
		}
		return s.Watcher.StageEntered(ent.NewContext(ctx, c), stageID, []uuid.UUID{leadID})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkTarget applies the stage rules of MoveLeadStage to a move of l into to.
func checkTarget(ctx context.Context, c *ent.Client, l *ent.Lead, to *ent.Stage) error {
	if to.Archived {
		return apperr.Input("stageID", "the stage is archived")
	}
	p, err := c.Pipeline.Get(ctx, to.PipelineID)
	if err != nil {
		return err
	}
	if p.Archived {
		return apperr.Input("stageID", "the stage's pipeline is archived")
	}
	if l.StageID == nil || to.Kind == stage.KindOPEN {
		return nil
	}
	from, err := c.Stage.Get(ctx, *l.StageID)
	if err != nil {
		return err
	}
	if from.PipelineID != to.PipelineID {
		return apperr.Input("stageID", "a lead moves to another pipeline only into an OPEN stage").
			WithReason(apperr.ReasonOpenStageOnly)
	}
	return nil
}

// checkLostReason returns the lost reason a move into to records: for a
// LOST stage lostReasonID (which must be usable) or the lost reason the
// reason text names (nil for free text), and an error when there is
// neither; elsewhere none, and a lostReasonID is refused, where it would be
// recorded without meaning.
func checkLostReason(ctx context.Context, c *ent.Client, to *ent.Stage, reason string, id *uuid.UUID) (*uuid.UUID, error) {
	if to.Kind != stage.KindLOST {
		if id != nil {
			return nil, apperr.Input("lostReasonID", "a lost reason is given only when moving to a LOST stage")
		}
		return nil, nil
	}
	if id == nil {
		if reason == "" {
			return nil, apperr.Input("reason", "moving to a LOST stage needs a reason: one of the workspace's lost reasons or a text")
		}
		return lostReasonNamed(ctx, c, reason)
	}
	r, err := c.LostReason.Get(ctx, *id)
	switch {
	case ent.IsNotFound(err):
		return nil, apperr.Wrap(err, apperr.BadInput, "lostReasonID", "not a lost reason of this workspace")
	case err != nil:
		return nil, err
	case r.Archived:
		return nil, apperr.Input("lostReasonID", "the lost reason is archived")
	}
	return id, nil
}

// lostReasonNamed returns the lost reason of the workspace offered for new
// moves (not archived) whose name is text, else the only one whose name
// matches it ignoring case; nil when none does (the text is free).
func lostReasonNamed(ctx context.Context, c *ent.Client, text string) (*uuid.UUID, error) {
	rs, err := c.LostReason.Query().Where(lostreason.Archived(false)).All(ctx)
	if err != nil {
		return nil, err
	}
	var folded []uuid.UUID
	for _, r := range rs {
		if r.Name == text {
			return &r.ID, nil
		}
		if strings.EqualFold(r.Name, text) {
			folded = append(folded, r.ID)
		}
	}
	if len(folded) == 1 {
		return &folded[0], nil
	}
	return nil, nil
}

// CheckStageMove checks a move of many leads into stageID as MoveLeadStage
// checks each, before any lead is named: the stage exists (NOT_FOUND at
// "stageID"), it and its pipeline are not archived, a LOST stage has a
// reason (or a usable lostReasonID) and no other stage takes a
// lostReasonID. It returns the cleaned reason. The rules that depend on
// each lead (its pipeline, merged leads) are left to MoveLeadStage.
func (s *Service) CheckStageMove(ctx context.Context, stageID uuid.UUID, reason string, lostReasonID *uuid.UUID) (string, error) {
	reason, err := text("reason", reason, maxReasonLen, false)
	if err != nil {
		return "", err
	}
	c := s.DB(ctx)
	to, err := c.Stage.Get(ctx, stageID)
	if err != nil {
		return "", notFound(err, "stageID", "stage")
	}
	if to.Archived {
		return "", apperr.Input("stageID", "the stage is archived")
	}
	p, err := c.Pipeline.Get(ctx, to.PipelineID)
	if err != nil {
		return "", err
	}
	if p.Archived {
		return "", apperr.Input("stageID", "the stage's pipeline is archived")
	}
	if _, err := checkLostReason(ctx, c, to, reason, lostReasonID); err != nil {
		return "", err
	}
	return reason, nil
}
