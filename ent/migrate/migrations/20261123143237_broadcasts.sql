-- Create "channels" table
CREATE TABLE "channels" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "key" character varying NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "config" jsonb NOT NULL, "secrets" bytea NULL, PRIMARY KEY ("id"));
-- Create index "channel_tenant_id_key" to table: "channels"
CREATE UNIQUE INDEX "channel_tenant_id_key" ON "channels" ("tenant_id", "key");
-- Create "broadcasts" table
CREATE TABLE "broadcasts" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "channel" character varying NOT NULL, "subject" character varying NOT NULL DEFAULT '', "template" text NOT NULL, "status" character varying NOT NULL DEFAULT 'SCHEDULED', "scheduled_at" timestamptz NOT NULL, "started_at" timestamptz NULL, "finished_at" timestamptz NULL, "cap_max" bigint NULL, "cap_days" bigint NULL, "quiet_start" character varying NULL, "quiet_end" character varying NULL, "quiet_timezone" character varying NULL, "rate_per_second" bigint NOT NULL DEFAULT 50, "cron" character varying NOT NULL DEFAULT '', "series_id" uuid NULL, "error" character varying NULL, "segment_id" uuid NOT NULL, "created_by_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "broadcasts_segments_segment" FOREIGN KEY ("segment_id") REFERENCES "segments" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "broadcasts_users_created_by" FOREIGN KEY ("created_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "broadcast_tenant_id_segment_id" to table: "broadcasts"
CREATE INDEX "broadcast_tenant_id_segment_id" ON "broadcasts" ("tenant_id", "segment_id");
-- Create index "broadcast_tenant_id_status" to table: "broadcasts"
CREATE INDEX "broadcast_tenant_id_status" ON "broadcasts" ("tenant_id", "status");
-- Create "deliveries" table
CREATE TABLE "deliveries" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "provider_message_id" character varying NULL, "attempts" bigint NOT NULL DEFAULT 0, "claimed_at" timestamptz NULL, "sent_at" timestamptz NULL, "delivered_at" timestamptz NULL, "replied_at" timestamptz NULL, "reply" character varying NULL, "error" character varying NULL, "broadcast_id" uuid NOT NULL, "lead_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "deliveries_broadcasts_deliveries" FOREIGN KEY ("broadcast_id") REFERENCES "broadcasts" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "deliveries_leads_lead" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "delivery_tenant_id_broadcast_id_lead_id" to table: "deliveries"
CREATE UNIQUE INDEX "delivery_tenant_id_broadcast_id_lead_id" ON "deliveries" ("tenant_id", "broadcast_id", "lead_id");
-- Create index "delivery_tenant_id_broadcast_id_status" to table: "deliveries"
CREATE INDEX "delivery_tenant_id_broadcast_id_status" ON "deliveries" ("tenant_id", "broadcast_id", "status");
-- Create index "delivery_tenant_id_lead_id_sent_at" to table: "deliveries"
CREATE INDEX "delivery_tenant_id_lead_id_sent_at" ON "deliveries" ("tenant_id", "lead_id", "sent_at") WHERE (sent_at IS NOT NULL);
-- Create index "delivery_tenant_id_provider_message_id" to table: "deliveries"
CREATE INDEX "delivery_tenant_id_provider_message_id" ON "deliveries" ("tenant_id", "provider_message_id") WHERE (provider_message_id IS NOT NULL);
