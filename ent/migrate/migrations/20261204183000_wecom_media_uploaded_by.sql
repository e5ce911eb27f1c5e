-- Modify "wecom_media" table
ALTER TABLE "wecom_media" ADD COLUMN "uploaded_by_id" uuid NULL, ADD CONSTRAINT "wecom_media_users_uploaded_by" FOREIGN KEY ("tenant_id", "uploaded_by_id") REFERENCES "users" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE SET NULL (uploaded_by_id);
