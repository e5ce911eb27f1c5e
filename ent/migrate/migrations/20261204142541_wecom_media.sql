-- Create "wecom_media" table
CREATE TABLE "wecom_media" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "type" character varying NOT NULL, "filename" character varying NOT NULL, "size" bigint NOT NULL, "data" bytea NOT NULL, "media_id" character varying NULL, "media_uploaded_at" timestamptz NULL, PRIMARY KEY ("id", "tenant_id"));
-- Create index "wecommedia_tenant_id_created_at" to table: "wecom_media"
CREATE INDEX "wecommedia_tenant_id_created_at" ON "wecom_media" ("tenant_id", "created_at");
