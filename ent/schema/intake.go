package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/edge"
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

// SourceTouch is one arrival of a lead from a source (来源触点): the first
// ingest and every later duplicate that merged into it, so attribution keeps
// all of them while the lead keeps its first source.
type SourceTouch struct{ ent.Schema }

// Mixin of the SourceTouch.
func (SourceTouch) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.SourceTouch}, TenantMixin{}}
}

// Fields of the SourceTouch.
func (SourceTouch) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("lead_id", gidUUID),
		field.String("source").Default("").MaxRuneLen(100).Immutable(),
		field.String("source_detail").Default("").MaxRuneLen(500).Immutable(),
		field.String("external_id").Optional().Nillable().Immutable(),
		// duplicate is true for a touch that merged into an existing lead.
		field.Bool("duplicate").Default(false).Immutable(),
		field.Time("at").Immutable(),
	}
}

// Edges of the SourceTouch.
func (SourceTouch) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("touches").Field("lead_id").Unique().Required(),
	}
}

// Indexes of the SourceTouch.
func (SourceTouch) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "lead_id", "at"),
		index.Fields("tenant_id", "source", "at"),
	}
}

// Notification tells a user something happened to their work, e.g. that a
// duplicate of a lead they own arrived. Delivered over the API (and pushed on
// Redis for live clients) by an Asynq task.
type Notification struct{ ent.Schema }

// Mixin of the Notification.
func (Notification) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Notification}, TenantMixin{}}
}

// Fields of the Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("user_id", gidUUID).Immutable(),
		field.String("kind").MaxRuneLen(100).Immutable(),
		field.UUID("lead_id", gidUUID).Optional().Nillable().Immutable(),
		field.String("message").MaxRuneLen(1000).Immutable(),
		field.Time("created_at").Immutable().Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("delivered_at").Optional().Nillable(),
		field.Time("read_at").Optional().Nillable(),
	}
}

// Edges of the Notification.
func (Notification) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
		edge.To("lead", Lead.Type).Field("lead_id").Unique().Immutable(),
	}
}

// Indexes of the Notification.
func (Notification) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "user_id", "created_at"),
	}
}
