-- Modify "leads" table
ALTER TABLE "leads" ADD COLUMN "reachable" jsonb NOT NULL DEFAULT '[]', ADD COLUMN "referrer_id" uuid NULL, ADD CONSTRAINT "leads_leads_referrals" FOREIGN KEY ("referrer_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Existing rows got [] above; new rows always name their channels.
ALTER TABLE "leads" ALTER COLUMN "reachable" DROP DEFAULT;
-- Create "ingest_batches" table
CREATE TABLE "ingest_batches" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "key" character varying NOT NULL, "request_hash" character varying NOT NULL, "response" jsonb NULL, "rows" bigint NOT NULL DEFAULT 0, "created_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "ingestbatch_tenant_id_created_at" to table: "ingest_batches"
CREATE INDEX "ingestbatch_tenant_id_created_at" ON "ingest_batches" ("tenant_id", "created_at");
-- Create index "ingestbatch_tenant_id_key" to table: "ingest_batches"
CREATE UNIQUE INDEX "ingestbatch_tenant_id_key" ON "ingest_batches" ("tenant_id", "key");
-- Create "deals" table
CREATE TABLE "deals" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "amount" numeric(18,2) NOT NULL, "currency" character varying NOT NULL DEFAULT 'CNY', "closed_at" timestamptz NOT NULL, "created_by_id" uuid NULL, "owner_id" uuid NULL, "lead_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "deals_leads_deals" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "deals_users_owner" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "deal_tenant_id_closed_at" to table: "deals"
CREATE INDEX "deal_tenant_id_closed_at" ON "deals" ("tenant_id", "closed_at");
-- Create index "deal_tenant_id_lead_id_closed_at" to table: "deals"
CREATE INDEX "deal_tenant_id_lead_id_closed_at" ON "deals" ("tenant_id", "lead_id", "closed_at");
-- Create index "deal_tenant_id_owner_id_closed_at" to table: "deals"
CREATE INDEX "deal_tenant_id_owner_id_closed_at" ON "deals" ("tenant_id", "owner_id", "closed_at");
-- Create "follow_ups" table
CREATE TABLE "follow_ups" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "content" character varying NOT NULL DEFAULT '', "outcome" character varying NULL, "next_follow_up_at" timestamptz NULL, "author_id" uuid NULL, "lead_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "follow_ups_leads_follow_ups" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "follow_ups_users_author" FOREIGN KEY ("author_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "followup_tenant_id_author_id_created_at" to table: "follow_ups"
CREATE INDEX "followup_tenant_id_author_id_created_at" ON "follow_ups" ("tenant_id", "author_id", "created_at");
-- Create index "followup_tenant_id_lead_id_created_at" to table: "follow_ups"
CREATE INDEX "followup_tenant_id_lead_id_created_at" ON "follow_ups" ("tenant_id", "lead_id", "created_at");
-- Create "notifications" table
CREATE TABLE "notifications" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "kind" character varying NOT NULL, "message" character varying NOT NULL, "created_at" timestamptz NOT NULL, "delivered_at" timestamptz NULL, "read_at" timestamptz NULL, "user_id" uuid NOT NULL, "lead_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "notifications_leads_lead" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "notifications_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "notification_tenant_id_user_id_created_at" to table: "notifications"
CREATE INDEX "notification_tenant_id_user_id_created_at" ON "notifications" ("tenant_id", "user_id", "created_at");
-- Create "source_touches" table
CREATE TABLE "source_touches" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "source" character varying NOT NULL DEFAULT '', "source_detail" character varying NOT NULL DEFAULT '', "external_id" character varying NULL, "duplicate" boolean NOT NULL DEFAULT false, "at" timestamptz NOT NULL, "lead_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "source_touches_leads_touches" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "sourcetouch_tenant_id_lead_id_at" to table: "source_touches"
CREATE INDEX "sourcetouch_tenant_id_lead_id_at" ON "source_touches" ("tenant_id", "lead_id", "at");
-- Create index "sourcetouch_tenant_id_source_at" to table: "source_touches"
CREATE INDEX "sourcetouch_tenant_id_source_at" ON "source_touches" ("tenant_id", "source", "at");
