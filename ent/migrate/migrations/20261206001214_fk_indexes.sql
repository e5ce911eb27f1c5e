-- Create index "job_tenant_id_created_at" to table: "jobs"
CREATE INDEX "job_tenant_id_created_at" ON "jobs" ("tenant_id", "created_at");
-- Create index "ownerchange_tenant_id_rule_id" to table: "owner_changes"
CREATE INDEX "ownerchange_tenant_id_rule_id" ON "owner_changes" ("tenant_id", "rule_id") WHERE (rule_id IS NOT NULL);
