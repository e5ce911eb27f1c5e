-- Create "wecom_callbacks" table
CREATE TABLE "wecom_callbacks" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "signature" character varying NOT NULL, "received_at" timestamptz NOT NULL, PRIMARY KEY ("id", "tenant_id"));
-- Create index "wecomcallback_tenant_id_received_at" to table: "wecom_callbacks"
CREATE INDEX "wecomcallback_tenant_id_received_at" ON "wecom_callbacks" ("tenant_id", "received_at");
-- Create index "wecomcallback_tenant_id_signature" to table: "wecom_callbacks"
CREATE UNIQUE INDEX "wecomcallback_tenant_id_signature" ON "wecom_callbacks" ("tenant_id", "signature");
-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "wecom_user_id" character varying NULL;
-- Create index "user_tenant_id_wecom_user_id" to table: "users"
CREATE UNIQUE INDEX "user_tenant_id_wecom_user_id" ON "users" ("tenant_id", "wecom_user_id");
-- Create "wecom_contacts" table
CREATE TABLE "wecom_contacts" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "external_user_id" character varying NOT NULL, "state" character varying NOT NULL DEFAULT '', "added_at" timestamptz NOT NULL, "lost_at" timestamptz NULL, "removed_at" timestamptz NULL, "lead_id" uuid NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id", "tenant_id"), CONSTRAINT "wecom_contacts_leads_wecom_contacts" FOREIGN KEY ("tenant_id", "lead_id") REFERENCES "leads" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE SET NULL (lead_id), CONSTRAINT "wecom_contacts_users_user" FOREIGN KEY ("tenant_id", "user_id") REFERENCES "users" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "wecomcontact_tenant_id_external_user_id" to table: "wecom_contacts"
CREATE INDEX "wecomcontact_tenant_id_external_user_id" ON "wecom_contacts" ("tenant_id", "external_user_id");
-- Create index "wecomcontact_tenant_id_lead_id" to table: "wecom_contacts"
CREATE INDEX "wecomcontact_tenant_id_lead_id" ON "wecom_contacts" ("tenant_id", "lead_id");
-- Create index "wecomcontact_tenant_id_user_id_external_user_id" to table: "wecom_contacts"
CREATE UNIQUE INDEX "wecomcontact_tenant_id_user_id_external_user_id" ON "wecom_contacts" ("tenant_id", "user_id", "external_user_id");
