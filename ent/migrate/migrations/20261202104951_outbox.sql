-- Create "outbox_tasks" table
CREATE TABLE "outbox_tasks" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "task_type" character varying NOT NULL, "payload" bytea NULL, "queue" character varying NOT NULL DEFAULT 'default', "task_id" character varying NULL, "max_retry" bigint NULL, "timeout_seconds" bigint NULL, "retention_seconds" bigint NULL, "process_at" timestamptz NULL, "created_at" timestamptz NOT NULL, "sent_at" timestamptz NULL, "attempts" bigint NOT NULL DEFAULT 0, "last_error" character varying NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- Create index "outbox_tasks_unsent" to table: "outbox_tasks"
CREATE INDEX "outbox_tasks_unsent" ON "outbox_tasks" ("created_at") WHERE (sent_at IS NULL);
