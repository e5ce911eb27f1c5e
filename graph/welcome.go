package graph

import (
	"context"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/wecommedia"
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
			Desc: deref(a.Desc), AppID: deref(a.AppID), Page: deref(a.Page), PicMediaID: deref(a.PicMediaID),
			MediaID: deref(a.MediaID)}
	}
	return out
}

// shownAttachments are stored attachments (a code's, a mass send's) as the
// API shows them, with the stored media they name.
func (r *Resolver) shownAttachments(ctx context.Context, stored []schematype.WelcomeAttachment) ([]*model.WelcomeAttachment, error) {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := make([]*model.WelcomeAttachment, 0, len(stored))
	refs := map[uuid.UUID][]*model.WelcomeAttachment{}
	for _, w := range stored {
		a := wecom.AttachmentOf(w)
		m := &model.WelcomeAttachment{Type: model.WelcomeAttachmentType(a.Type), Title: opt(a.Title), URL: opt(a.URL),
			PicURL: opt(a.PicURL), Desc: opt(a.Desc), AppID: opt(a.AppID), Page: opt(a.Page), PicMediaID: opt(a.PicMediaID),
			MediaID: opt(a.MediaID)}
		for _, ref := range []string{a.MediaID, a.PicMediaID} {
			if id := wecom.MediaRef(ref); id != uuid.Nil {
				refs[id] = append(refs[id], m)
			}
		}
		out = append(out, m)
	}
	if len(refs) > 0 {
		media, err := r.Services.WeCom.Client.WeComMedia.Query().Where(wecommedia.IDIn(slices.Collect(maps.Keys(refs))...)).
			Select(wecommedia.FieldType, wecommedia.FieldFilename, wecommedia.FieldSize, wecommedia.FieldCreatedAt).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range media {
			for _, a := range refs[m.ID] {
				a.Media = m
			}
		}
	}
	return out, nil
}
