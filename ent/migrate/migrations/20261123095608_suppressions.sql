-- Create "suppressions" table
CREATE TABLE "suppressions" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "phone" character varying NULL, "email" character varying NULL, "reason" character varying NOT NULL DEFAULT '', "until" timestamptz NULL, "created_by_id" uuid NULL, "lead_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "suppressions_leads_lead" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "suppression_tenant_id_email" to table: "suppressions"
CREATE INDEX "suppression_tenant_id_email" ON "suppressions" ("tenant_id", "email");
-- Create index "suppression_tenant_id_lead_id" to table: "suppressions"
CREATE INDEX "suppression_tenant_id_lead_id" ON "suppressions" ("tenant_id", "lead_id");
-- Create index "suppression_tenant_id_phone" to table: "suppressions"
CREATE INDEX "suppression_tenant_id_phone" ON "suppressions" ("tenant_id", "phone");
