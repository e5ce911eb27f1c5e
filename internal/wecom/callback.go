package wecom

import (
	"context"
	"crypto/subtle"
	"encoding/xml"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// Verify answers WeCom's URL verification (GET with msg_signature,
// timestamp, nonce and echostr): the decrypted echostr, once the signature,
// the timestamp and the corp inside the ciphertext check out.
func (s *Service) Verify(ctx context.Context, q url.Values) (string, error) {
	cfg, err := s.config(ctx)
	if err != nil {
		return "", err
	}
	echo := q.Get("echostr")
	if err := s.checkSignature(cfg, q, echo); err != nil {
		return "", err
	}
	_, plain, err := util.DecryptMsg(cfg.CorpID, echo, cfg.EncodingAESKey)
	if err != nil {
		return "", fmt.Errorf("%w: echostr: %v", ErrRefused, err)
	}
	return string(plain), nil
}

// envelope is the XML WeCom posts: the corp and the encrypted event.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	AgentID    string `xml:"AgentID"`
	Encrypt    string `xml:"Encrypt"`
}

// Outcome is what a callback did.
type Outcome string

// Outcomes of Receive.
const (
	Applied  Outcome = "APPLIED"  // the event changed what it should
	Replayed Outcome = "REPLAYED" // the same callback was applied before: nothing changed
	Ignored  Outcome = "IGNORED"  // an event the layer does not act on, or for an unlinked member
)

// Receive verifies, decrypts and applies one event delivery (POST of
// WeCom's XML with msg_signature, timestamp and nonce in the query). A
// callback that does not verify is ErrRefused and changes nothing; one seen
// before (the same msg_signature) is Replayed. The event and the record that
// it was seen commit together, so a callback that failed is applied when
// WeCom retries it.
func (s *Service) Receive(ctx context.Context, q url.Values, body []byte) (Outcome, error) {
	cfg, err := s.config(ctx)
	if err != nil {
		return "", err
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		return "", fmt.Errorf("%w: not WeCom's callback XML", ErrRefused)
	}
	if env.ToUserName != cfg.CorpID {
		return "", fmt.Errorf("%w: for corp %q, not this workspace's", ErrRefused, env.ToUserName)
	}
	if err := s.checkSignature(cfg, q, env.Encrypt); err != nil {
		return "", err
	}
	api := s.tokens.contacts(cfg)
	// GetCallbackMessage decrypts with the EncodingAESKey and checks the
	// corp id inside the plaintext.
	msg, err := api.client.GetCallbackMessage(body)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrRefused, err)
	}
	// A new customer's details are fetched before the transaction opens, so
	// the call to WeCom (and its retries) holds no connection and no lock.
	// An edit is read again too: a member may have changed the customer's
	// corp tags, which the event does not carry.
	var detail *externalcontact.ExternalUserDetailResponse
	if msg.Event == "change_external_contact" {
		switch msg.ChangeType {
		case "add_external_contact":
			if detail, err = api.detail(msg.ExternalUserID); err != nil {
				return "", fmt.Errorf("wecom: externalcontact/get: %w", err)
			}
		case "edit_external_contact":
			if detail, err = api.detail(msg.ExternalUserID); err != nil && !isPermanent(err) {
				return "", fmt.Errorf("wecom: externalcontact/get: %w", err)
			}
			// Refused for good (no longer anyone's contact, say): the edit is
			// recorded and the lead's tags stay as they are.
			err = nil
		}
	}
	out := Ignored
	err = txn.Retry(ctx, s.Client, 3, txn.LostRace, func(ctx context.Context, c *ent.Client) error {
		first, err := s.firstSeen(ctx, c, q.Get("msg_signature"))
		if err != nil || !first {
			out = Replayed
			return err
		}
		out, err = s.apply(ctx, c, detail, msg)
		return err
	})
	return out, err
}

// checkSignature checks msg_signature = sha1(sort(token, timestamp, nonce,
// encrypted)) and that the timestamp is within Tolerance of our clock.
func (s *Service) checkSignature(cfg wecomplug.Config, q url.Values, encrypted string) error {
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	if sig == "" || ts == "" || nonce == "" || encrypted == "" {
		return fmt.Errorf("%w: msg_signature, timestamp, nonce and the message are required", ErrRefused)
	}
	want := util.Signature(cfg.CallbackToken, ts, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return fmt.Errorf("%w: bad signature", ErrRefused)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", ErrRefused)
	}
	if d := s.Now().Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: timestamp %s is too far from now", ErrRefused, ts)
	}
	return nil
}

// firstSeen records the callback's signature and reports whether it is
// new; rows older than twice the tolerance go at the same time (a callback
// that old is refused by its timestamp anyway).
func (s *Service) firstSeen(ctx context.Context, c *ent.Client, sig string) (bool, error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return false, err
	}
	now := s.Now()
	if _, err := c.ExecContext(ctx, `DELETE FROM wecom_callbacks WHERE tenant_id = $1 AND received_at < $2`,
		tid, now.Add(-2*Tolerance)); err != nil {
		return false, err
	}
	res, err := c.ExecContext(ctx, `INSERT INTO wecom_callbacks (id, tenant_id, signature, received_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, signature) DO NOTHING`,
		gid.New(gid.WeComCallback), tid, sig, now)
	if err != nil {
		return false, fmt.Errorf("wecom: record callback: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// apply dispatches one decrypted event.
func (s *Service) apply(ctx context.Context, c *ent.Client, detail *externalcontact.ExternalUserDetailResponse,
	msg externalcontact.EventCallbackMessage) (Outcome, error) {
	if msg.Event == "change_external_tag" {
		// The corp tag library changed: sync it in the background.
		if s.Queue == nil {
			return Ignored, nil
		}
		tid, err := txn.Tenant(ctx)
		if err != nil {
			return "", err
		}
		return Applied, s.Queue.EnqueueWeComTagSync(ctx, tid)
	}
	if msg.Event != "change_external_contact" {
		return Ignored, nil
	}
	switch msg.ChangeType {
	case "add_external_contact":
		return s.added(ctx, c, detail, msg)
	case "edit_external_contact":
		return s.touched(ctx, c, msg, EventEdited, detail)
	case "del_external_contact":
		return s.touched(ctx, c, msg, EventRemoved, nil)
	case "del_follow_user":
		return s.lost(ctx, c, msg)
	}
	return Ignored, nil
}
