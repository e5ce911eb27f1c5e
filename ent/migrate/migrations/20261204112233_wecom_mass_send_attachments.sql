-- Modify "broadcasts" table
ALTER TABLE "broadcasts" ADD COLUMN "attachments" jsonb NULL;
-- Create "wecom_upload_days" table
CREATE TABLE "wecom_upload_days" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "day" date NOT NULL, "uploads" bigint NOT NULL, PRIMARY KEY ("id", "tenant_id"));
-- Create index "wecomuploadday_tenant_id_day" to table: "wecom_upload_days"
CREATE UNIQUE INDEX "wecomuploadday_tenant_id_day" ON "wecom_upload_days" ("tenant_id", "day");
