package wecom

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/silenceper/wechat/v2/util"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/internal/apperr"
)

// Welcome message attachments. send_welcome_msg sends up to nine
// attachments with the text (https://developer.work.weixin.qq.com/document/path/92137):
// an image (a URL WeCom's upload image API gave, or a media id), a link
// card, a mini-program card (its cover a media id of WeCom's media upload),
// a video or a file (media ids). A code or a mass send takes images (by URL,
// or a stored image), links, mini-programs (the cover a stored image, or a
// raw media id that expires), videos and files (stored media): storedmedia.go
// keeps the files and uploads them at send time.

// Attachment types of a welcome message.
const (
	AttachImage       = "IMAGE"
	AttachLink        = "LINK"
	AttachMiniProgram = "MINIPROGRAM"
	AttachVideo       = "VIDEO"
	AttachFile        = "FILE"
	// MaxWelcomeAttachments is WeCom's limit per welcome message, and per
	// mass-send template.
	MaxWelcomeAttachments = 9
)

// Attachment is a welcome message attachment as given: the fields its Type
// uses (IMAGE: PicURL or MediaID; LINK: Title, URL, PicURL, Desc;
// MINIPROGRAM: Title, AppID, Page, PicMediaID; VIDEO and FILE: MediaID).
// MediaID, and PicMediaID when it is one, is a stored WeComMedia's id.
type Attachment struct {
	Type                                                       string
	Title, URL, PicURL, Desc, AppID, Page, PicMediaID, MediaID string
}

var appIDPattern = regexp.MustCompile(`^wx[0-9a-f]{16}$`)

// CheckAttachments checks the attachments of a code's welcome message or of
// a staff mass send against WeCom's rules, which send_welcome_msg and
// add_msg_template share (at most 9; image by pic_url, link, mini-program),
// and returns them in WeCom's shape; errors name field[i].<field>.
// Service.CheckMedia then checks the stored media they name.
func CheckAttachments(field string, in []Attachment) ([]schematype.WelcomeAttachment, error) {
	if len(in) > MaxWelcomeAttachments {
		return nil, apperr.Input(field, "at most %d attachments (WeCom's limit)", MaxWelcomeAttachments)
	}
	out := make([]schematype.WelcomeAttachment, 0, len(in))
	for i, a := range in {
		at := func(f string) string { return fmt.Sprintf("%s[%d].%s", field, i, f) }
		text := func(f, v string, maxBytes int, required bool) (string, error) {
			v = strings.TrimSpace(v)
			switch {
			case v == "" && required:
				return "", apperr.Input(at(f), "is required for a %s attachment", a.Type)
			case len(v) > maxBytes:
				return "", apperr.Input(at(f), "at most %d bytes (WeCom's limit; a Chinese character is 3)", maxBytes)
			}
			return v, nil
		}
		link := func(f, v string, required bool, host func(string) bool, hostRule string) (string, error) {
			v, err := text(f, v, 1000, required)
			if err != nil || v == "" {
				return v, err
			}
			u, err := url.Parse(v)
			if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
				return "", apperr.Input(at(f), "must be an absolute http(s) URL")
			}
			if host != nil && (u.Scheme != "https" || !host(u.Hostname())) {
				return "", apperr.Input(at(f), "%s", hostRule)
			}
			return v, nil
		}
		var (
			w   = schematype.WelcomeAttachment{}
			err error
		)
		switch a.Type {
		case AttachImage:
			img := &schematype.WelcomeImage{}
			if img.MediaID, err = text("mediaID", a.MediaID, 256, false); err != nil {
				return nil, err
			}
			if img.MediaID != "" && strings.TrimSpace(a.PicURL) != "" {
				return nil, apperr.Input(at("picURL"), "an IMAGE takes picURL or mediaID, not both")
			}
			if img.MediaID == "" {
				img.PicURL, err = link("picURL", a.PicURL, true, func(h string) bool { return h == "qpic.cn" || strings.HasSuffix(h, ".qpic.cn") },
					"must be an https URL WeCom's upload image API (media/uploadimg) gave, on *.qpic.cn")
			}
			w.MsgType, w.Image = "image", img
		case AttachVideo, AttachFile:
			m := &schematype.WelcomeMedia{}
			m.MediaID, err = text("mediaID", a.MediaID, 256, true)
			if a.Type == AttachVideo {
				w.MsgType, w.Video = "video", m
			} else {
				w.MsgType, w.File = "file", m
			}
		case AttachLink:
			l := &schematype.WelcomeLink{}
			if l.Title, err = text("title", a.Title, 128, true); err != nil {
				return nil, err
			}
			if l.URL, err = link("url", a.URL, true, nil, ""); err != nil {
				return nil, err
			}
			if l.PicURL, err = link("picURL", a.PicURL, false, nil, ""); err != nil {
				return nil, err
			}
			l.Desc, err = text("desc", a.Desc, 512, false)
			w.MsgType, w.Link = "link", l
		case AttachMiniProgram:
			m := &schematype.WelcomeMiniProgram{}
			if m.Title, err = text("title", a.Title, 64, true); err != nil {
				return nil, err
			}
			if m.AppID, err = text("appID", a.AppID, 64, true); err != nil {
				return nil, err
			}
			if !appIDPattern.MatchString(m.AppID) {
				return nil, apperr.Input(at("appID"), "must be a mini-program appid (wx and 16 hex digits) linked to the corp")
			}
			if m.Page, err = text("page", a.Page, 256, true); err != nil {
				return nil, err
			}
			m.PicMediaID, err = text("picMediaID", a.PicMediaID, 256, true)
			w.MsgType, w.MiniProgram = "miniprogram", m
		default:
			return nil, apperr.Input(at("type"), "IMAGE, LINK, MINIPROGRAM, VIDEO or FILE")
		}
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// AttachmentOf is a stored attachment as the API shows it.
func AttachmentOf(w schematype.WelcomeAttachment) Attachment {
	switch {
	case w.Image != nil:
		return Attachment{Type: AttachImage, PicURL: w.Image.PicURL, MediaID: w.Image.MediaID}
	case w.Link != nil:
		return Attachment{Type: AttachLink, Title: w.Link.Title, URL: w.Link.URL, PicURL: w.Link.PicURL, Desc: w.Link.Desc}
	case w.MiniProgram != nil:
		return Attachment{Type: AttachMiniProgram, Title: w.MiniProgram.Title, AppID: w.MiniProgram.AppID,
			Page: w.MiniProgram.Page, PicMediaID: w.MiniProgram.PicMediaID}
	case w.Video != nil:
		return Attachment{Type: AttachVideo, MediaID: w.Video.MediaID}
	case w.File != nil:
		return Attachment{Type: AttachFile, MediaID: w.File.MediaID}
	}
	return Attachment{Type: strings.ToUpper(w.MsgType)}
}

const sendWelcomeURL = apiHost + "/cgi-bin/externalcontact/send_welcome_msg"

// sendWelcome calls send_welcome_msg with the text and attachments. The
// request is built here rather than by the library, whose attachment type
// writes every kind's object (empty) into each attachment.
func (c *contacts) sendWelcome(code, text string, attachments []schematype.WelcomeAttachment) error {
	type msgText struct {
		Content string `json:"content"`
	}
	req := struct {
		WelcomeCode string                         `json:"welcome_code"`
		Text        *msgText                       `json:"text,omitempty"`
		Attachments []schematype.WelcomeAttachment `json:"attachments,omitempty"`
	}{WelcomeCode: code, Attachments: attachments}
	if text != "" {
		req.Text = &msgText{Content: text}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	return c.retrying(func() error {
		token, err := c.client.GetAccessToken()
		if err != nil {
			return err
		}
		raw, err := util.HTTPPost(sendWelcomeURL+"?access_token="+url.QueryEscape(token), string(body))
		if err != nil {
			return err
		}
		return util.DecodeWithCommonError(raw, "SendWelcomeMsg")
	})
}
