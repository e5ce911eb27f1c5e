-- Drop index "lead_active_company_name" from table: "leads"
DROP INDEX "lead_active_company_name";
-- Create index "lead_active_company_name" to table: "leads"
CREATE INDEX "lead_active_company_name" ON "leads" ("tenant_id", (lower(btrim((company)::text))), (lower(btrim((name)::text)))) INCLUDE ("company", "name", "created_at", "id") WHERE (((status)::text = 'ACTIVE'::text) AND ((company)::text <> ''::text) AND ((name)::text <> ''::text));
-- Create "duplicate_dismissals" table
CREATE TABLE "duplicate_dismissals" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "kind" character varying NOT NULL, "key_hash" bytea NOT NULL, "lead_ids" uuid[] NOT NULL, "dismissed_by" uuid NULL, "dismissed_at" timestamptz NOT NULL, PRIMARY KEY ("id", "tenant_id"));
-- Create index "duplicatedismissal_tenant_id_kind_key_hash_lead_ids" to table: "duplicate_dismissals"
CREATE UNIQUE INDEX "duplicatedismissal_tenant_id_kind_key_hash_lead_ids" ON "duplicate_dismissals" ("tenant_id", "kind", "key_hash", "lead_ids");
