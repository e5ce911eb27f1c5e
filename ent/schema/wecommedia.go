package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/gid"
)

// WeComMedia is a file a workspace uploaded for WeCom attachments (an image,
// a video or a file: uploadWeComMedia), kept here because WeCom's temporary
// media (media/upload) expire after 3 days. Attachments name it by its id;
// internal/wecom uploads the bytes through media/upload ahead of the sends
// (when a code or broadcast naming it is saved, and again from 48 hours on
// while they are live) and, as a fallback, at send time when media_id is
// missing or older than 60 hours, and keeps the new media_id and when
// WeCom made it.
type WeComMedia struct{ ent.Schema }

// Mixin of the WeComMedia.
func (WeComMedia) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.WeComMedia}, TenantMixin{}, TimeMixin{}}
}

// Fields of the WeComMedia.
func (WeComMedia) Fields() []ent.Field {
	return []ent.Field{
		// type is media/upload's type: IMAGE (jpg/png, 10 MB), VIDEO (mp4,
		// 10 MB) or FILE (20 MB).
		field.Enum("type").Values("IMAGE", "VIDEO", "FILE").Immutable(),
		field.String("filename").MaxLen(200).Immutable(),
		field.Int("size").NonNegative().Immutable(),
		field.Bytes("data").Immutable(),
		// media_id is the id WeCom's last media/upload of the file gave,
		// media_uploaded_at when WeCom made it (its created_at); both null
		// before the first send.
		field.String("media_id").Optional().Nillable(),
		field.Time("media_uploaded_at").Optional().Nillable(),
		// upload_lease is the token of the upload under way and
		// upload_lease_until when it may be taken over: one upload of the
		// medium at a time, with no transaction held while WeCom answers
		// (internal/wecom, freshMediaID). Both null when none runs.
		field.UUID("upload_lease", uuid.UUID{}).Optional().Nillable(),
		field.Time("upload_lease_until").Optional().Nillable(),
		// upload_error_code and upload_error_message are WeCom's permanent refusal of
		// the file's last upload (errcode, errmsg), upload_failed_at when;
		// null when the last upload succeeded or none was tried. A refused
		// medium is not uploaded again (the bytes do not change): the user
		// uploads the file anew.
		field.Int("upload_error_code").Optional().Nillable(),
		field.String("upload_error_message").Optional().Nillable(),
		field.Time("upload_failed_at").Optional().Nillable(),
		// uploaded_by_id is who uploaded it (uploadWeComMedia's caller); null
		// for an API key's upload and for media stored before it was recorded.
		field.UUID("uploaded_by_id", gidUUID).Optional().Nillable().Immutable(),
	}
}

// Edges of the WeComMedia.
func (WeComMedia) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("uploaded_by", User.Type).Field("uploaded_by_id").Unique().Immutable(),
	}
}

// Indexes of the WeComMedia.
func (WeComMedia) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "created_at")}
}

// Annotations of the WeComMedia.
func (WeComMedia) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entsql.Annotation{Table: "wecom_media"}, entgql.Skip(entgql.SkipAll)}
}
