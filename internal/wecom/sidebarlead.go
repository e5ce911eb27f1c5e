package wecom

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/util"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/scope"
	"github.com/scrmhq/scrm/internal/txn"
)

// Why a sidebar's customer has no lead for the viewer.
const (
	CustomerFound      = "FOUND"        // the lead is the viewer's to see
	CustomerUnknown    = "UNKNOWN"      // no active lead of the workspace is this customer
	CustomerOutOfScope = "OUT_OF_SCOPE" // a lead is, outside the viewer's row scope
)

// Customer is the lead a WeCom customer (external_userid) is, as the viewer
// sees it: Lead is nil unless Reason is CustomerFound. Contacts are the
// workspace's relationships with the customer, for a customer without a
// lead (a member's contact whose add found no lead).
type Customer struct {
	ExternalUserID string
	Lead           *ent.Lead
	Reason         string
	// Mine is whether the viewer's own member has the customer (a live
	// WeComContact of the viewer's user).
	Mine bool
}

// FindCustomer returns the active lead that is the customer: the lead of the
// customer's earliest WeCom relationship, else the lead whose WeCom identity
// key (wecomExternalUserID) it is, read under the viewer's row scope; the
// caller's masking applies to it like to any lead.
func (s *Service) FindCustomer(ctx context.Context, externalUserID string) (*Customer, error) {
	if externalUserID == "" || len([]rune(externalUserID)) > 64 {
		return nil, apperr.Input("externalUserID", "must be a WeCom external_userid (1 to 64 characters)")
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	out := &Customer{ExternalUserID: externalUserID, Reason: CustomerUnknown}
	id, err := s.knownLead(ctx, s.Client, externalUserID)
	if err != nil {
		return nil, err
	}
	if id == nil {
		var l uuid.UUID
		err := txn.QueryRow(ctx, s.Client, `SELECT id FROM leads WHERE tenant_id = $1 AND wecom_external_user_id = $2
			AND status = 'ACTIVE' LIMIT 1`, tid, externalUserID).Scan(&l)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if err == nil {
			id = &l
		}
	}
	if v := auth.FromContext(ctx); v != nil {
		if err := txn.QueryRow(ctx, s.Client, `SELECT EXISTS (SELECT 1 FROM wecom_contacts WHERE tenant_id = $1
			AND user_id = $2 AND external_user_id = $3 AND removed_at IS NULL)`, tid, v.UserID, externalUserID).Scan(&out.Mine); err != nil {
			return nil, err
		}
	}
	if id == nil {
		return out, nil
	}
	l, err := s.Client.Lead.Get(ctx, *id) // the viewer's row filter applies
	switch {
	case ent.IsNotFound(err):
		out.Reason = CustomerOutOfScope
	case err != nil:
		return nil, err
	default:
		out.Lead, out.Reason = l, CustomerFound
	}
	return out, nil
}

// AddCustomer makes the viewer's own WeCom customer a lead, as if its add
// callback had come now: the customer is fetched from WeCom
// (externalcontact/get with the customer-contact secret) and applied
// through the add_external_contact path (ingest with dedup and merge,
// ownership by the viewer's user when unowned, the WeComContact, event
// wecom.added), like the contacts sync. The viewer's user must be linked to
// a member who has the customer. Then it is FindCustomer.
func (s *Service) AddCustomer(ctx context.Context, externalUserID string) (*Customer, error) {
	if externalUserID == "" || len([]rune(externalUserID)) > 64 {
		return nil, apperr.Input("externalUserID", "must be a WeCom external_userid (1 to 64 characters)")
	}
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Forbidden, "", "only a signed-in user adds their WeCom customer")
	}
	u, err := s.Client.User.Get(ctx, v.UserID)
	if err != nil {
		return nil, err
	}
	if u.WecomUserID == nil || *u.WecomUserID == "" {
		return nil, apperr.New(apperr.Conflict, "", "your user is not linked to a WeCom member (updateUser wecomUserID)")
	}
	cfg, err := s.syncConfig(ctx)
	if errors.Is(err, ErrSyncNotConfigured) {
		return nil, apperr.Wrap(err, apperr.Conflict, "", "configure the wecom channel's corpId and contactSecret first")
	}
	if err != nil {
		return nil, err
	}
	d, err := s.tokens.contacts(cfg).detail(externalUserID)
	var ce *util.CommonError
	if errors.As(err, &ce) && ce.ErrCode == 84061 {
		return nil, apperr.New(apperr.NotFound, "externalUserID", "WeCom says this is not an external contact of the corp (errcode 84061)")
	}
	if err != nil {
		return nil, fmt.Errorf("wecom: externalcontact/get: %w", err)
	}
	r := relationship{detail: d}
	found := false
	for _, f := range d.FollowUser {
		if f.UserID == *u.WecomUserID {
			r.follow, found = f, true
		}
	}
	if !found {
		return nil, apperr.New(apperr.Forbidden, "externalUserID", "the customer is not an external contact of your WeCom member")
	}
	// The add path dedups against every lead of the workspace, not only the
	// viewer's: its reads skip the row filter.
	err = txn.Retry(scope.Unscoped(ctx), s.Client, 3, txn.LostRace, func(ctx context.Context, c *ent.Client) error {
		return s.syncOne(ctx, c, r)
	})
	if err != nil {
		return nil, err
	}
	return s.FindCustomer(ctx, externalUserID)
}
