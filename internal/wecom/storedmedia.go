package wecom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/silenceper/wechat/v2/util"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/wecommedia"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// Stored media. WeCom's temporary media upload (media/upload,
// https://developer.work.weixin.qq.com/document/path/90253) gives a
// media_id that expires 3 days after WeCom made it, and welcome messages'
// and mass-send templates' video, file and mini-program cover attachments
// (and images by media_id) take only such ids. A code brings customers in
// for months and a mass send recurs, so the workspace keeps the file here
// (uploadWeComMedia: wecom_media) and attachments name it by its id. The
// upload happens ahead of the sends (mediaready.go: when a code or a
// broadcast is saved, and renewed hourly while they are live); at send time
// mediaIDs uses the kept media_id when it is younger than mediaFresh and
// only otherwise uploads itself, the fallback.

// MediaRenewAfter is the age of a kept WeCom media id from which the media
// of live codes and broadcasts are uploaded again ahead of any send
// (ReadyMedia, run hourly): 12 hours before the send-time limit of 60
// hours (mediaFresh), so the hourly renewal has twelve passes, each with
// its retries, to succeed before a welcome would have to upload inside
// its 20-second window. A used medium is uploaded about every two days.
const MediaRenewAfter = 48 * time.Hour

// Media types of uploadWeComMedia, media/upload's types in upper case.
const (
	MediaImage = "IMAGE"
	MediaVideo = "VIDEO"
	MediaFile  = "FILE"
)

// mediaLimits are WeCom's limits on media/upload by type: an image 10 MB
// (JPG, PNG), a video 10 MB (MP4), a file 20 MB; every file more than 5
// bytes.
var mediaLimits = map[string]int{MediaImage: 10 << 20, MediaVideo: 10 << 20, MediaFile: 20 << 20}

const (
	minMediaBytes = 6
	// mediaFresh is how long a media_id is used at send time after WeCom
	// made it: its 3 days less 12 hours for a send that takes a while
	// (a mass send's templates are made member after member, a pass may be
	// retried) and for the two clocks.
	mediaFresh = 60 * time.Hour
	// mediaRenew is MediaRenewAfter.
	mediaRenew = MediaRenewAfter
	// maxFilename is the longest file name kept (bytes, whole runes).
	maxFilename = 200
)

// UploadMedia checks a file for WeCom attachments and keeps it in the
// workspace: kind IMAGE (a JPG or PNG by its content, at most 10 MB),
// VIDEO (an MP4 by its content, at most 10 MB) or FILE (any, at most
// 20 MB); every file more than 5 bytes. Nothing is sent to WeCom until an
// attachment naming it is sent. A bad file is BAD_USER_INPUT at file (at
// type for an unknown kind) and nothing is stored. uploadedBy is the
// caller (nil for an API key).
func (s *Service) UploadMedia(ctx context.Context, kind, filename string, file io.Reader, uploadedBy *uuid.UUID) (*ent.WeComMedia, error) {
	limit, ok := mediaLimits[kind]
	if !ok {
		return nil, apperr.Input("type", "IMAGE, VIDEO or FILE")
	}
	data, err := io.ReadAll(io.LimitReader(file, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("wecom: read the file: %w", err)
	}
	switch {
	case len(data) > limit:
		return nil, apperr.Input("file", "at most %d MB (WeCom's limit on an uploaded %s)", limit>>20, strings.ToLower(kind))
	case len(data) < minMediaBytes:
		return nil, apperr.Input("file", "is empty (WeCom takes files of more than 5 bytes)")
	}
	name := mediaName(filename)
	switch kind {
	case MediaImage:
		ext, err := imageExt(data)
		if err != nil {
			return nil, apperr.Input("file", "must be a JPG or PNG image (the formats WeCom takes)")
		}
		if e := strings.ToLower(path.Ext(name)); e != ".jpg" && e != ".jpeg" && e != ".png" {
			name = strings.TrimSuffix(name, path.Ext(name)) + ext
		}
	case MediaVideo:
		if http.DetectContentType(data) != "video/mp4" {
			return nil, apperr.Input("file", "must be an MP4 video (the format WeCom takes)")
		}
		if !strings.EqualFold(path.Ext(name), ".mp4") {
			name = strings.TrimSuffix(name, path.Ext(name)) + ".mp4"
		}
	}
	if name == "" || strings.HasPrefix(name, ".") {
		name = strings.ToLower(kind) + name
	}
	return txn.Client(ctx, s.Client).WeComMedia.Create().SetType(wecommedia.Type(kind)).SetFilename(name).
		SetSize(len(data)).SetData(data).SetNillableUploadedByID(uploadedBy).Save(ctx)
}

// mediaName is a file name as WeCom shows it: the base name, without
// control characters, at most maxFilename bytes.
func mediaName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == '"' {
			return -1
		}
		return r
	}, strings.TrimSpace(path.Base(strings.ReplaceAll(name, "\\", "/"))))
	if name == "." || name == "/" {
		name = ""
	}
	for len(name) > maxFilename {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:len(name)-len(ext)]
		cut := maxFilename - len(ext)
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		name = stem[:cut] + ext
	}
	return name
}

// MediaRef is the stored media id an attachment field names: the GraphQL
// id of a WeComMedia, or uuid.Nil for anything else (a raw WeCom media id).
func MediaRef(s string) uuid.UUID {
	id, err := gid.Decode(s)
	if err != nil {
		return uuid.Nil
	}
	if t, _ := gid.TypeOf(id); t != gid.WeComMedia {
		return uuid.Nil
	}
	return id
}

// CheckAttachmentsIn is CheckAttachments and CheckMedia: the attachments of
// a code or a mass send of the workspace in ctx, in WeCom's shape.
func (s *Service) CheckAttachmentsIn(ctx context.Context, field string, in []Attachment) ([]schematype.WelcomeAttachment, error) {
	out, err := CheckAttachments(field, in)
	if err != nil {
		return nil, err
	}
	if err := s.CheckMedia(ctx, field, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckMedia checks that the stored media the attachments name are the
// workspace's, of the kind each takes (IMAGE for an image or a cover,
// VIDEO, FILE), and not refused by WeCom (uploadError: it would never be
// sent); errors name field[i].<field>.
func (s *Service) CheckMedia(ctx context.Context, field string, atts []schematype.WelcomeAttachment) error {
	for i, a := range atts {
		for _, r := range mediaRefs(a) {
			at := fmt.Sprintf("%s[%d].%s", field, i, r.field)
			id := MediaRef(*r.id)
			if id == uuid.Nil {
				if r.field == "picMediaID" { // a raw WeCom media id, taken as before (it expires)
					continue
				}
				return apperr.Input(at, "must be the id of a %s uploadWeComMedia stored", r.kind)
			}
			// Shared: a deleteWeComMedia at the same time waits for this
			// transaction and then sees the attachment (DeleteMedia).
			m, err := txn.Client(ctx, s.Client).WeComMedia.Query().Where(wecommedia.ID(id)).
				Select(wecommedia.FieldType, wecommedia.FieldUploadErrorCode, wecommedia.FieldUploadFailedAt).ForShare().Only(ctx)
			switch {
			case ent.IsNotFound(err):
				return apperr.Input(at, "no such media in the workspace")
			case err != nil:
				return err
			case string(m.Type) != r.kind:
				return apperr.Input(at, "must be a %s, not a %s", r.kind, m.Type)
			case m.UploadFailedAt != nil && m.UploadErrorCode != nil:
				return apperr.Input(at, "WeCom refused this file (media/upload errcode %d): upload a file WeCom takes and name it instead",
					*m.UploadErrorCode)
			}
		}
	}
	return nil
}

type mediaRefField struct {
	field, kind string
	id          *string
}

// mediaRefs are the fields of a that may name stored media, each with the
// kind it takes.
func mediaRefs(a schematype.WelcomeAttachment) []mediaRefField {
	switch {
	case a.Image != nil && a.Image.MediaID != "":
		return []mediaRefField{{"mediaID", MediaImage, &a.Image.MediaID}}
	case a.MiniProgram != nil:
		return []mediaRefField{{"picMediaID", MediaImage, &a.MiniProgram.PicMediaID}}
	case a.Video != nil:
		return []mediaRefField{{"mediaID", MediaVideo, &a.Video.MediaID}}
	case a.File != nil:
		return []mediaRefField{{"mediaID", MediaFile, &a.File.MediaID}}
	}
	return nil
}

// MediaError is why stored attachments cannot be sent: a medium deleted,
// or WeCom refusing its upload. Sending again does not help: a welcome goes
// without the attachment (sendableAttachments), a delivery fails with it.
type MediaError struct {
	Why string
	// Media is the stored medium; Reason AttachmentMediaRefused (with
	// WeCom's errcode in Code) or AttachmentMediaDeleted.
	Media  uuid.UUID
	Reason string
	Code   int
}

func (e *MediaError) Error() string { return e.Why }

// deletedMedia is the MediaError of a stored medium no longer there.
func deletedMedia(id uuid.UUID) *MediaError {
	return &MediaError{Why: "an attachment's media was deleted from the workspace", Media: id, Reason: AttachmentMediaDeleted}
}

// mediaIDs is a copy of the attachments with each stored medium replaced by
// a WeCom media id of it that is less than mediaFresh old: the one kept,
// or a new one from media/upload, which is kept with its time. A medium
// gone, or WeCom's refusal of its upload (busy errcodes retried first), is
// a *MediaError; other errors (the network) may pass when sent again.
func (s *Service) mediaIDs(ctx context.Context, api *contacts, atts []schematype.WelcomeAttachment) ([]schematype.WelcomeAttachment, error) {
	out := make([]schematype.WelcomeAttachment, len(atts))
	for i, a := range atts {
		var err error
		if out[i], err = s.mediaIDsOf(ctx, api, a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// mediaIDsOf is mediaIDs of one attachment.
func (s *Service) mediaIDsOf(ctx context.Context, api *contacts, a schematype.WelcomeAttachment) (schematype.WelcomeAttachment, error) {
	// Copy the objects that carry media ids: the stored ones stay as they are.
	if a.Image != nil {
		img := *a.Image
		a.Image = &img
	}
	if a.MiniProgram != nil {
		mp := *a.MiniProgram
		a.MiniProgram = &mp
	}
	if a.Video != nil {
		v := *a.Video
		a.Video = &v
	}
	if a.File != nil {
		f := *a.File
		a.File = &f
	}
	for _, r := range mediaRefs(a) {
		id := MediaRef(*r.id)
		if id == uuid.Nil {
			continue
		}
		mediaID, _, err := s.freshMediaID(ctx, api, id, mediaFresh)
		if err != nil {
			return a, err
		}
		*r.id = mediaID
	}
	return a, nil
}

// fresh reports whether m has a WeCom media id made less than maxAge
// before now.
func fresh(m *ent.WeComMedia, now time.Time, maxAge time.Duration) bool {
	return m.MediaID != nil && *m.MediaID != "" && m.MediaUploadedAt != nil && now.Sub(*m.MediaUploadedAt) < maxAge
}

type uploadedMedia struct {
	MediaID   string `json:"media_id"`
	CreatedAt string `json:"created_at"`
	Type      string `json:"type"`
}

const uploadMediaURL = apiHost + "/cgi-bin/media/upload"

// uploadTemp calls media/upload once with the file as the multipart field
// media.
func (c *contacts) uploadTemp(kind, name string, data []byte) (*uploadedMedia, error) {
	token, err := c.client.GetAccessToken()
	if err != nil {
		return nil, err
	}
	raw, err := util.PostFileByStream("media", name, uploadMediaURL+"?access_token="+url.QueryEscape(token)+"&type="+kind, bytes.Clone(data))
	if err != nil {
		return nil, err
	}
	res := &struct {
		util.CommonError
		uploadedMedia
	}{}
	if err := util.DecodeWithError(raw, res, "UploadTempMedia"); err != nil {
		return nil, err
	}
	return &res.uploadedMedia, nil
}
