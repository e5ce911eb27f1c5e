-- Create "jobs" table
CREATE TABLE "jobs" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'QUEUED', "total" bigint NOT NULL DEFAULT 0, "done" bigint NOT NULL DEFAULT 0, "failed" bigint NOT NULL DEFAULT 0, "error" character varying NULL, "started_at" timestamptz NULL, "finished_at" timestamptz NULL, "idempotency_key" character varying NULL, "input" jsonb NULL, "state" jsonb NULL, "input_name" character varying NULL, "result_name" character varying NULL, "created_by_id" uuid NULL, PRIMARY KEY ("id", "tenant_id"), CONSTRAINT "jobs_users_created_by" FOREIGN KEY ("tenant_id", "created_by_id") REFERENCES "users" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE SET NULL (created_by_id));
-- Create index "job_tenant_id_created_by_id_created_at" to table: "jobs"
CREATE INDEX "job_tenant_id_created_by_id_created_at" ON "jobs" ("tenant_id", "created_by_id", "created_at");
-- Create index "job_tenant_id_idempotency_key" to table: "jobs"
CREATE UNIQUE INDEX "job_tenant_id_idempotency_key" ON "jobs" ("tenant_id", "idempotency_key");
-- Create "job_files" table
CREATE TABLE "job_files" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "kind" character varying NOT NULL, "seq" bigint NOT NULL, "data" bytea NOT NULL, "created_at" timestamptz NOT NULL, "job_id" uuid NOT NULL, PRIMARY KEY ("id", "tenant_id"), CONSTRAINT "job_files_jobs_files" FOREIGN KEY ("tenant_id", "job_id") REFERENCES "jobs" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "jobfile_tenant_id_job_id_kind_seq" to table: "job_files"
CREATE UNIQUE INDEX "jobfile_tenant_id_job_id_kind_seq" ON "job_files" ("tenant_id", "job_id", "kind", "seq");
