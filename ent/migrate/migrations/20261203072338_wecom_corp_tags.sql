-- Modify "tag_groups" table
ALTER TABLE "tag_groups" ADD COLUMN "wecom_group_id" character varying NULL;
-- Create index "taggroup_tenant_id_wecom_group_id" to table: "tag_groups"
CREATE UNIQUE INDEX "taggroup_tenant_id_wecom_group_id" ON "tag_groups" ("tenant_id", "wecom_group_id");
-- Modify "tags" table
ALTER TABLE "tags" ADD COLUMN "wecom_tag_id" character varying NULL;
-- Create index "tag_tenant_id_wecom_tag_id" to table: "tags"
CREATE UNIQUE INDEX "tag_tenant_id_wecom_tag_id" ON "tags" ("tenant_id", "wecom_tag_id");
