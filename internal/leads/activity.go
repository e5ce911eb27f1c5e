package leads

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/deal"
	"github.com/scrmhq/scrm/ent/followup"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/ent/pipeline"
	"github.com/scrmhq/scrm/ent/predicate"
	"github.com/scrmhq/scrm/ent/stage"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// FollowUpInput is one contact with a lead to record.
type FollowUpInput struct {
	LeadID         uuid.UUID
	Kind           followup.Kind
	Content        string
	Outcome        *followup.Outcome
	NextFollowUpAt *time.Time
	Author         *uuid.UUID
}

// CreateFollowUp records a follow-up on an active lead in the caller's scope
// and moves the lead's lastFollowUpAt on (which restarts its recycle clock).
func (s *Service) CreateFollowUp(ctx context.Context, now time.Time, in FollowUpInput) (*ent.FollowUp, error) {
	c := s.DB(ctx)
	if followup.KindValidator(in.Kind) != nil {
		return nil, apperr.Input("kind", "kind must be CALL, VISIT, WECOM, SMS, EMAIL or NOTE")
	}
	if in.Outcome != nil && followup.OutcomeValidator(*in.Outcome) != nil {
		return nil, apperr.Input("outcome", "unknown outcome %q", *in.Outcome)
	}
	content, err := textinput.Clean("content", in.Content, 5000, in.Kind == followup.KindNOTE)
	if err != nil {
		return nil, err
	}
	if in.NextFollowUpAt != nil && !in.NextFollowUpAt.After(now) {
		return nil, apperr.Input("nextFollowUpAt", "must be in the future")
	}
	var f *ent.FollowUp
	err = txn.WithTx(ctx, c, func(c *ent.Client) error {
		if err := scope.LockLead(ctx, c, scope.Write, "leadID", in.LeadID); err != nil {
			return err
		}
		l, err := c.Lead.Query().Where(lead.ID(in.LeadID)).Only(ctx)
		if err != nil {
			return err
		}
		if l.Status != lead.StatusACTIVE {
			return apperr.New(apperr.Conflict, "leadID", "lead is %s", strings.ToLower(string(l.Status)))
		}
		f, err = c.FollowUp.Create().SetLeadID(in.LeadID).SetKind(in.Kind).SetContent(content).
			SetNillableOutcome(in.Outcome).SetNillableNextFollowUpAt(in.NextFollowUpAt).
			SetNillableAuthorID(in.Author).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if s.Promises != nil {
			if err := s.Promises.FollowedUp(ctx, c, f, l); err != nil {
				return err
			}
		}
		if l.LastFollowUpAt == nil || now.After(*l.LastFollowUpAt) {
			return c.Lead.UpdateOneID(in.LeadID).SetLastFollowUpAt(now).SetUpdatedAt(now).Exec(ctx)
		}
		return nil
	})
	return f, err
}

// DealInput is a closed sale to record.
type DealInput struct {
	LeadID   uuid.UUID
	Amount   float64
	Currency string
	ClosedAt *time.Time
	Actor    *uuid.UUID
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// maxAmount keeps amounts inside numeric(18,2).
const maxAmount = 1e15

// CreateDeal records a deal on a lead in the caller's scope, credited to the
// lead's owner at that moment. The amount is rounded to cents. The lead's
// first deal moves it to its pipeline's WON stage if it is not in one; later
// deals are marked repurchases (复购).
func (s *Service) CreateDeal(ctx context.Context, now time.Time, in DealInput) (*ent.Deal, error) {
	c := s.DB(ctx)
	if math.IsNaN(in.Amount) || in.Amount <= 0 || in.Amount >= maxAmount {
		return nil, apperr.Input("amount", "amount must be greater than 0 and less than %.0f", float64(maxAmount))
	}
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if cur == "" {
		cur = "CNY"
	}
	if !currencyCode.MatchString(cur) {
		return nil, apperr.Input("currency", "currency must be an ISO 4217 code such as CNY")
	}
	closed := now
	if in.ClosedAt != nil {
		if in.ClosedAt.After(now.Add(24 * time.Hour)) {
			return nil, apperr.Input("closedAt", "a deal cannot close in the future")
		}
		closed = *in.ClosedAt
	}
	var d *ent.Deal
	err := txn.WithTx(ctx, c, func(c *ent.Client) error {
		if err := scope.LockLead(ctx, c, scope.Write, "leadID", in.LeadID); err != nil {
			return err
		}
		l, err := c.Lead.Query().Where(lead.ID(in.LeadID)).Only(ctx)
		if err != nil {
			return err
		}
		if l.Status == lead.StatusMERGED {
			return apperr.New(apperr.Conflict, "leadID", "lead was merged; record the deal on the lead it was merged into")
		}
		earlier, err := c.Deal.Query().Where(deal.LeadID(in.LeadID)).Exist(ctx)
		if err != nil {
			return err
		}
		d, err = c.Deal.Create().SetLeadID(in.LeadID).SetNillableOwnerID(l.OwnerID).
			SetAmount(math.Round(in.Amount*100) / 100).SetCurrency(cur).SetClosedAt(closed).
			SetRepurchase(earlier).SetNillableCreatedByID(in.Actor).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return fmt.Errorf("create deal: %w", err)
		}
		if earlier {
			return nil
		}
		return moveToWon(ctx, c, l, in.Actor, now)
	})
	return d, err
}

// moveToWon puts a lead that just closed its first deal in the first WON
// stage of its pipeline (the default pipeline when it has no stage), with a
// stage change, unless it already is in a WON stage or the pipeline has none.
func moveToWon(ctx context.Context, c *ent.Client, l *ent.Lead, actor *uuid.UUID, now time.Time) error {
	var pipelineID uuid.UUID
	if l.StageID != nil {
		cur, err := c.Stage.Get(ctx, *l.StageID)
		if err != nil {
			return err
		}
		if cur.Kind == stage.KindWON {
			return nil
		}
		pipelineID = cur.PipelineID
	} else {
		p, err := c.Pipeline.Query().Where(pipeline.IsDefault(true)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		pipelineID = p.ID
	}
	won, err := c.Stage.Query().
		Where(stage.PipelineID(pipelineID), stage.KindEQ(stage.KindWON), stage.Archived(false)).
		Order(ent.Asc(stage.FieldPosition)).First(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.Lead.UpdateOneID(l.ID).SetStageID(won.ID).SetUpdatedAt(now).Exec(ctx); err != nil {
		return err
	}
	return c.StageChange.Create().SetLeadID(l.ID).SetNillableFromID(l.StageID).SetToID(won.ID).
		SetNillableActorID(actor).SetReason("first deal").SetAt(now).Exec(ctx)
}

// OverdueFollowUps lists the follow-ups whose next follow-up time has passed
// with no newer follow-up on the lead, over the active leads owner owns,
// oldest due first: the rep's call list of promises not kept.
func (s *Service) OverdueFollowUps(ctx context.Context, owner uuid.UUID, now time.Time, limit int) ([]*ent.FollowUp, error) {
	return s.DB(ctx).FollowUp.Query().Where(overdue(owner, now)...).
		Order(ent.Asc(followup.FieldNextFollowUpAt)).Limit(limit).All(ctx)
}

// CountOverdueFollowUps counts what OverdueFollowUps lists, without a limit.
func (s *Service) CountOverdueFollowUps(ctx context.Context, owner uuid.UUID, now time.Time) (int, error) {
	return s.DB(ctx).FollowUp.Query().Where(overdue(owner, now)...).Count(ctx)
}

// overdue selects the overdue follow-ups of owner's active leads at now.
func overdue(owner uuid.UUID, now time.Time) []predicate.FollowUp {
	return []predicate.FollowUp{
		followup.NextFollowUpAtLT(now),
		followup.HasLeadWith(lead.OwnerID(owner), lead.StatusEQ(lead.StatusACTIVE)),
		func(s *sql.Selector) {
			later := sql.Table(followup.Table).As("later")
			s.Where(sql.Not(sql.Exists(sql.Select(later.C(followup.FieldID)).From(later).Where(sql.And(
				sql.ColumnsEQ(later.C(followup.FieldTenantID), s.C(followup.FieldTenantID)),
				sql.ColumnsEQ(later.C(followup.FieldLeadID), s.C(followup.FieldLeadID)),
				sql.ColumnsGT(later.C(followup.FieldCreatedAt), s.C(followup.FieldCreatedAt)),
			)))))
		},
	}
}
