-- Behaviour events, partitioned by month on occurred_at. Not an ent entity:
-- written and read with set-based SQL by internal/events, which binds
-- tenant_id in every statement. Monthly partitions are created ahead of time
-- by `scrm migrate`/startup and a daily job; the default partition catches
-- anything older (backfills) so an insert never fails for want of one.
CREATE TABLE "events" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL, "lead_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "properties" jsonb NOT NULL DEFAULT '{}', "occurred_at" timestamptz NOT NULL, "received_at" timestamptz NOT NULL DEFAULT now(), "source" character varying(100) NOT NULL DEFAULT '', PRIMARY KEY ("tenant_id", "occurred_at", "id")) PARTITION BY RANGE ("occurred_at");
-- "lead did X since T" and counts per lead in a window.
CREATE INDEX "events_tenant_id_name_occurred_at" ON "events" ("tenant_id", "name", "occurred_at") INCLUDE ("lead_id");
-- A lead's timeline and merges.
CREATE INDEX "events_tenant_id_lead_id_occurred_at" ON "events" ("tenant_id", "lead_id", "occurred_at");
CREATE TABLE "events_default" PARTITION OF "events" DEFAULT;
