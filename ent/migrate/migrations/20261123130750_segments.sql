-- Create "segments" table
CREATE TABLE "segments" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "description" text NOT NULL DEFAULT '', "kind" character varying NOT NULL DEFAULT 'DYNAMIC', "rule" jsonb NOT NULL, "refresh_every_minutes" bigint NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "error" character varying NULL, "version_id" uuid NULL, "member_count" bigint NOT NULL DEFAULT 0, "computed_at" timestamptz NULL, "next_refresh_at" timestamptz NULL, "depends_on" jsonb NOT NULL, "created_by_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "segments_users_created_by" FOREIGN KEY ("created_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "segment_next_refresh_at" to table: "segments"
CREATE INDEX "segment_next_refresh_at" ON "segments" ("next_refresh_at");
-- Create index "segment_tenant_id_name" to table: "segments"
CREATE UNIQUE INDEX "segment_tenant_id_name" ON "segments" ("tenant_id", "name");
-- Create "segment_versions" table
CREATE TABLE "segment_versions" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "version" bigint NOT NULL, "status" character varying NOT NULL DEFAULT 'COMPUTING', "members" bytea NULL, "member_count" bigint NOT NULL DEFAULT 0, "error" character varying NULL, "started_at" timestamptz NOT NULL, "finished_at" timestamptz NULL, "segment_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "segment_versions_segments_versions" FOREIGN KEY ("segment_id") REFERENCES "segments" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "segmentversion_tenant_id_segment_id_version" to table: "segment_versions"
CREATE UNIQUE INDEX "segmentversion_tenant_id_segment_id_version" ON "segment_versions" ("tenant_id", "segment_id", "version");
