package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// IngestBatch remembers the answer to an ingest request by its idempotency
// key, so a client that retries gets the first answer and nothing is written
// twice. Rows older than the retention are purged by a periodic job.
type IngestBatch struct{ ent.Schema }

// Mixin of the IngestBatch.
func (IngestBatch) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.IngestBatch}, TenantMixin{}}
}

// Fields of the IngestBatch.
func (IngestBatch) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").MaxRuneLen(200).Immutable(),
		// request_hash tells a retry from a different request reusing a key.
		field.String("request_hash").Immutable(),
		field.Bytes("response").Optional().
			SchemaType(map[string]string{dialect.Postgres: "jsonb"}),
		field.Int("rows").Default(0),
		field.Time("created_at").Immutable(),
	}
}

// Indexes of the IngestBatch.
func (IngestBatch) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "key").Unique(),
		index.Fields("tenant_id", "created_at"),
	}
}

// Annotations of the IngestBatch.
func (IngestBatch) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
