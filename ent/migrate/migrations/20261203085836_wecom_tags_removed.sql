-- Modify "tag_groups" table
ALTER TABLE "tag_groups" ADD COLUMN "wecom_removed_at" timestamptz NULL;
-- Modify "tags" table
ALTER TABLE "tags" ADD COLUMN "wecom_removed_at" timestamptz NULL;
