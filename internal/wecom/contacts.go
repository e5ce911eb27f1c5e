package wecom

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/contactwayadd"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/txn"
)

// Source is the lead source of customers who arrive through WeCom.
const Source = "wecom"

// member is the workspace user linked to a WeCom member id.
func member(ctx context.Context, c *ent.Client, wecomUserID string) (*ent.User, error) {
	u, err := c.User.Query().Where(user.WecomUserID(wecomUserID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

// added handles add_external_contact: the customer's details (fetched from
// WeCom before the transaction) are ingested as a lead (cleaning, dedup and
// merge by unionid, phone or external_userid, protection: the ingest path),
// which the member's user owns when nobody owns it yet; the relationship is
// a WeComContact. A customer already known through another member's contact
// is the same lead. An add through a contact-way code (its State) gives the
// lead the code's source and tags, routes its ownership by the code's
// strategy, records the add for the code's statistics, queues the welcome
// message and enrols the lead in the journeys the code triggers.
func (s *Service) added(ctx context.Context, c *ent.Client, detail *externalcontact.ExternalUserDetailResponse,
	msg externalcontact.EventCallbackMessage) (Outcome, error) {
	u, err := member(ctx, c, msg.UserID)
	if err != nil || u == nil {
		return Ignored, err
	}
	cw, err := codeByState(ctx, c, msg.State)
	if err != nil {
		return "", err
	}
	now := s.Now()
	leadID, err := s.knownLead(ctx, c, msg.ExternalUserID)
	if err != nil {
		return "", err
	}
	outcome := contactwayadd.OutcomeMERGED
	if leadID == nil {
		if leadID, outcome, err = s.ingest(ctx, detail, msg, now, cw); err != nil {
			return "", err
		}
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return "", err
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO wecom_contacts
			(id, tenant_id, created_at, updated_at, user_id, lead_id, external_user_id, state, added_at)
		VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $3)
		ON CONFLICT (tenant_id, user_id, external_user_id) DO UPDATE SET updated_at = $3, added_at = $3,
			lead_id = COALESCE(EXCLUDED.lead_id, wecom_contacts.lead_id), state = EXCLUDED.state, lost_at = NULL, removed_at = NULL`,
		gid.New(gid.WeComContact), tid, now, u.ID, leadID, msg.ExternalUserID, msg.State); err != nil {
		return "", fmt.Errorf("wecom: write contact: %w", err)
	}
	if cw != nil {
		if err := s.recordAdd(ctx, c, cw, u, msg, leadID, outcome, now); err != nil {
			return "", err
		}
	}
	if leadID == nil {
		return Applied, nil
	}
	owner, reason := &u.ID, "wecom: the customer added the member"
	if cw != nil {
		// An owned lead keeps its owner: no turn of the code is spent on it.
		var current uuid.NullUUID
		if err := txn.QueryRow(ctx, c, `SELECT owner_id FROM leads WHERE tenant_id = $1 AND id = $2`, tid, *leadID).Scan(&current); err != nil {
			return "", err
		}
		if current.Valid {
			owner = nil
		} else if owner, err = routeOwner(ctx, c, tid, cw, u); err != nil {
			return "", err
		}
		reason = "wecom: contact-way code " + clipRunes(cw.Name, 100)
	}
	if owner != nil {
		if err := s.own(ctx, c, *leadID, *owner, reason, now); err != nil {
			return "", err
		}
	} else if cw != nil && cw.PoolID != nil {
		if _, err := c.ExecContext(ctx, `UPDATE leads SET pool_id = $3, updated_at = $4
			WHERE tenant_id = $1 AND id = $2 AND owner_id IS NULL AND status = 'ACTIVE'`, tid, *leadID, *cw.PoolID, now); err != nil {
			return "", fmt.Errorf("wecom: put lead in the code's pool: %w", err)
		}
	}
	if cw != nil && len(cw.TagIds) > 0 && s.Tags != nil {
		if _, err := s.Tags.TagLeads(ctx, []uuid.UUID{*leadID}, cw.TagIds, nil, "RULE"); err != nil {
			return "", fmt.Errorf("wecom: tag the code's lead: %w", err)
		}
	}
	// The member's corp tags on the customer, as far as the library is
	// linked; they came from WeCom, so they are not marked back.
	if detail != nil && s.Tags != nil {
		var ids []string
		for _, f := range detail.FollowUser {
			if f.UserID != msg.UserID {
				continue
			}
			for _, t := range f.Tags {
				if t.TagID != "" {
					ids = append(ids, t.TagID)
				}
			}
		}
		local, err := corpTagsOf(ctx, c, ids)
		if err != nil {
			return "", err
		}
		if len(local) > 0 {
			if _, err := s.Tags.TagLeads(context.WithValue(ctx, fromWeComKey{}, true), []uuid.UUID{*leadID}, local, nil, "INGEST"); err != nil {
				return "", fmt.Errorf("wecom: corp tags: %w", err)
			}
		}
	}
	// A customer who is a member's external contact can be reached on WeCom.
	if _, err := c.ExecContext(ctx, `UPDATE leads SET reachable = reachable || '["WECOM"]'::jsonb
		WHERE tenant_id = $1 AND id = $2 AND NOT reachable ? 'WECOM'`, tid, *leadID); err != nil {
		return "", fmt.Errorf("wecom: mark reachable: %w", err)
	}
	props := map[string]any{"userID": msg.UserID, "externalUserID": msg.ExternalUserID}
	if msg.State != "" {
		props["state"] = msg.State
	}
	if cw != nil {
		props["contactWay"] = cw.Name
	}
	if err := s.Events.Record(ctx, c, []uuid.UUID{*leadID}, EventAdded, Source, props, now); err != nil {
		return "", err
	}
	if cw != nil && s.Watcher != nil {
		if err := s.Watcher.ContactWayAdded(ctx, cw.ID, []uuid.UUID{*leadID}); err != nil {
			return "", err
		}
	}
	return Applied, nil
}

// knownLead is the active lead of the customer's earliest WeCom contact.
func (s *Service) knownLead(ctx context.Context, c *ent.Client, externalUserID string) (*uuid.UUID, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	var id uuid.UUID
	err = txn.QueryRow(ctx, c, `SELECT w.lead_id FROM wecom_contacts w
		JOIN leads l ON l.tenant_id = w.tenant_id AND l.id = w.lead_id AND l.status = 'ACTIVE'
		WHERE w.tenant_id = $1 AND w.external_user_id = $2 ORDER BY w.added_at LIMIT 1`, tid, externalUserID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// ingest sends the customer through the ingest path in the callback's
// transaction; a rejected customer (blacklisted, say) has no lead.
func (s *Service) ingest(ctx context.Context, d *externalcontact.ExternalUserDetailResponse, msg externalcontact.EventCallbackMessage,
	now time.Time, cw *ent.ContactWay) (*uuid.UUID, contactwayadd.Outcome, error) {
	row := leads.Row{
		WeComExternalUserID: msg.ExternalUserID,
		Name:                d.ExternalContact.Name,
		UnionID:             d.ExternalContact.UnionID,
		Company:             d.ExternalContact.CorpFullName,
		Source:              Source,
	}
	if row.Company == "" {
		row.Company = d.ExternalContact.CorpName
	}
	if msg.State != "" {
		row.SourceDetail = "state:" + msg.State
	}
	for _, f := range d.FollowUser {
		if f.UserID != msg.UserID {
			continue
		}
		if len(f.RemarkMobiles) > 0 {
			row.Phone = f.RemarkMobiles[0]
		}
		if row.Company == "" {
			row.Company = f.RemarkCorpName
		}
	}
	if cw != nil {
		row.Source = cw.Source
	}
	res, err := s.Ingester.Ingest(ctx, leads.Batch{Source: row.Source, Rows: []leads.Row{row}, Now: now})
	if err != nil {
		return nil, "", fmt.Errorf("wecom: ingest customer: %w", err)
	}
	switch r := res.Rows[0]; r.Status {
	case leads.StatusRejected:
		return nil, contactwayadd.OutcomeREJECTED, nil
	case leads.StatusCreated:
		return &r.LeadID, contactwayadd.OutcomeCREATED, nil
	default:
		return &r.LeadID, contactwayadd.OutcomeMERGED, nil
	}
}

// own gives an unowned lead to user owner, as an assignment by the system
// for reason, with the protection of the lead's pool.
func (s *Service) own(ctx context.Context, c *ent.Client, leadID, owner uuid.UUID, reason string, now time.Time) error {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	var pool uuid.NullUUID
	err = txn.QueryRow(ctx, c, `UPDATE leads l SET owner_id = $3, claimed_at = $4, updated_at = $4,
			protected_until = (SELECT CASE WHEN p.protection_days > 0 THEN $4::timestamptz + p.protection_days * interval '24 hours' END
				FROM pools p WHERE p.tenant_id = $1 AND p.id = l.pool_id)
		WHERE l.tenant_id = $1 AND l.id = $2 AND l.owner_id IS NULL AND l.status = 'ACTIVE'
		RETURNING l.pool_id`, tid, leadID, owner, now).Scan(&pool)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // owned already: the owner keeps it
	}
	if err != nil {
		return fmt.Errorf("wecom: own lead: %w", err)
	}
	var poolID *uuid.UUID
	if pool.Valid {
		poolID = &pool.UUID
	}
	_, err = c.ExecContext(ctx, `INSERT INTO owner_changes (id, tenant_id, lead_id, from_user_id, to_user_id, pool_id, kind, by, actor_id, reason, at)
		VALUES ($1, $2, $3, NULL, $4, $5, 'ASSIGN', 'SYSTEM', NULL, $7, $6)`,
		gid.New(gid.OwnerChange), tid, leadID, owner, poolID, now, reason)
	return err
}

// touched records an event on the lead of a member's contact (edits, and
// the member deleting the customer, which also sets removed_at). An edit
// with the customer read again (detail) brings the lead's corp tags in line
// with WeCom's (followTags).
func (s *Service) touched(ctx context.Context, c *ent.Client, msg externalcontact.EventCallbackMessage, name string,
	detail *externalcontact.ExternalUserDetailResponse) (Outcome, error) {
	u, err := member(ctx, c, msg.UserID)
	if err != nil || u == nil {
		return Ignored, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return "", err
	}
	now := s.Now()
	set := "updated_at = $4"
	if name == EventRemoved {
		set += ", removed_at = $4"
	}
	var lead uuid.NullUUID
	err = txn.QueryRow(ctx, c, `UPDATE wecom_contacts SET `+set+`
		WHERE tenant_id = $1 AND user_id = $2 AND external_user_id = $3 RETURNING lead_id`,
		tid, u.ID, msg.ExternalUserID, now).Scan(&lead)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !lead.Valid) {
		return Ignored, nil
	}
	if err != nil {
		return "", err
	}
	if err := s.Events.Record(ctx, c, []uuid.UUID{lead.UUID}, name, Source,
		map[string]any{"userID": msg.UserID, "externalUserID": msg.ExternalUserID}, now); err != nil {
		return "", err
	}
	if detail != nil {
		if err := s.followTags(ctx, c, lead.UUID, msg.ExternalUserID, detail); err != nil {
			return "", err
		}
	}
	return Applied, nil
}

// lost handles del_follow_user, the customer deleting the member (流失):
// lost_at is set, the event wecom.lost recorded and the lead's owner
// notified (delivered through the outbox).
func (s *Service) lost(ctx context.Context, c *ent.Client, msg externalcontact.EventCallbackMessage) (Outcome, error) {
	u, err := member(ctx, c, msg.UserID)
	if err != nil || u == nil {
		return Ignored, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return "", err
	}
	now := s.Now()
	var (
		leadID uuid.NullUUID
		owner  uuid.NullUUID
		name   sql.NullString
	)
	err = txn.QueryRow(ctx, c, `WITH w AS (
			UPDATE wecom_contacts SET lost_at = $4, updated_at = $4
			WHERE tenant_id = $1 AND user_id = $2 AND external_user_id = $3 AND lost_at IS NULL
			RETURNING lead_id)
		SELECT w.lead_id, l.owner_id, l.name FROM w LEFT JOIN leads l ON l.tenant_id = $1 AND l.id = w.lead_id`,
		tid, u.ID, msg.ExternalUserID, now).Scan(&leadID, &owner, &name)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !leadID.Valid) {
		return Ignored, nil
	}
	if err != nil {
		return "", fmt.Errorf("wecom: mark lost: %w", err)
	}
	// Unreachable on WeCom once no member has the customer any more.
	if _, err := c.ExecContext(ctx, `UPDATE leads l SET reachable = l.reachable - 'WECOM', updated_at = $3
		WHERE l.tenant_id = $1 AND l.id = $2 AND l.reachable ? 'WECOM' AND NOT EXISTS (
			SELECT 1 FROM wecom_contacts w WHERE w.tenant_id = $1 AND w.lead_id = $2 AND w.lost_at IS NULL AND w.removed_at IS NULL)`,
		tid, leadID.UUID, now); err != nil {
		return "", fmt.Errorf("wecom: mark unreachable: %w", err)
	}
	if err := s.Events.Record(ctx, c, []uuid.UUID{leadID.UUID}, EventLost, Source,
		map[string]any{"userID": msg.UserID, "externalUserID": msg.ExternalUserID}, now); err != nil {
		return "", err
	}
	if s.Watcher != nil {
		if err := s.Watcher.WeComLost(ctx, []uuid.UUID{leadID.UUID}); err != nil {
			return "", err
		}
	}
	if !owner.Valid {
		return Applied, nil
	}
	who := name.String
	if who == "" {
		who = "未命名线索"
	}
	note := gid.New(gid.Notification)
	if _, err := c.ExecContext(ctx, `INSERT INTO notifications (id, tenant_id, user_id, kind, lead_id, message, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, note, tid, owner.UUID, NotificationLost, leadID.UUID,
		fmt.Sprintf("客户「%s」已在企业微信删除了成员 %s（流失）。", who, u.Name), now); err != nil {
		return "", fmt.Errorf("wecom: notify owner: %w", err)
	}
	if s.Notify == nil {
		return Applied, nil
	}
	return Applied, s.Notify.DeliverNotifications(ctx, tid, []uuid.UUID{note})
}
