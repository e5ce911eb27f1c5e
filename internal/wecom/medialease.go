package wecom

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/util"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/user"
	"github.com/scrmhq/scrm/ent/wecommedia"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// One upload of a stored medium at a time, with no database connection
// held while WeCom answers. A media/upload of 20 MB to a slow WeCom takes
// seconds; under a transaction (an advisory lock) every upload in flight
// pinned a pooled connection. Instead an uploader takes a lease on the
// medium's row (upload_lease, upload_lease_until: one committed UPDATE),
// uploads with nothing open, and keeps the new media id in a second short
// transaction that first checks it still holds the lease. Another caller
// that needs the medium meanwhile waits, polling the row, and takes the id
// the uploader kept; a lease past its time (the uploader died) is taken
// over. WeCom's permanent refusal of the file is recorded on the medium
// (upload_error_code, upload_error_message, upload_failed_at) with a
// notification to its uploader in the same transaction, and the medium is
// not uploaded again: its bytes never change, the user uploads the file
// anew.

const (
	// MediaUploadLease is how long an upload holds its lease on a medium
	// before another may take it over: longer than a 20 MB media/upload
	// with its busy retries takes.
	MediaUploadLease = 2 * time.Minute
	// leasePoll is how often a caller waiting for another's upload reads
	// the medium again.
	leasePoll = 200 * time.Millisecond
)

// NotificationMediaFailed is the notifications.kind that tells a medium's
// uploader WeCom refused the file.
const NotificationMediaFailed = "wecom.media_failed"

// keptMediaID reads what a stored medium's upload needs to know (the id
// WeCom gave, when, the lease and the refusal), not the bytes.
func keptMediaID(ctx context.Context, c *ent.Client, id uuid.UUID) (*ent.WeComMedia, error) {
	m, err := c.WeComMedia.Query().Where(wecommedia.ID(id)).
		Select(wecommedia.FieldFilename, wecommedia.FieldMediaID, wecommedia.FieldMediaUploadedAt,
			wecommedia.FieldUploadLease, wecommedia.FieldUploadLeaseUntil,
			wecommedia.FieldUploadErrorCode, wecommedia.FieldUploadErrorMessage, wecommedia.FieldUploadFailedAt).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, deletedMedia(id)
	}
	return m, err
}

// refused is the MediaError of a medium WeCom refused.
func refused(m *ent.WeComMedia) *MediaError {
	code, msg := 0, ""
	if m.UploadErrorCode != nil {
		code = *m.UploadErrorCode
	}
	if m.UploadErrorMessage != nil {
		msg = *m.UploadErrorMessage
	}
	return &MediaError{Why: fmt.Sprintf("WeCom refused the upload of %s (media/upload): errcode %d %s", m.Filename, code, msg),
		Media: m.ID, Reason: AttachmentMediaRefused, Code: code}
}

// freshMediaID is a WeCom media id of stored medium id made less than
// maxAge ago, uploading the file again under the medium's lease when there
// is none (see above). A medium WeCom refused is a *MediaError at once.
// uploaded says whether this call uploaded.
func (s *Service) freshMediaID(ctx context.Context, api *contacts, id uuid.UUID, maxAge time.Duration) (mediaID string, uploaded bool, err error) {
	var lease uuid.UUID
	for lease == uuid.Nil {
		m, err := keptMediaID(ctx, s.Client, id)
		switch {
		case err != nil:
			return "", false, err
		case fresh(m, s.Now(), maxAge):
			return *m.MediaID, false, nil
		case m.UploadFailedAt != nil:
			return "", false, refused(m)
		}
		if lease, err = s.takeLease(ctx, id); err != nil {
			return "", false, err
		}
		if lease != uuid.Nil {
			break
		}
		if leaseWaited != nil {
			leaseWaited(id)
		}
		select {
		case <-ctx.Done():
			return "", false, ctx.Err()
		case <-time.After(leasePoll):
		}
	}
	mediaID, uploaded, err = s.uploadLeased(ctx, api, id, lease, maxAge)
	if err != nil {
		// Let the next caller upload at once rather than after the lease.
		// A refusal cleared it with its record; a lost lease is not ours.
		if _, rerr := s.Client.WeComMedia.Update().Where(wecommedia.ID(id), wecommedia.UploadLease(lease)).
			ClearUploadLease().ClearUploadLeaseUntil().Save(context.WithoutCancel(ctx)); rerr != nil {
			err = errors.Join(err, fmt.Errorf("wecom: release the medium's upload lease: %w", rerr))
		}
		return "", false, err
	}
	return mediaID, uploaded, nil
}

// leaseWaited, when set (tests), hears each time a caller finds another
// upload of the medium under way and waits for it.
var leaseWaited func(id uuid.UUID)

// takeLease takes the upload lease of medium id, the uuid.Nil lease when
// another upload holds one that is not past its time (or WeCom refused the
// medium meanwhile). One statement, committed at once.
func (s *Service) takeLease(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	now := s.Now()
	lease := uuid.New()
	n, err := s.Client.WeComMedia.Update().Where(wecommedia.ID(id), wecommedia.UploadFailedAtIsNil(),
		wecommedia.Or(wecommedia.UploadLeaseIsNil(), wecommedia.UploadLeaseUntilIsNil(), wecommedia.UploadLeaseUntilLTE(now))).
		SetUploadLease(lease).SetUploadLeaseUntil(now.Add(MediaUploadLease)).Save(ctx)
	if err != nil {
		return uuid.Nil, fmt.Errorf("wecom: lease the medium's upload: %w", err)
	}
	if n == 0 {
		return uuid.Nil, nil
	}
	return lease, nil
}

// uploadLeased uploads medium id under lease (no transaction open while
// WeCom answers) and keeps the id it gives if the lease is still held;
// uploaded is false when another upload kept a fresh id between the
// caller's read and its lease. The id is returned even when the lease was
// taken over meanwhile: WeCom made it, it is good for this send.
func (s *Service) uploadLeased(ctx context.Context, api *contacts, id, lease uuid.UUID, maxAge time.Duration) (mediaID string, uploaded bool, err error) {
	m, err := s.Client.WeComMedia.Query().Where(wecommedia.ID(id)).Only(ctx) // the bytes, only now
	if ent.IsNotFound(err) {
		return "", false, deletedMedia(id)
	}
	if err != nil {
		return "", false, err
	}
	if fresh(m, s.Now(), maxAge) { // another upload finished between the read and the lease
		_, err := s.Client.WeComMedia.Update().Where(wecommedia.ID(id), wecommedia.UploadLease(lease)).
			ClearUploadLease().ClearUploadLeaseUntil().Save(ctx)
		return *m.MediaID, false, err
	}
	var res *uploadedMedia
	err = api.retrying(func() error {
		var err error
		res, err = api.uploadTemp(strings.ToLower(string(m.Type)), m.Filename, m.Data)
		return err
	})
	var ce *util.CommonError
	switch {
	case isPermanent(err) && errors.As(err, &ce):
		return "", false, s.recordRefusal(ctx, m, lease, int(ce.ErrCode), ce.ErrMsg)
	case err != nil: // the network, or busy and rate-limited past the retries: the task retries
		return "", false, fmt.Errorf("wecom: media/upload of %s: %w", m.Filename, err)
	case res.MediaID == "":
		return "", false, errors.New("wecom: media/upload answered no media_id")
	}
	made := s.Now()
	if sec, err := strconv.ParseInt(res.CreatedAt, 10, 64); err == nil && sec > 0 && time.Unix(sec, 0).Before(made) {
		made = time.Unix(sec, 0) // WeCom's clock starts the 3 days
	}
	err = txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		_, err := c.WeComMedia.Update().Where(wecommedia.ID(id), wecommedia.UploadLease(lease)).
			SetMediaID(res.MediaID).SetMediaUploadedAt(made).ClearUploadLease().ClearUploadLeaseUntil().Save(ctx)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("wecom: keep the media id of %s: %w", m.Filename, err)
	}
	return res.MediaID, true, nil
}

// recordRefusal records WeCom's permanent refusal of medium m's upload
// under lease and, in the same transaction, notifies its uploader (an
// active user; nobody for an API key's upload). Only the holder of the
// lease records it, so the uploader hears of it once. The result is the
// refusal's *MediaError.
func (s *Service) recordRefusal(ctx context.Context, m *ent.WeComMedia, lease uuid.UUID, code int, msg string) error {
	now := s.Now()
	m.UploadErrorCode, m.UploadErrorMessage, m.UploadFailedAt = &code, &msg, &now
	refusal := refused(m)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	var note uuid.UUID
	err = txn.WithTx(ctx, s.Client, func(c *ent.Client) error {
		n, err := c.WeComMedia.Update().Where(wecommedia.ID(m.ID), wecommedia.UploadLease(lease)).
			SetUploadErrorCode(code).SetUploadErrorMessage(msg).SetUploadFailedAt(now).
			ClearUploadLease().ClearUploadLeaseUntil().Save(ctx)
		if err != nil || n == 0 || m.UploadedByID == nil {
			return err
		}
		active, err := c.User.Query().Where(user.ID(*m.UploadedByID), user.Active(true)).Exist(ctx)
		if err != nil || !active {
			return err
		}
		uses, err := mediaUses(ctx, c, []uuid.UUID{m.ID})
		if err != nil {
			return err
		}
		note = gid.New(gid.Notification)
		if _, err := c.ExecContext(ctx, `INSERT INTO notifications (id, tenant_id, user_id, kind, message, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, note, tid, *m.UploadedByID, NotificationMediaFailed,
			refusalNotice(m.Filename, code, uses[m.ID]), now); err != nil {
			return fmt.Errorf("wecom: notify of a refused medium: %w", err)
		}
		if s.Notify == nil {
			return nil
		}
		return s.Notify.DeliverNotifications(ent.NewContext(ctx, c), tid, []uuid.UUID{note})
	})
	if err != nil {
		return errors.Join(refusal, fmt.Errorf("wecom: record the refusal of %s: %w", m.Filename, err))
	}
	return refusal
}

// refusalNotice is the wecom.media_failed notification of a refused
// medium: the file, WeCom's reason and errcode, and the live codes (whose
// welcomes now go without the attachment) and broadcasts (whose deliveries
// fail with it) that name it.
func refusalNotice(filename string, code int, uses []MediaUse) string {
	var codes, broadcasts []string
	for _, u := range uses {
		if u.Kind == UseBroadcast {
			broadcasts = append(broadcasts, "「"+u.Name+"」")
		} else {
			codes = append(codes, "「"+u.Name+"」")
		}
	}
	msg := fmt.Sprintf("企业微信拒绝了素材「%s」的上传：%s（错误码 %d）。", filename, MediaRefusalReason(code), code)
	if len(codes) > 0 {
		msg += "渠道活码" + strings.Join(codes, "、") + "的欢迎语将不带该附件发送。"
	}
	if len(broadcasts) > 0 {
		msg += "群发" + strings.Join(broadcasts, "、") + "将无法发送。"
	}
	if len(codes) == 0 && len(broadcasts) == 0 {
		return msg + "使用它的欢迎语将不带该附件发送，群发将无法发送；请在素材库重新上传该文件。"
	}
	return msg + "请在素材库重新上传该文件并替换附件。"
}

// MediaRefusalReason is WeCom's refusal of a media/upload in Chinese, by
// its documented errcode (https://developer.work.weixin.qq.com/document/path/90313).
// The web app has the same list (frontend/src/lib/mediaLibrary.ts).
func MediaRefusalReason(code int) string {
	switch code {
	case 40004:
		return "不支持的媒体类型"
	case 40005:
		return "文件格式不受支持（图片须为 JPG 或 PNG，视频须为 MP4）"
	case 40006:
		return "文件大小不符合要求（须大于 5 字节，文件不超过 20 MB）"
	case 40009:
		return "图片超过 10 MB"
	case 40011:
		return "视频超过 10 MB"
	case 41005:
		return "缺少文件内容"
	case 44001:
		return "文件为空"
	}
	return "企业微信拒绝了该文件"
}
