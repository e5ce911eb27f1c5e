-- Create index "stagechange_tenant_id_from_id" to table: "stage_changes"
CREATE INDEX "stagechange_tenant_id_from_id" ON "stage_changes" ("tenant_id", "from_id");
-- Drop index "tag_tenant_id_group_id_name" from table: "tags"
DROP INDEX "tag_tenant_id_group_id_name";
-- Create index "tag_tenant_id_group_id" to table: "tags"
CREATE INDEX "tag_tenant_id_group_id" ON "tags" ("tenant_id", "group_id");
-- Create index "tag_tenant_id_name" to table: "tags"
CREATE UNIQUE INDEX "tag_tenant_id_name" ON "tags" ("tenant_id", "name");
