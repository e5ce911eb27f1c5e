-- Create "contact_ways" table
CREATE TABLE "contact_ways" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "state" character varying NOT NULL, "config_id" character varying NOT NULL, "qr_code_url" character varying NOT NULL, "user_ids" jsonb NOT NULL, "strategy" character varying NOT NULL DEFAULT 'FIXED', "source" character varying NOT NULL DEFAULT 'wecom', "tag_ids" jsonb NULL, "welcome_message" character varying NOT NULL DEFAULT '', "skip_verify" boolean NOT NULL DEFAULT true, "pool_id" uuid NULL, "rr_next" bigint NOT NULL DEFAULT 0, "created_by_id" uuid NULL, PRIMARY KEY ("id", "tenant_id"));
-- Create index "contactway_tenant_id_state" to table: "contact_ways"
CREATE UNIQUE INDEX "contactway_tenant_id_state" ON "contact_ways" ("tenant_id", "state");
-- Create "contact_way_adds" table
CREATE TABLE "contact_way_adds" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "user_id" uuid NOT NULL, "external_user_id" character varying NOT NULL, "lead_id" uuid NULL, "outcome" character varying NOT NULL, "added_at" timestamptz NOT NULL, "welcome_code" character varying NOT NULL DEFAULT '', "welcome_status" character varying NOT NULL DEFAULT 'NONE', "welcome_error" character varying NULL, "welcome_sent_at" timestamptz NULL, "contact_way_id" uuid NOT NULL, PRIMARY KEY ("id", "tenant_id"), CONSTRAINT "contact_way_adds_contact_ways_adds" FOREIGN KEY ("tenant_id", "contact_way_id") REFERENCES "contact_ways" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "contactwayadd_tenant_id_contact_way_id_added_at" to table: "contact_way_adds"
CREATE INDEX "contactwayadd_tenant_id_contact_way_id_added_at" ON "contact_way_adds" ("tenant_id", "contact_way_id", "added_at");
-- Create index "contactwayadd_tenant_id_lead_id" to table: "contact_way_adds"
CREATE INDEX "contactwayadd_tenant_id_lead_id" ON "contact_way_adds" ("tenant_id", "lead_id");
