-- Drop index "lead_tenant_id_created_at" from table: "leads"
DROP INDEX "lead_tenant_id_created_at";
-- Create index "lead_tenant_id_created_at_id" to table: "leads"
CREATE INDEX "lead_tenant_id_created_at_id" ON "leads" ("tenant_id", "created_at", "id") INCLUDE ("status");
