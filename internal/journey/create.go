package journey

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/journey"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/txn"
)

// Input creates a journey.
type Input struct {
	Name     string
	Trigger  schematype.JourneyTrigger
	Steps    []schematype.JourneyStep
	ExitRule *segment.Rule
	Reentry  bool
	// CreatedBy is the creating user, if any.
	CreatedBy *uuid.UUID
}

// Patch changes a journey; nil fields stay. New Steps, an ExitRule or
// ClearExitRule write a new version. A new Trigger enrols leads from then
// on; enrolments made by the old one go on.
type Patch struct {
	Name          *string
	Trigger       *schematype.JourneyTrigger
	Steps         []schematype.JourneyStep
	ExitRule      *segment.Rule
	ClearExitRule bool
	Reentry       *bool
}

// Create checks in and saves the journey as DRAFT with its version 1.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Journey, error) {
	if _, err := txn.Tenant(ctx); err != nil {
		return nil, err
	}
	c := s.DB(ctx)
	v := &validator{s: s, ctx: ctx, c: c}
	name, err := v.name("name", in.Name)
	if err != nil {
		return nil, err
	}
	if err := v.trigger("trigger", &in.Trigger); err != nil {
		return nil, err
	}
	if err := v.steps("steps", in.Steps); err != nil {
		return nil, err
	}
	if in.ExitRule != nil {
		if err := s.Segments.CheckRule(ctx, "exitRule", in.ExitRule); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	return txn.WithTxEntity(ctx, c, func(c *ent.Client) (*ent.Journey, error) {
		j, err := c.Journey.Create().SetName(name).SetTrigger(in.Trigger).
			SetTriggerKind(triggerKinds(in.Trigger)[0]).SetTriggerKey(triggerKey(in.Trigger)).
			SetReentry(in.Reentry).SetNillableCreatedByID(in.CreatedBy).
			SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return nil, err
		}
		vc := c.JourneyVersion.Create().SetJourneyID(j.ID).SetVersion(1).SetSteps(in.Steps).SetCreatedAt(now)
		if in.ExitRule != nil {
			vc.SetExitRule(in.ExitRule)
		}
		ver, err := vc.Save(ctx)
		if err != nil {
			return nil, err
		}
		return c.Journey.UpdateOne(j).SetVersionID(ver.ID).Save(ctx)
	})
}

// Update changes a journey. New steps or exit rule become a new version
// that new enrolments run; enrolled leads stay on theirs. An archived
// journey is not changed (CONFLICT).
func (s *Service) Update(ctx context.Context, id uuid.UUID, p Patch) (*ent.Journey, error) {
	if _, err := txn.Tenant(ctx); err != nil {
		return nil, err
	}
	c := s.DB(ctx)
	v := &validator{s: s, ctx: ctx, c: c}
	var name string
	if p.Name != nil {
		var err error
		if name, err = v.name("name", *p.Name); err != nil {
			return nil, err
		}
	}
	if p.Trigger != nil {
		if err := v.trigger("trigger", p.Trigger); err != nil {
			return nil, err
		}
	}
	if p.Steps != nil {
		if err := v.steps("steps", p.Steps); err != nil {
			return nil, err
		}
	}
	if p.ExitRule != nil && p.ClearExitRule {
		return nil, apperr.Input("clearExitRule", "give exitRule or clearExitRule, not both")
	}
	if p.ExitRule != nil {
		if err := s.Segments.CheckRule(ctx, "exitRule", p.ExitRule); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	return txn.WithTxEntity(ctx, c, func(c *ent.Client) (*ent.Journey, error) {
		j, err := c.Journey.Query().Where(journey.ID(id)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "id", "journey not found")
		}
		if err != nil {
			return nil, err
		}
		if j.Status == journey.StatusARCHIVED {
			return nil, apperr.New(apperr.Conflict, "id", "the journey is archived")
		}
		upd := c.Journey.UpdateOne(j).SetUpdatedAt(now)
		if p.Name != nil {
			upd.SetName(name)
		}
		if p.Reentry != nil {
			upd.SetReentry(*p.Reentry)
		}
		if p.Trigger != nil {
			upd.SetTrigger(*p.Trigger).SetTriggerKind(triggerKinds(*p.Trigger)[0]).SetTriggerKey(triggerKey(*p.Trigger))
		}
		if p.Steps != nil || p.ExitRule != nil || p.ClearExitRule {
			cur, err := c.JourneyVersion.Get(ctx, *j.VersionID)
			if err != nil {
				return nil, err
			}
			steps, exit := cur.Steps, cur.ExitRule
			if p.Steps != nil {
				steps = p.Steps
			}
			if p.ExitRule != nil {
				exit = p.ExitRule
			}
			if p.ClearExitRule {
				exit = nil
			}
			vc := c.JourneyVersion.Create().SetJourneyID(j.ID).SetVersion(j.Version + 1).SetSteps(steps).SetCreatedAt(now)
			if exit != nil {
				vc.SetExitRule(exit)
			}
			ver, err := vc.Save(ctx)
			if err != nil {
				return nil, err
			}
			upd.SetVersion(ver.Version).SetVersionID(ver.ID)
		}
		return upd.Save(ctx)
	})
}

// transitions are the status changes SetStatus allows.
var transitions = map[journey.Status][]journey.Status{
	journey.StatusDRAFT:  {journey.StatusACTIVE, journey.StatusARCHIVED},
	journey.StatusACTIVE: {journey.StatusPAUSED, journey.StatusARCHIVED},
	journey.StatusPAUSED: {journey.StatusACTIVE, journey.StatusARCHIVED},
}

// SetStatus activates, pauses, resumes or archives a journey. Pausing stops
// every step: enrolments stay where they are, and resuming continues them
// there (steps that fell due meanwhile run at the next pass). Archiving
// ends the journey: its active enrolments are EXITED. Setting the status
// it has changes nothing.
func (s *Service) SetStatus(ctx context.Context, id uuid.UUID, status journey.Status) (*ent.Journey, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	if journey.StatusValidator(status) != nil {
		return nil, apperr.Input("status", "DRAFT, ACTIVE, PAUSED or ARCHIVED")
	}
	now := s.Now()
	return txn.WithTxEntity(ctx, s.DB(ctx), func(c *ent.Client) (*ent.Journey, error) {
		j, err := c.Journey.Query().Where(journey.ID(id)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "id", "journey not found")
		}
		if err != nil {
			return nil, err
		}
		if j.Status == status {
			return j, nil
		}
		allowed := false
		for _, to := range transitions[j.Status] {
			allowed = allowed || to == status
		}
		if !allowed {
			return nil, apperr.New(apperr.Conflict, "status", "a %s journey cannot become %s", j.Status, status)
		}
		if status == journey.StatusARCHIVED {
			if _, err := c.ExecContext(ctx, `UPDATE enrollments SET status = 'EXITED', left_at = $3, next_run_at = NULL,
				error = 'the journey was archived' WHERE tenant_id = $1 AND journey_id = $2 AND status = 'ACTIVE'`, tid, id, now); err != nil {
				return nil, fmt.Errorf("journey: exit enrolments: %w", err)
			}
		}
		if status == journey.StatusACTIVE && s.Queue != nil {
			if err := s.Queue.EnqueueJourneyRun(ent.NewContext(ctx, c), tid); err != nil {
				return nil, err
			}
		}
		return c.Journey.UpdateOne(j).SetStatus(status).SetUpdatedAt(now).Save(ctx)
	})
}
