-- Modify "wecom_group_msgs" table
ALTER TABLE "wecom_group_msgs" ADD COLUMN "reminded_at" jsonb NULL;
