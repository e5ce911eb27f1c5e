package wecom

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/schema/schematype"
	"github.com/scrmhq/scrm/ent/wecommedia"
	"github.com/scrmhq/scrm/internal/txn"
)

// Attachments that cannot be sent. A code or a broadcast saved before WeCom
// refused a stored medium (or, for a restored code, before the medium was
// deleted) still names it: saving one now is refused (CheckMedia), but the
// saved ones stay. The code's page shows them (ContactWay.attachmentErrors,
// AttachmentErrors), and a welcome goes without them (sendableAttachments):
// the text and the other attachments reach the customer, the add records
// which were left out.

// Why an attachment cannot be sent: codes the web app says in the user's
// language (with WeCom's errcode for a refusal).
const (
	// AttachmentMediaRefused: WeCom permanently refused the stored
	// medium's upload (media/upload); Code is its errcode.
	AttachmentMediaRefused = "MEDIA_REFUSED"
	// AttachmentMediaDeleted: the stored medium is no longer in the
	// workspace.
	AttachmentMediaDeleted = "MEDIA_DELETED"
)

// AttachmentError is an attachment that cannot be sent.
type AttachmentError struct {
	// Index is its position among the attachments; Type its type (IMAGE,
	// VIDEO, FILE, MINIPROGRAM).
	Index int
	Type  string
	// MediaID is the stored medium's id as the attachment names it;
	// Filename its name (empty when deleted).
	MediaID, Filename string
	// Reason is AttachmentMediaRefused or AttachmentMediaDeleted; Errcode
	// WeCom's errcode of a refusal (0 otherwise).
	Reason  string
	Errcode int
}

// AttachmentErrors are the attachments of atts that name a stored medium
// WeCom refused or that is gone, in their order; one statement for all.
func (s *Service) AttachmentErrors(ctx context.Context, atts []schematype.WelcomeAttachment) ([]AttachmentError, error) {
	type ref struct {
		index int
		kind  string
		gid   string
		id    uuid.UUID
	}
	var refs []ref
	var ids []uuid.UUID
	for i, a := range atts {
		for _, r := range mediaRefs(a) {
			if id := MediaRef(*r.id); id != uuid.Nil {
				refs = append(refs, ref{i, AttachmentOf(a).Type, *r.id, id})
				ids = append(ids, id)
			}
		}
	}
	out := []AttachmentError{}
	if len(refs) == 0 {
		return out, nil
	}
	media, err := txn.Client(ctx, s.Client).WeComMedia.Query().Where(wecommedia.IDIn(ids...)).
		Select(wecommedia.FieldFilename, wecommedia.FieldUploadErrorCode, wecommedia.FieldUploadFailedAt).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("wecom: attachments' media: %w", err)
	}
	byID := make(map[uuid.UUID]int, len(media))
	for i, m := range media {
		byID[m.ID] = i
	}
	for _, r := range refs {
		e := AttachmentError{Index: r.index, Type: r.kind, MediaID: r.gid}
		i, ok := byID[r.id]
		switch {
		case !ok:
			e.Reason = AttachmentMediaDeleted
		case media[i].UploadFailedAt != nil:
			e.Reason, e.Filename = AttachmentMediaRefused, media[i].Filename
			if media[i].UploadErrorCode != nil {
				e.Errcode = *media[i].UploadErrorCode
			}
		default:
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// sendableAttachments is mediaIDs for a welcome: an attachment whose stored
// medium WeCom refused, or that is gone, is left out and reported in
// dropped instead of failing the whole message; other errors (the network)
// are returned.
func (s *Service) sendableAttachments(ctx context.Context, api *contacts, atts []schematype.WelcomeAttachment) (
	sendable []schematype.WelcomeAttachment, dropped []AttachmentError, err error) {
	for i, a := range atts {
		w, err := s.mediaIDsOf(ctx, api, a)
		var me *MediaError
		switch {
		case errors.As(err, &me):
			ref := ""
			for _, r := range mediaRefs(a) {
				if MediaRef(*r.id) == me.Media {
					ref = *r.id
				}
			}
			dropped = append(dropped, AttachmentError{Index: i, Type: AttachmentOf(a).Type, MediaID: ref, Reason: me.Reason, Errcode: me.Code})
		case err != nil:
			return nil, nil, err
		default:
			sendable = append(sendable, w)
		}
	}
	return sendable, dropped, nil
}

// droppedNote says which attachments a welcome went without, for the add's
// welcome_error: welcomeAttachments[i] and the reason's code (with the
// errcode of a refusal).
func droppedNote(dropped []AttachmentError) string {
	parts := make([]string, len(dropped))
	for i, d := range dropped {
		parts[i] = fmt.Sprintf("welcomeAttachments[%d] (%s %s", d.Index, d.Type, d.Reason)
		if d.Errcode != 0 {
			parts[i] += fmt.Sprintf(", media/upload errcode %d", d.Errcode)
		}
		parts[i] += ")"
	}
	return strings.Join(parts, ", ")
}
