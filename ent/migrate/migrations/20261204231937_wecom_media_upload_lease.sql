-- Modify "wecom_media" table
ALTER TABLE "wecom_media" ADD COLUMN "upload_lease" uuid NULL, ADD COLUMN "upload_lease_until" timestamptz NULL, ADD COLUMN "upload_error_code" bigint NULL, ADD COLUMN "upload_error_message" character varying NULL, ADD COLUMN "upload_failed_at" timestamptz NULL;
