package graph

import (
	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/wecom"
)

// welcomeAttachments maps the input's attachments; nil stays nil (an update
// that keeps them), an empty list stays empty (none).
func welcomeAttachments(in []*model.WelcomeAttachmentInput) []wecom.Attachment {
	if in == nil {
		return nil
	}
	out := make([]wecom.Attachment, len(in))
	for i, a := range in {
		out[i] = wecom.Attachment{Type: string(a.Type), Title: deref(a.Title), URL: deref(a.URL), PicURL: deref(a.PicURL),
			Desc: deref(a.Desc), AppID: deref(a.AppID), Page: deref(a.Page), PicMediaID: deref(a.PicMediaID)}
	}
	return out
}

// codeAttachments is a code's attachments as the API shows them.
func codeAttachments(cw *ent.ContactWay) []*model.WelcomeAttachment {
	return shownAttachments(cw.WelcomeAttachments)
}

// shownAttachments are stored attachments (a code's, a mass send's) as the
// API shows them.
func shownAttachments(stored []schematype.WelcomeAttachment) []*model.WelcomeAttachment {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := make([]*model.WelcomeAttachment, 0, len(stored))
	for _, w := range stored {
		a := wecom.AttachmentOf(w)
		out = append(out, &model.WelcomeAttachment{Type: model.WelcomeAttachmentType(a.Type), Title: opt(a.Title), URL: opt(a.URL),
			PicURL: opt(a.PicURL), Desc: opt(a.Desc), AppID: opt(a.AppID), Page: opt(a.Page), PicMediaID: opt(a.PicMediaID)})
	}
	return out
}
