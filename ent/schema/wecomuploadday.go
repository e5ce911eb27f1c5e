package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// WeComUploadDay counts a workspace's image uploads to WeCom
// (media/uploadimg) on one day of WeCom's calendar (Asia/Shanghai), so that
// the workspace stops below WeCom's own daily limit per corp. Each upload
// takes a unit with one conditional upsert before the call
// (internal/wecom, UploadImage); past days are deleted with a new day's
// first upload.
type WeComUploadDay struct{ ent.Schema }

// Mixin of the WeComUploadDay.
func (WeComUploadDay) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.WeComUploadDay}, TenantMixin{}}
}

// Fields of the WeComUploadDay.
func (WeComUploadDay) Fields() []ent.Field {
	return []ent.Field{
		// day is the date in Asia/Shanghai, when WeCom's day starts.
		field.Time("day").Immutable().SchemaType(map[string]string{dialect.Postgres: "date"}),
		field.Int("uploads").NonNegative(),
	}
}

// Indexes of the WeComUploadDay.
func (WeComUploadDay) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "day").Unique(),
	}
}

// Annotations of the WeComUploadDay.
func (WeComUploadDay) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entsql.Annotation{Table: "wecom_upload_days"}, entgql.Skip(entgql.SkipAll)}
}
