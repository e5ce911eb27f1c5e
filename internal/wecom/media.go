package wecom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // the formats WeCom's upload image API takes
	_ "image/png"
	"io"
	"slices"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// Images of welcome messages. WeCom's upload image API (media/uploadimg,
// https://developer.work.weixin.qq.com/document/path/90256) keeps a JPG or
// PNG of 5 bytes to 2 MB for good and answers its URL on *.qpic.cn, which
// send_welcome_msg takes as an image attachment's pic_url. The temporary
// media upload would give a media id that expires in 3 days, long before a
// code stops bringing customers in.

const (
	// MaxImageBytes is WeCom's limit on an uploaded image.
	MaxImageBytes = 2 << 20
	minImageBytes = 5
)

// imageRefusals are the errcodes by which WeCom refuses the image itself
// (40004 media type, 40006 file size, 40009 image size, 44001 empty file):
// the admin's file, not the corp, is at fault.
var imageRefusals = []int64{40004, 40006, 40009, 44001}

// UploadImage checks an image (a JPG or PNG by its content, 5 bytes to
// 2 MB) and uploads it to the workspace's corp with media/uploadimg; the
// answer is its permanent URL, a welcome attachment's picURL. A bad file is
// BAD_USER_INPUT at file and nothing is sent to WeCom; a workspace without
// the wecom channel's corpId and contactSecret, or WeCom's refusal of the
// call (with its errcode), is a CONFLICT.
func (s *Service) UploadImage(ctx context.Context, file io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(file, MaxImageBytes+1))
	if err != nil {
		return "", fmt.Errorf("wecom: read the image: %w", err)
	}
	switch {
	case len(data) > MaxImageBytes:
		return "", apperr.Input("file", "at most 2 MB (WeCom's limit on an uploaded image)")
	case len(data) < minImageBytes:
		return "", apperr.Input("file", "is empty (WeCom takes images of 5 bytes to 2 MB)")
	}
	ext, err := imageExt(data)
	if err != nil {
		return "", err
	}
	cfg, err := s.codeConfig(ctx)
	if err != nil {
		return "", err
	}
	if err := s.takeUpload(ctx, cfg.ImageUploadsPerDay); err != nil {
		return "", err
	}
	url, err := s.tokens.contacts(cfg).uploadImage("welcome"+ext, data)
	var ce *util.CommonError
	switch {
	case errors.As(err, &ce) && slices.Contains(imageRefusals, ce.ErrCode):
		return "", apperr.Input("file", "WeCom refused the image: errcode %d %s", ce.ErrCode, ce.ErrMsg)
	case errors.As(err, &ce):
		return "", apperr.New(apperr.Conflict, "", "WeCom refused media/uploadimg: errcode %d %s", ce.ErrCode, ce.ErrMsg)
	case err != nil:
		return "", fmt.Errorf("wecom: media/uploadimg: %w", err)
	case url == "":
		return "", errors.New("wecom: media/uploadimg answered no url")
	}
	return url, nil
}

// wecomDay is WeCom's calendar: its daily limits start again at midnight
// in China.
var wecomDay = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600) // China has no daylight saving
	}
	return loc
}()

// takeUpload counts one image upload of the workspace today (WeCom's day)
// before the call, refusing it with LIMIT_EXCEEDED at file when the
// workspace made limit (the channel's imageUploadsPerDay; 0: the default)
// already. One upsert, committed on its own whatever becomes of the
// request, whose conflict clause locks the day's row: concurrent uploads
// are counted one after the other, and none passes the limit. An upload
// WeCom then refuses stays counted, as WeCom counts it too.
func (s *Service) takeUpload(ctx context.Context, limit int) error {
	if limit <= 0 {
		limit = wecomplug.DefaultImageUploadsPerDay
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return err
	}
	now := s.Now().In(wecomDay)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, wecomDay)
	rows, err := s.Client.QueryContext(ctx, `INSERT INTO wecom_upload_days AS u (id, tenant_id, day, uploads)
		VALUES ($1, $2, $3::date, 1)
		ON CONFLICT (tenant_id, day) DO UPDATE SET uploads = u.uploads + 1 WHERE u.uploads < $4
		RETURNING u.uploads`, gid.New(gid.WeComUploadDay), tid, day.Format(time.DateOnly), limit)
	if err != nil {
		return fmt.Errorf("wecom: count the upload: %w", err)
	}
	uploads := 0
	if rows.Next() {
		err = rows.Scan(&uploads)
	}
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return fmt.Errorf("wecom: count the upload: %w", err)
	}
	if uploads == 0 {
		resets := day.AddDate(0, 0, 1)
		e := apperr.New(apperr.LimitExceeded, "file",
			"the workspace made today's %d image uploads to WeCom (the wecom channel's imageUploadsPerDay; WeCom allows a corp %d a day); the count starts again at %s (midnight in China)",
			limit, wecomplug.MaxImageUploadsPerDay, resets.Format(time.RFC3339))
		e.Details = map[string]any{"limit": limit, "resetsAt": resets.UTC().Format(time.RFC3339)}
		return e
	}
	if uploads == 1 {
		// A new day: the rows of past days are of no use.
		if _, err := s.Client.ExecContext(ctx, `DELETE FROM wecom_upload_days WHERE tenant_id = $1 AND day < $2::date`,
			tid, day.Format(time.DateOnly)); err != nil {
			return fmt.Errorf("wecom: forget past uploads: %w", err)
		}
	}
	return nil
}

// imageExt is the file name extension of a JPG or PNG image, whose header
// must decode as one (WeCom takes no other format). The pixels are not
// decoded: a 2 MB file may declare a huge bitmap, and WeCom's own check
// (errcode 40004 or 40009) refuses a corrupt one.
func imageExt(data []byte) (string, error) {
	_, format, err := image.DecodeConfig(bytes.NewReader(data))
	switch {
	case err == nil && format == "png":
		return ".png", nil
	case err == nil && format == "jpeg":
		return ".jpg", nil
	}
	return "", apperr.Input("file", "must be a JPG or PNG image (the formats WeCom's upload image API takes)")
}

// uploadImage calls media/uploadimg with the image as the multipart field
// media, fetching the token again once when WeCom refuses it and retrying
// busy errcodes with backoff.
func (c *contacts) uploadImage(name string, data []byte) (string, error) {
	var url string
	err := c.retrying(func() error {
		res, err := c.media.UploadImgFromReader(name, bytes.NewReader(data))
		if err != nil {
			return err
		}
		url = res.URL
		return nil
	})
	return url, err
}
