-- Modify "leads" table
ALTER TABLE "leads" ADD COLUMN "wecom_external_user_id" character varying NULL;
-- Create index "lead_tenant_id_wecom_external_user_id" to table: "leads"
CREATE UNIQUE INDEX "lead_tenant_id_wecom_external_user_id" ON "leads" ("tenant_id", "wecom_external_user_id") WHERE (((status)::text = 'ACTIVE'::text) AND (wecom_external_user_id IS NOT NULL));
