package schema

import (
	"encoding/json"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/scrmhq/scrm/internal/gid"
)

// Job is a long task the API started for a user (an import, an export, a
// WeCom sync, a bulk update of the leads matching a filter): an Asynq task enqueued through the outbox in the transaction
// that created the row, whose progress (done, failed) the task writes as it
// runs. Its files (the uploaded CSV, the result CSV) are JobFile rows, so a
// worker on any machine reads and writes them. Only its creator and the
// workspace's admins see it (internal/jobrun).
type Job struct{ ent.Schema }

// Mixin of the Job.
func (Job) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.Job}, TenantMixin{}, TimeMixin{}}
}

// Fields of the Job.
func (Job) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("IMPORT", "EXPORT", "WECOM_SYNC", "BULK_UPDATE").Immutable().
			Annotations(entgql.Type("JobKind")),
		// QUEUED → RUNNING → SUCCEEDED | FAILED; CANCELLED from either of the
		// first two (the runner stops between batches and keeps its progress).
		field.Enum("status").Values("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED").
			Default("QUEUED").Annotations(entgql.Type("JobStatus")),
		// total is the number of rows (or contacts) to process when known
		// ahead, else 0.
		field.Int("total").Default(0),
		// done counts the rows processed; failed, those of them rejected.
		field.Int("done").Default(0),
		field.Int("failed").Default(0),
		field.String("error").Optional().Nillable().MaxRuneLen(2000),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
		// created_by_id is the user who started the job (nil for an API key).
		field.UUID("created_by_id", gidUUID).Optional().Nillable().Immutable(),
		// idempotency_key makes a retried request return the job it created.
		field.String("idempotency_key").Optional().Nillable().Immutable().MaxRuneLen(200).
			Annotations(entgql.Skip()),
		// input is what the job works on: the import's mapping and file
		// name, the export's columns, the bulk update's action, and the
		// viewer it runs as (an export's and a bulk update's leads are its
		// INPUT file: their seqs as a Roaring bitmap).
		field.JSON("input", json.RawMessage{}).Optional().Immutable().Annotations(entgql.Skip()),
		// state is the runner's resume point (the importer's state).
		field.JSON("state", json.RawMessage{}).Optional().Annotations(entgql.Skip()),
		// input_name is the uploaded file's name.
		field.String("input_name").Optional().Nillable().Immutable().MaxRuneLen(255).
			Annotations(entgql.Skip()),
		// result_name names the result file (JobFile rows of kind RESULT);
		// nil while there is none.
		field.String("result_name").Optional().Nillable().MaxRuneLen(255).
			Annotations(entgql.Skip()),
	}
}

// Edges of the Job.
func (Job) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("created_by", User.Type).Field("created_by_id").Unique().Immutable(),
		edge.To("files", JobFile.Type).
			Annotations(entgql.Skip(), entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Job.
func (Job) Indexes() []ent.Index {
	return []ent.Index{
		// a user's jobs, newest first
		index.Fields("tenant_id", "created_by_id", "created_at"),
		// every job of the workspace, newest first (jobs with job manage)
		index.Fields("tenant_id", "created_at"),
		index.Fields("tenant_id", "idempotency_key").Unique(),
	}
}

// Annotations of the Job: a Node (node(id:) resolves it) with a connection
// type, listed newest first by the jobs query (graph/jobs.graphql).
func (Job) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// JobFile is a piece of a job's file: the uploaded CSV (kind INPUT) or the
// result CSV (kind RESULT), in seq order. Files live in Postgres (bytea), so
// they survive the process and any worker reads them; a result is written
// piece by piece as the job runs.
type JobFile struct{ ent.Schema }

// Mixin of the JobFile.
func (JobFile) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Type: gid.JobFile}, TenantMixin{}}
}

// Fields of the JobFile.
func (JobFile) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("job_id", gidUUID).Immutable(),
		field.Enum("kind").Values("INPUT", "RESULT").Immutable(),
		field.Int("seq").Immutable(),
		field.Bytes("data").Immutable(),
		field.Time("created_at").Immutable(),
	}
}

// Edges of the JobFile.
func (JobFile) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("job", Job.Type).Ref("files").Field("job_id").Unique().Required().Immutable(),
	}
}

// Indexes of the JobFile.
func (JobFile) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "job_id", "kind", "seq").Unique(),
	}
}

// Annotations of the JobFile: internal, not part of the GraphQL API.
func (JobFile) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entsql.Annotation{Table: "job_files"}, entgql.Skip(entgql.SkipAll)}
}
