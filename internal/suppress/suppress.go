// Package suppress keeps the do-not-disturb and blacklist entries that
// broadcasts and ingest respect.
package suppress

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/suppression"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/clean"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
)

// Input is one suppression to record: at least one of Phone, Email and LeadID.
type Input struct {
	Kind   suppression.Kind
	Phone  *string
	Email  *string
	LeadID *uuid.UUID
	Reason string
	Until  *time.Time
	Actor  *uuid.UUID
}

// Add records a suppression after cleaning the identity the same way leads
// are cleaned, so the entry matches a lead's stored phone or email exactly.
// A masked value, an expiry in the past or a lead outside the caller's scope
// is refused and nothing is written.
func (s *Service) Add(ctx context.Context, region string, now time.Time, in Input) (*ent.Suppression, error) {
	c := s.DB(ctx)
	var out *ent.Suppression
	// In one transaction, so the lead's scope is checked under its row lock.
	err := txn.WithTx(ctx, c, func(c *ent.Client) error {
		var err error
		out, err = add(ctx, c, region, now, in)
		return err
	})
	return out, err
}

func add(ctx context.Context, c *ent.Client, region string, now time.Time, in Input) (*ent.Suppression, error) {
	if suppression.KindValidator(in.Kind) != nil {
		return nil, apperr.Input("kind", "kind must be DND or BLACKLIST")
	}
	q := c.Suppression.Create().SetKind(in.Kind)
	any := false
	if in.Phone != nil && strings.TrimSpace(*in.Phone) != "" {
		if clean.IsMasked(*in.Phone) {
			return nil, apperr.Input("phone", "a masked phone number cannot be suppressed; use leadID")
		}
		p, err := clean.Phone(*in.Phone, region)
		if err != nil {
			return nil, apperr.Wrap(err, apperr.BadInput, "phone", err.Error())
		}
		q.SetPhone(p)
		any = true
	}
	if in.Email != nil && strings.TrimSpace(*in.Email) != "" {
		if clean.IsMasked(*in.Email) {
			return nil, apperr.Input("email", "a masked email cannot be suppressed; use leadID")
		}
		e, err := clean.Email(*in.Email)
		if err != nil {
			return nil, apperr.Wrap(err, apperr.BadInput, "email", err.Error())
		}
		q.SetEmail(e)
		any = true
	}
	if in.LeadID != nil {
		if err := scope.LockLead(ctx, c, scope.Write, "leadID", *in.LeadID); err != nil {
			return nil, err
		}
		q.SetLeadID(*in.LeadID)
		any = true
	}
	if !any {
		return nil, apperr.Input("input", "give a phone, an email or a leadID to suppress")
	}
	reason, err := textinput.Clean("reason", in.Reason, 500, false)
	if err != nil {
		return nil, err
	}
	if in.Until != nil && !in.Until.After(now) {
		return nil, apperr.Input("until", "until must be in the future")
	}
	return q.SetReason(reason).SetNillableUntil(in.Until).SetNillableCreatedByID(in.Actor).Save(ctx)
}
