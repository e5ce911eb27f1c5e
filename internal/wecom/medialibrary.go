package wecom

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/wecommedia"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/txn"
)

// The media library: the workspace's stored media (uploadWeComMedia) listed
// newest first with what uses them, and deleted when nothing live does.
// Attachments name a medium by its GraphQL id inside jsonb (a code's
// welcome_attachments, a broadcast's attachments), so "what uses it" is
// read from there; there is no foreign key to keep it.

// Kinds of what uses a stored medium.
const (
	UseContactWay = "CONTACT_WAY"
	UseBroadcast  = "BROADCAST"
)

// MediaUse is a live code or broadcast whose attachments name a stored
// medium: a contact-way code not deleted, or a broadcast scheduled or under
// way (SCHEDULED, PLANNING, SENDING, PAUSED; a recurring series' next run is
// a scheduled broadcast).
type MediaUse struct {
	Kind string
	ID   uuid.UUID
	Name string
}

// MediaPage is a page of the library, newest first; Total is 0 when not
// counted (MediaList.Count).
type MediaPage struct {
	Media   []*ent.WeComMedia
	Total   int
	HasNext bool
}

// MediaAfter is where a page starts: after the medium of this creation time
// and id.
type MediaAfter struct {
	At time.Time
	ID uuid.UUID
}

// MediaList is what ListMedia reads: the kind (all kinds when empty), the
// page size (clamped to 1..1000), where it starts, and whether to count the
// library (MediaPage.Total; a statement a caller that shows no total saves).
type MediaList struct {
	Kind  string
	First int
	After *MediaAfter
	Count bool
}

// ListMedia is a page of the workspace's stored media, newest first, with
// their uploader loaded. The files' bytes are not read.
func (s *Service) ListMedia(ctx context.Context, l MediaList) (*MediaPage, error) {
	kind := l.Kind
	if kind != "" {
		if _, ok := mediaLimits[kind]; !ok {
			return nil, apperr.Input("kind", "IMAGE, VIDEO or FILE")
		}
	}
	first := min(max(l.First, 1), 1000)
	c := txn.Client(ctx, s.Client)
	filter := func(q *ent.WeComMediaQuery) *ent.WeComMediaQuery {
		if kind != "" {
			q = q.Where(wecommedia.TypeEQ(wecommedia.Type(kind)))
		}
		return q
	}
	total := 0
	if l.Count {
		var err error
		if total, err = filter(c.WeComMedia.Query()).Count(ctx); err != nil {
			return nil, fmt.Errorf("wecom: count media: %w", err)
		}
	}
	q := filter(c.WeComMedia.Query())
	if after := l.After; after != nil {
		q = q.Where(wecommedia.Or(wecommedia.CreatedAtLT(after.At),
			wecommedia.And(wecommedia.CreatedAt(after.At), wecommedia.IDLT(after.ID))))
	}
	media, err := q.Select(wecommedia.FieldTenantID, wecommedia.FieldType, wecommedia.FieldFilename, wecommedia.FieldSize,
		wecommedia.FieldCreatedAt, wecommedia.FieldUpdatedAt, wecommedia.FieldUploadedByID,
		wecommedia.FieldUploadErrorCode, wecommedia.FieldUploadErrorMessage, wecommedia.FieldUploadFailedAt).
		WithUploadedBy().
		Order(ent.Desc(wecommedia.FieldCreatedAt), ent.Desc(wecommedia.FieldID)).
		Limit(first + 1).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("wecom: list media: %w", err)
	}
	page := &MediaPage{Media: media, Total: total}
	if len(media) > first {
		page.Media, page.HasNext = media[:first], true
	}
	return page, nil
}

// MediaUses is what uses each of the stored media ids: the live codes and
// broadcasts whose attachments name it (an image's or a video's or a file's
// mediaID, a mini-program's picMediaID), codes first, by name. One
// statement for any number of ids.
func (s *Service) MediaUses(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]MediaUse, error) {
	return mediaUses(ctx, txn.Client(ctx, s.Client), ids)
}

// liveMediaRefs selects (kind, id, name, ref) for each stored-media ref
// (a gid, base64 padding trimmed as gid.Decode does) that an attachment of
// a live code or broadcast of workspace $1 names, read as CheckMedia reads
// them: an image's, a video's or a file's media_id, a mini-program's
// pic_media_id. Raw WeCom media ids come out too and match no stored id.
var liveMediaRefs = liveMediaRefsWhere("")

// liveMediaRefsWhere is liveMediaRefs with more conditions on the
// broadcasts (b), e.g. those due soon.
func liveMediaRefsWhere(broadcasts string) string {
	const attRefs = `CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(%[1]s) = 'array' THEN %[1]s ELSE '[]'::jsonb END) a
		CROSS JOIN LATERAL (VALUES (a->'image'->>'media_id'), (a->'video'->>'media_id'), (a->'file'->>'media_id'),
			(a->'miniprogram'->>'pic_media_id')) r(ref)`
	return `SELECT 'CONTACT_WAY' AS kind, c.id, c.name, rtrim(r.ref, '=') AS ref FROM contact_ways c ` + fmt.Sprintf(attRefs, "c.welcome_attachments") + `
		WHERE c.tenant_id = $1 AND c.deleted_at IS NULL AND r.ref IS NOT NULL
		UNION ALL
		SELECT 'BROADCAST', b.id, b.name, rtrim(r.ref, '=') FROM broadcasts b ` + fmt.Sprintf(attRefs, "b.attachments") + `
		WHERE b.tenant_id = $1 AND b.status IN ('SCHEDULED', 'PLANNING', 'SENDING', 'PAUSED') AND r.ref IS NOT NULL` + broadcasts
}

func mediaUses(ctx context.Context, c *ent.Client, ids []uuid.UUID) (map[uuid.UUID][]MediaUse, error) {
	out := map[uuid.UUID][]MediaUse{}
	if len(ids) == 0 {
		return out, nil
	}
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	byRef := make(map[string]uuid.UUID, len(ids))
	refs := make([]string, len(ids))
	for i, id := range ids {
		refs[i] = gid.Encode(id)
		byRef[refs[i]] = id
	}
	query := `SELECT DISTINCT u.kind, u.id, u.name, u.ref FROM (` + liveMediaRefs + `) u
		WHERE u.ref = ANY($2) ORDER BY u.kind DESC, u.name, u.id`
	rows, err := c.QueryContext(ctx, query, tid, pq.Array(refs))
	if err != nil {
		return nil, fmt.Errorf("wecom: media uses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u MediaUse
		var ref string
		if err := rows.Scan(&u.Kind, &u.ID, &u.Name, &ref); err != nil {
			return nil, fmt.Errorf("wecom: media uses: %w", err)
		}
		id := byRef[ref]
		out[id] = append(out[id], u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("wecom: media uses: %w", err)
	}
	return out, nil
}

// DeleteMedia deletes stored medium id, its bytes with it. A medium a live
// code or broadcast uses (MediaUses) is a CONFLICT that names them, and
// stays; another workspace's, or none, is NOT_FOUND at id. The row is
// locked first, and CheckMedia takes a share lock on the media an
// attachment names, so a code or broadcast saved at the same time either
// waits for the delete (and finds no medium) or is seen by it.
// Attachments of deleted codes and of finished broadcasts may still name
// it: they show no medium, and a restored code's welcome fails for it
// (MediaError).
func (s *Service) DeleteMedia(ctx context.Context, id uuid.UUID) error {
	return txn.WithTx(ctx, txn.Client(ctx, s.Client), func(c *ent.Client) error {
		_, err := c.WeComMedia.Query().Where(wecommedia.ID(id)).Select(wecommedia.FieldID).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "id", "no such media in the workspace")
		}
		if err != nil {
			return err
		}
		uses, err := mediaUses(ctx, c, []uuid.UUID{id})
		if err != nil {
			return err
		}
		if u := uses[id]; len(u) > 0 {
			names := make([]string, len(u))
			for i, x := range u {
				what := "contact-way code"
				if x.Kind == UseBroadcast {
					what = "broadcast"
				}
				names[i] = fmt.Sprintf("%s %q", what, x.Name)
			}
			e := apperr.New(apperr.Conflict, "id", "the media is in use by %s: remove it from their attachments first",
				strings.Join(names, ", "))
			details := make([]map[string]any, len(u))
			for i, x := range u {
				details[i] = map[string]any{"kind": x.Kind, "id": gid.Encode(x.ID), "name": x.Name}
			}
			e.Details = map[string]any{"usedBy": details}
			return e
		}
		return c.WeComMedia.DeleteOneID(id).Exec(ctx)
	})
}
