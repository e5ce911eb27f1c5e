package wecom

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/contactway"
	"github.com/scrmhq/scrm/ent/contactwayadd"
	"github.com/scrmhq/scrm/ent/pool"
	"github.com/scrmhq/scrm/ent/tag"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/textinput"
	"github.com/scrmhq/scrm/internal/txn"
	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// Limits of contact-way codes.
const (
	MaxContactWayUsers = 100 // WeCom's limit of members on one code
	// WelcomeWindow is how long a WelcomeCode is valid after the add.
	WelcomeWindow = 20 * time.Second
	stateLen      = 16 // "cw" + 14 characters, within WeCom's 30
	remarkLen     = 30 // WeCom's limit on a code's remark
)

// Strategies of a code.
const (
	StrategyFixed       = "FIXED"
	StrategyRoundRobin  = "ROUND_ROBIN"
	StrategyLeastLoaded = "LEAST_LOADED"
)

// ContactWayInput is a contact-way code to create.
type ContactWayInput struct {
	Name           string
	UserIDs        []uuid.UUID
	Strategy       string
	Source         string
	TagIDs         []uuid.UUID
	WelcomeMessage string
	// WelcomeAttachments go with the welcome message (at most 9).
	WelcomeAttachments []Attachment
	SkipVerify         *bool
	PoolID             *uuid.UUID
	CreatedBy          *uuid.UUID
}

// CreateContactWay checks the input (every user active and linked to a
// WeCom member, tags, pool, the welcome template), asks WeCom for the code
// with add_contact_way (scene QR code, a state unique in the workspace) and
// stores it with its QR code URL. A refusal by WeCom is a CONFLICT with its
// errcode, and nothing is stored.
func (s *Service) CreateContactWay(ctx context.Context, in ContactWayInput) (*ent.ContactWay, error) {
	c := txn.Client(ctx, s.Client)
	name, err := textinput.Clean("name", in.Name, 200, true)
	if err != nil {
		return nil, err
	}
	source, err := textinput.Clean("source", in.Source, 100, false)
	if err != nil {
		return nil, err
	}
	if source == "" {
		source = Source
	}
	strategy, err := checkStrategy(in.Strategy)
	if err != nil {
		return nil, err
	}
	members, err := s.codeMembers(ctx, c, in.UserIDs)
	if err != nil {
		return nil, err
	}
	if err := checkTagsAndPool(ctx, c, in.TagIDs, in.PoolID); err != nil {
		return nil, err
	}
	welcome, err := s.checkWelcome(ctx, in.WelcomeMessage)
	if err != nil {
		return nil, err
	}
	attachments, err := s.CheckAttachmentsIn(ctx, "welcomeAttachments", in.WelcomeAttachments)
	if err != nil {
		return nil, err
	}
	cfg, err := s.codeConfig(ctx)
	if err != nil {
		return nil, err
	}
	skip := true
	if in.SkipVerify != nil {
		skip = *in.SkipVerify
	}
	state := newState()
	ids := make([]uuid.UUID, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	// WeCom first: a code WeCom refused is not stored. A store that fails
	// after WeCom made the code leaves an unused code in the corp.
	res, err := s.registerCode(cfg, name, skip, state, members)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	create := c.ContactWay.Create().SetName(name).SetState(state).SetConfigID(res.ConfigID).SetQrCodeURL(res.QrCode).
		SetUserIds(ids).SetStrategy(strategy).SetSource(source).SetTagIds(in.TagIDs).
		SetWelcomeMessage(welcome).SetWelcomeAttachments(attachments).SetSkipVerify(skip).SetNillablePoolID(in.PoolID).
		SetNillableCreatedByID(in.CreatedBy).SetCreatedAt(now).SetUpdatedAt(now)
	cw, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	return cw, s.QueueMediaReady(ctx, attachments)
}

// checkStrategy checks a code's strategy ("" is FIXED).
func checkStrategy(s string) (contactway.Strategy, error) {
	if s == "" {
		s = StrategyFixed
	}
	if contactway.StrategyValidator(contactway.Strategy(s)) != nil {
		return "", apperr.Input("strategy", "FIXED, ROUND_ROBIN or LEAST_LOADED")
	}
	return contactway.Strategy(s), nil
}

// checkTagsAndPool checks that a code's tags and pool (nil: none) exist.
func checkTagsAndPool(ctx context.Context, c *ent.Client, tagIDs []uuid.UUID, poolID *uuid.UUID) error {
	for i, id := range tagIDs {
		if ok, err := c.Tag.Query().Where(tag.ID(id)).Exist(ctx); err != nil {
			return err
		} else if !ok {
			return apperr.New(apperr.NotFound, fmt.Sprintf("tagIDs[%d]", i), "tag not found")
		}
	}
	if poolID != nil {
		if ok, err := c.Pool.Query().Where(pool.ID(*poolID)).Exist(ctx); err != nil {
			return err
		} else if !ok {
			return apperr.New(apperr.NotFound, "poolID", "pool not found")
		}
	}
	return nil
}

// checkWelcome checks a code's welcome message (a template like a
// broadcast's) and returns it trimmed.
func (s *Service) checkWelcome(ctx context.Context, text string) (string, error) {
	welcome := strings.TrimSpace(text)
	if welcome == "" {
		return "", nil
	}
	if len([]rune(welcome)) > 4000 {
		return "", apperr.Input("welcomeMessage", "at most 4000 characters")
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return "", err
	}
	if _, err := broadcast.ParseTemplate("welcomeMessage", welcome, sch); err != nil {
		return "", err
	}
	return welcome, nil
}

// codeConfig is the workspace's wecom config for changing codes: a
// CONFLICT without the corp id and customer-contact secret.
func (s *Service) codeConfig(ctx context.Context) (wecomplug.Config, error) {
	cfg, err := s.syncConfig(ctx)
	if errors.Is(err, ErrSyncNotConfigured) {
		return cfg, apperr.New(apperr.Conflict, "", "configure the wecom channel's corpId and contactSecret first")
	}
	return cfg, err
}

// ContactWayUpdate changes a code; a nil field keeps its value.
type ContactWayUpdate struct {
	Name, Strategy, Source, WelcomeMessage *string
	UserIDs, TagIDs                        []uuid.UUID  // nil: kept; TagIDs empty: none
	WelcomeAttachments                     []Attachment // nil: kept; empty: none
	SkipVerify                             *bool
	PoolID                                 *uuid.UUID
	ClearPool                              bool
}

// UpdateContactWay changes code id. What WeCom keeps of a code (its members,
// its remark from the name, skip verify) is changed there first with
// update_contact_way (the state and QR code stay); a refusal is a CONFLICT
// with WeCom's errcode and nothing is stored. A code made for one member
// keeps one member, and one made for several keeps several (WeCom cannot
// change a code's type). Adds already made keep their owner and tags.
func (s *Service) UpdateContactWay(ctx context.Context, id uuid.UUID, in ContactWayUpdate) (*ent.ContactWay, error) {
	c := txn.Client(ctx, s.Client)
	cw, err := liveCode(ctx, c, id)
	if err != nil {
		return nil, err
	}
	u := c.ContactWay.UpdateOne(cw).SetUpdatedAt(s.Now())
	name := cw.Name
	if in.Name != nil {
		if name, err = textinput.Clean("name", *in.Name, 200, true); err != nil {
			return nil, err
		}
		u.SetName(name)
	}
	if in.Source != nil {
		source, err := textinput.Clean("source", *in.Source, 100, false)
		if err != nil {
			return nil, err
		}
		if source == "" {
			source = Source
		}
		u.SetSource(source)
	}
	if in.Strategy != nil {
		st, err := checkStrategy(*in.Strategy)
		if err != nil {
			return nil, err
		}
		u.SetStrategy(st)
	}
	ids := cw.UserIds
	if in.UserIDs != nil {
		if (len(in.UserIDs) == 1) != (len(cw.UserIds) == 1) {
			return nil, apperr.Input("userIDs", "a code made for one member keeps one member, and one made for several keeps several (WeCom cannot change a code's type): create a new code")
		}
		ids = in.UserIDs
		u.SetUserIds(ids)
	}
	if in.ClearPool && in.PoolID != nil {
		return nil, apperr.Input("poolID", "give poolID or clearPool, not both")
	}
	if err := checkTagsAndPool(ctx, c, in.TagIDs, in.PoolID); err != nil {
		return nil, err
	}
	if in.TagIDs != nil {
		u.SetTagIds(in.TagIDs)
	}
	if in.PoolID != nil {
		u.SetPoolID(*in.PoolID)
	} else if in.ClearPool {
		u.ClearPoolID()
	}
	if in.WelcomeMessage != nil {
		welcome, err := s.checkWelcome(ctx, *in.WelcomeMessage)
		if err != nil {
			return nil, err
		}
		u.SetWelcomeMessage(welcome)
	}
	if in.WelcomeAttachments != nil {
		attachments, err := s.CheckAttachmentsIn(ctx, "welcomeAttachments", in.WelcomeAttachments)
		if err != nil {
			return nil, err
		}
		u.SetWelcomeAttachments(attachments)
		if err := s.QueueMediaReady(ctx, attachments); err != nil {
			return nil, err
		}
	}
	skip := cw.SkipVerify
	if in.SkipVerify != nil {
		skip = *in.SkipVerify
		u.SetSkipVerify(skip)
	}
	if in.UserIDs != nil || clipRunes(name, remarkLen) != clipRunes(cw.Name, remarkLen) || skip != cw.SkipVerify {
		members, err := s.codeMembers(ctx, c, ids)
		if err != nil {
			return nil, err
		}
		cfg, err := s.codeConfig(ctx)
		if err != nil {
			return nil, err
		}
		req := &externalcontact.UpdateContactWayRequest{ConfigID: cw.ConfigID, Remark: clipRunes(name, remarkLen),
			SkipVerify: skip, State: cw.State}
		for _, m := range members {
			req.User = append(req.User, *m.WecomUserID)
		}
		api := s.tokens.contacts(cfg)
		err = api.retrying(func() error {
			_, err := api.client.UpdateContactWay(req)
			return err
		})
		var ce *util.CommonError
		if errors.As(err, &ce) {
			return nil, apperr.New(apperr.Conflict, "", "WeCom refused update_contact_way: errcode %d %s", ce.ErrCode, ce.ErrMsg)
		}
		if err != nil {
			return nil, fmt.Errorf("wecom: update_contact_way: %w", err)
		}
	}
	return u.Save(ctx)
}

// DeleteContactWay removes code id in WeCom (del_contact_way: its QR code
// adds nobody any more) and takes it out of the list; its adds, their leads
// and its stats stay. A refusal by WeCom is a CONFLICT and nothing changes.
func (s *Service) DeleteContactWay(ctx context.Context, id uuid.UUID) error {
	c := txn.Client(ctx, s.Client)
	cw, err := liveCode(ctx, c, id)
	if err != nil {
		return err
	}
	cfg, err := s.codeConfig(ctx)
	if err != nil {
		return err
	}
	api := s.tokens.contacts(cfg)
	err = api.retrying(func() error {
		_, err := api.client.DelContactWay(&externalcontact.DelContactWayRequest{ConfigID: cw.ConfigID})
		return err
	})
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return apperr.New(apperr.Conflict, "", "WeCom refused del_contact_way: errcode %d %s", ce.ErrCode, ce.ErrMsg)
	}
	if err != nil {
		return fmt.Errorf("wecom: del_contact_way: %w", err)
	}
	return c.ContactWay.UpdateOne(cw).SetDeletedAt(s.Now()).SetUpdatedAt(s.Now()).Exec(ctx)
}

// RestoreContactWay brings back deleted code id: WeCom deleted its QR code
// (del_contact_way), so add_contact_way makes a new one with the code's
// settings (members, remark, skipVerify) and its state, so customers who add
// through the new QR code are counted on the same code, with the adds, leads
// and stats it had. The code gets the new config id and QR code URL. Members
// since deactivated or unlinked are BAD_USER_INPUT at userIDs[i] (the
// code's i-th member; a deleted code cannot be edited, so they are linked or
// reactivated first, or a new code is made), and so is an attachment naming
// a stored medium deleted since, at welcomeAttachments[i].<field>, as
// update would refuse it; a code not deleted is a
// CONFLICT; a refusal by WeCom is a CONFLICT and nothing changes.
func (s *Service) RestoreContactWay(ctx context.Context, id uuid.UUID) (*ent.ContactWay, error) {
	c := txn.Client(ctx, s.Client)
	cw, err := c.ContactWay.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "id", "contact-way code not found")
	}
	if err != nil {
		return nil, err
	}
	if cw.DeletedAt == nil {
		return nil, apperr.New(apperr.Conflict, "id", "the code is not deleted: there is nothing to restore")
	}
	members, err := s.codeMembers(ctx, c, cw.UserIds)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return nil, apperr.New(ae.Code, ae.Field, "a member of the code cannot be restored with it: %s", ae.Message)
		}
		return nil, err
	}
	// The attachments are checked as an update would check them (a
	// medium deleted from the library since the delete of the code, or of
	// another kind); the share lock keeps a delete of the media from
	// passing until this restore is done.
	if err := s.CheckMedia(ctx, "welcomeAttachments", cw.WelcomeAttachments); err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return nil, apperr.New(ae.Code, ae.Field, "an attachment of the code cannot be restored with it: %s (replace the attachment after a new code is made, or upload the medium again and make a new code)", ae.Message)
		}
		return nil, err
	}
	cfg, err := s.codeConfig(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.registerCode(cfg, cw.Name, cw.SkipVerify, cw.State, members)
	if err != nil {
		return nil, err
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	// config_id and qr_code_url are immutable in ent (no edit changes
	// them): a restore is the one place that does, with WeCom's new code.
	// The condition keeps two restores at once from both succeeding here
	// (the second one's code is left unused in WeCom).
	r, err := c.ExecContext(ctx, `UPDATE contact_ways SET config_id = $3, qr_code_url = $4, deleted_at = NULL, updated_at = $5
		WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NOT NULL`, tid, cw.ID, res.ConfigID, res.QrCode, s.Now())
	if err != nil {
		return nil, err
	}
	if n, err := r.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = apperr.New(apperr.Conflict, "id", "the code was restored meanwhile")
		}
		return nil, err
	}
	if err := s.QueueMediaReady(ctx, cw.WelcomeAttachments); err != nil {
		return nil, err
	}
	return c.ContactWay.Get(ctx, id)
}

// DeletedContactWays lists the workspace's deleted codes, the last deleted first.
func (s *Service) DeletedContactWays(ctx context.Context) ([]*ent.ContactWay, error) {
	return txn.Client(ctx, s.Client).ContactWay.Query().Where(contactway.DeletedAtNotNil()).
		Order(ent.Desc(contactway.FieldDeletedAt), ent.Desc(contactway.FieldID)).All(ctx)
}

// liveCode is the workspace's code id unless deleted (NOT_FOUND at id).
func liveCode(ctx context.Context, c *ent.Client, id uuid.UUID) (*ent.ContactWay, error) {
	cw, err := c.ContactWay.Query().Where(contactway.ID(id), contactway.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "id", "contact-way code not found")
	}
	return cw, err
}

// codeMembers checks the users of a code: 1 to MaxContactWayUsers distinct
// users, each active and linked to a WeCom member; they are returned in the
// order given.
func (s *Service) codeMembers(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]*ent.User, error) {
	if len(ids) == 0 {
		return nil, apperr.Input("userIDs", "a code needs at least one member")
	}
	if len(ids) > MaxContactWayUsers {
		return nil, apperr.Input("userIDs", "at most %d members", MaxContactWayUsers)
	}
	users, err := c.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*ent.User, len(ids))
	for i, id := range ids {
		path := fmt.Sprintf("userIDs[%d]", i)
		if slices.Index(ids, id) != i {
			return nil, apperr.Input(path, "the user is listed twice")
		}
		j := slices.IndexFunc(users, func(u *ent.User) bool { return u.ID == id })
		switch {
		case j < 0:
			return nil, apperr.New(apperr.NotFound, path, "user not found")
		case !users[j].Active:
			return nil, apperr.Input(path, "the user is deactivated")
		case users[j].WecomUserID == nil || *users[j].WecomUserID == "":
			return nil, apperr.Input(path, "the user is not linked to a WeCom member (updateUser wecomUserID)")
		}
		out[i] = users[j]
	}
	return out, nil
}

// newState is a code's state: "cw" and 14 random base-32 characters.
func newState() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, stateLen-2)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "cw" + string(b)
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// registerCode asks WeCom for a QR code (add_contact_way: type 1 for one
// member, 2 for several; scene 2; the name's first 30 characters as remark)
// with state; WeCom's refusal is a CONFLICT with its errcode.
func (s *Service) registerCode(cfg wecomplug.Config, name string, skip bool, state string, members []*ent.User) (*externalcontact.AddContactWayResponse, error) {
	req := &externalcontact.AddContactWayRequest{Type: 1, Scene: 2, Remark: clipRunes(name, remarkLen), SkipVerify: skip, State: state}
	if len(members) > 1 {
		req.Type = 2
	}
	for _, m := range members {
		req.User = append(req.User, *m.WecomUserID)
	}
	res, err := s.tokens.contacts(cfg).addContactWay(req)
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return nil, apperr.New(apperr.Conflict, "", "WeCom refused add_contact_way: errcode %d %s", ce.ErrCode, ce.ErrMsg)
	}
	if err != nil {
		return nil, fmt.Errorf("wecom: add_contact_way: %w", err)
	}
	return res, nil
}

// addContactWay calls add_contact_way, fetching the token again once when
// WeCom refuses it and retrying busy errcodes with backoff.
func (c *contacts) addContactWay(req *externalcontact.AddContactWayRequest) (*externalcontact.AddContactWayResponse, error) {
	var res *externalcontact.AddContactWayResponse
	err := c.retrying(func() error {
		var err error
		res, err = c.client.AddContactWay(req)
		return err
	})
	return res, err
}

// ContactWayStats are what a code brought in.
type ContactWayStats struct {
	// Added counts customers added through the code; Lost, those of them
	// who deleted the member since.
	Added, Lost int
	// LeadsCreated and LeadsMerged split the adds by what became of the
	// customer: a new lead, or one that existed.
	LeadsCreated, LeadsMerged int
	// Deals counts the deals closed on the code's leads since their add.
	Deals int
	// WelcomesSent counts welcome messages WeCom accepted.
	WelcomesSent int
}

const statsSQL = `
WITH a AS (
	SELECT * FROM contact_way_adds WHERE tenant_id = $1 AND contact_way_id = $2
)
SELECT
	(SELECT count(*) FROM a),
	(SELECT count(*) FROM a WHERE EXISTS (SELECT 1 FROM wecom_contacts w WHERE w.tenant_id = $1
		AND w.user_id = a.user_id AND w.external_user_id = a.external_user_id AND w.lost_at IS NOT NULL)),
	(SELECT count(*) FROM a WHERE outcome = 'CREATED'),
	(SELECT count(*) FROM a WHERE outcome = 'MERGED'),
	(SELECT count(*) FROM deals d WHERE d.tenant_id = $1 AND d.lead_id IN (SELECT lead_id FROM a)
		AND d.closed_at >= (SELECT min(added_at) FROM a x WHERE x.lead_id = d.lead_id)),
	(SELECT count(*) FROM a WHERE welcome_status = 'SENT')`

// Stats counts what code id brought in (workspace-wide figures).
func (s *Service) Stats(ctx context.Context, id uuid.UUID) (*ContactWayStats, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	var st ContactWayStats
	err = txn.QueryRow(ctx, txn.Client(ctx, s.Client), statsSQL, tid, id).
		Scan(&st.Added, &st.Lost, &st.LeadsCreated, &st.LeadsMerged, &st.Deals, &st.WelcomesSent)
	if err != nil {
		return nil, fmt.Errorf("wecom: contact-way stats: %w", err)
	}
	return &st, nil
}

// ContactWays lists the workspace's codes, newest first.
func (s *Service) ContactWays(ctx context.Context) ([]*ent.ContactWay, error) {
	return txn.Client(ctx, s.Client).ContactWay.Query().Where(contactway.DeletedAtIsNil()).
		Order(ent.Desc(contactway.FieldCreatedAt), ent.Desc(contactway.FieldID)).All(ctx)
}

// codeByState is the workspace's code with state, nil when none.
func codeByState(ctx context.Context, c *ent.Client, state string) (*ent.ContactWay, error) {
	if state == "" {
		return nil, nil
	}
	cw, err := c.ContactWay.Query().Where(contactway.State(state)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return cw, err
}

// routeOwner is who owns a lead added through code cw by member u: u for
// FIXED; otherwise the next active user of the code in turn (ROUND_ROBIN)
// or the one with the fewest active leads below capacity (LEAST_LOADED).
// nil when nobody can take it.
func routeOwner(ctx context.Context, c *ent.Client, tid uuid.UUID, cw *ent.ContactWay, u *ent.User) (*uuid.UUID, error) {
	switch cw.Strategy {
	case contactway.StrategyROUND_ROBIN:
		var id uuid.NullUUID
		// The code's row lock orders concurrent adds: each takes the next turn.
		err := txn.QueryRow(ctx, c, `WITH turn AS (
				UPDATE contact_ways SET rr_next = rr_next + 1 WHERE tenant_id = $1 AND id = $2 RETURNING rr_next - 1 AS n
			), cand AS (
				SELECT u.id, row_number() OVER (ORDER BY x.ord) - 1 AS i, count(*) OVER () AS n
				FROM unnest($3::uuid[]) WITH ORDINALITY AS x(id, ord)
				JOIN users u ON u.tenant_id = $1 AND u.id = x.id AND u.active
			)
			SELECT cand.id FROM cand, turn WHERE cand.i = turn.n % cand.n`, tid, cw.ID, txn.UUIDArray(cw.UserIds)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil || !id.Valid {
			return nil, err
		}
		return &id.UUID, nil
	case contactway.StrategyLEAST_LOADED:
		var id uuid.UUID
		err := txn.QueryRow(ctx, c, `SELECT u.id FROM unnest($2::uuid[]) WITH ORDINALITY AS x(id, ord)
			JOIN users u ON u.tenant_id = $1 AND u.id = x.id AND u.active
			CROSS JOIN LATERAL (SELECT count(*) AS n FROM leads l WHERE l.tenant_id = $1 AND l.owner_id = u.id AND l.status = 'ACTIVE') o
			WHERE o.n < u.capacity
			ORDER BY o.n, x.ord LIMIT 1`, tid, txn.UUIDArray(cw.UserIds)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &id, nil
	}
	return &u.ID, nil
}

// recordAdd writes the code's ContactWayAdd and, when the code has a
// welcome message and WeCom gave a WelcomeCode, queues its sending.
func (s *Service) recordAdd(ctx context.Context, c *ent.Client, cw *ent.ContactWay, u *ent.User,
	msg externalcontact.EventCallbackMessage, leadID *uuid.UUID, outcome contactwayadd.Outcome, now time.Time) error {
	status := contactwayadd.WelcomeStatusNONE
	if (cw.WelcomeMessage != "" || len(cw.WelcomeAttachments) > 0) && msg.WelcomeCode != "" && leadID != nil {
		status = contactwayadd.WelcomeStatusPENDING
	}
	add, err := c.ContactWayAdd.Create().SetContactWayID(cw.ID).SetUserID(u.ID).SetExternalUserID(msg.ExternalUserID).
		SetNillableLeadID(leadID).SetOutcome(outcome).SetAddedAt(now).SetWelcomeCode(msg.WelcomeCode).
		SetWelcomeStatus(status).Save(ctx)
	if err != nil {
		return fmt.Errorf("wecom: record contact-way add: %w", err)
	}
	if status != contactwayadd.WelcomeStatusPENDING || s.Queue == nil {
		return nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	return s.Queue.EnqueueWeComWelcome(ctx, tid, add.ID)
}

// SendWelcome sends the welcome message of one add (the wecom:welcome
// task): the code's template rendered with the lead, through
// send_welcome_msg with the add's WelcomeCode. An add past WeCom's 20-second
// window is EXPIRED without a call; a refusal is FAILED with its errcode;
// an attachment whose stored medium WeCom refused (or that is gone) is left
// out, the add SENT with welcome_error naming it (FAILED when nothing else
// was to be sent); an add that is not PENDING (sent already: a retried task) is left alone.
// Errors other than WeCom's answer (the network) are returned for a retry
// while the window lasts.
func (s *Service) SendWelcome(ctx context.Context, addID uuid.UUID) error {
	c := s.Client
	add, err := c.ContactWayAdd.Query().Where(contactwayadd.ID(addID)).WithContactWay().Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if add.WelcomeStatus != contactwayadd.WelcomeStatusPENDING || add.LeadID == nil {
		return nil
	}
	mark := func(st contactwayadd.WelcomeStatus, why string) error {
		u := c.ContactWayAdd.Update().Where(contactwayadd.ID(addID), contactwayadd.WelcomeStatusEQ(contactwayadd.WelcomeStatusPENDING)).
			SetWelcomeStatus(st)
		if why != "" {
			u.SetWelcomeError(clipRunes(why, 500))
		}
		if st == contactwayadd.WelcomeStatusSENT {
			u.SetWelcomeSentAt(s.Now())
		}
		return u.Exec(ctx)
	}
	if s.Now().Sub(add.AddedAt) > WelcomeWindow {
		return mark(contactwayadd.WelcomeStatusEXPIRED, "the 20-second window of the WelcomeCode had passed")
	}
	l, err := c.Lead.Get(ctx, *add.LeadID)
	if err != nil {
		return err
	}
	sch, err := s.Fields.Schema(ctx)
	if err != nil {
		return err
	}
	text := ""
	if msg := add.Edges.ContactWay.WelcomeMessage; msg != "" { // a code may send attachments alone
		tpl, err := broadcast.ParseTemplate("welcomeMessage", msg, sch)
		if err != nil {
			return mark(contactwayadd.WelcomeStatusFAILED, "the welcome message no longer renders: "+err.Error())
		}
		if text, err = tpl.RenderLead(l, sch); err != nil {
			return mark(contactwayadd.WelcomeStatusFAILED, "the welcome message does not render: "+err.Error())
		}
	}
	cfg, err := s.syncConfig(ctx)
	if err != nil {
		return mark(contactwayadd.WelcomeStatusFAILED, err.Error())
	}
	api := s.tokens.contacts(cfg)
	// An attachment whose stored medium WeCom refused (or that is gone) is
	// left out: the text and the other attachments still go, and the add
	// says which went missing.
	attachments, dropped, err := s.sendableAttachments(ctx, api, add.Edges.ContactWay.WelcomeAttachments)
	if err != nil {
		return err
	}
	note := ""
	if len(dropped) > 0 {
		note = "sent without " + droppedNote(dropped)
		if text == "" && len(attachments) == 0 {
			return mark(contactwayadd.WelcomeStatusFAILED, "nothing to send: "+droppedNote(dropped))
		}
	}
	err = api.sendWelcome(add.WelcomeCode, text, attachments)
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return mark(contactwayadd.WelcomeStatusFAILED, fmt.Sprintf("errcode %d %s", ce.ErrCode, ce.ErrMsg))
	}
	if err != nil {
		return err
	}
	return mark(contactwayadd.WelcomeStatusSENT, note)
}

// CodeUsers loads the users of a code in its order (deactivated ones
// included: the list shows who was on it).
func (s *Service) CodeUsers(ctx context.Context, cw *ent.ContactWay) ([]*ent.User, error) {
	users, err := txn.Client(ctx, s.Client).User.Query().Where(user.IDIn(cw.UserIds...)).All(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(users, func(a, b *ent.User) int {
		return slices.Index(cw.UserIds, a.ID) - slices.Index(cw.UserIds, b.ID)
	})
	return users, nil
}
