-- Create index "lead_active_company_name" to table: "leads"
CREATE INDEX "lead_active_company_name" ON "leads" ("tenant_id", "company", "name") INCLUDE ("created_at", "id") WHERE (((status)::text = 'ACTIVE'::text) AND ((company)::text <> ''::text) AND ((name)::text <> ''::text));
-- Create index "lead_archived_email" to table: "leads"
CREATE INDEX "lead_archived_email" ON "leads" ("tenant_id", "email") WHERE (((status)::text = 'ARCHIVED'::text) AND (email IS NOT NULL));
-- Create index "lead_archived_phone" to table: "leads"
CREATE INDEX "lead_archived_phone" ON "leads" ("tenant_id", "phone") WHERE (((status)::text = 'ARCHIVED'::text) AND (phone IS NOT NULL));
