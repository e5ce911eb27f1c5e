-- Modify "deals" table
ALTER TABLE "deals" ADD COLUMN "repurchase" boolean NOT NULL DEFAULT false;
-- Create index "pool_tenant_id" to table: "pools"
CREATE UNIQUE INDEX "pool_tenant_id" ON "pools" ("tenant_id") WHERE is_default;
-- Create "score_hits" table
CREATE TABLE "score_hits" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "lead_id" uuid NOT NULL, "rule_id" uuid NOT NULL, "matched_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "scorehit_tenant_id_lead_id_rule_id" to table: "score_hits"
CREATE UNIQUE INDEX "scorehit_tenant_id_lead_id_rule_id" ON "score_hits" ("tenant_id", "lead_id", "rule_id");
-- Create index "scorehit_tenant_id_rule_id" to table: "score_hits"
CREATE INDEX "scorehit_tenant_id_rule_id" ON "score_hits" ("tenant_id", "rule_id");
-- Create "scoring_rules" table
CREATE TABLE "scoring_rules" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "condition" character varying NOT NULL, "points" bigint NOT NULL, "decay_days" bigint NULL, "enabled" boolean NOT NULL DEFAULT true, PRIMARY KEY ("id"));
-- Create index "scoringrule_tenant_id_name" to table: "scoring_rules"
CREATE UNIQUE INDEX "scoringrule_tenant_id_name" ON "scoring_rules" ("tenant_id", "name");
-- Create "assignment_rules" table
CREATE TABLE "assignment_rules" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "priority" bigint NOT NULL DEFAULT 100, "condition" character varying NOT NULL DEFAULT '', "strategy" character varying NOT NULL, "daily_cap" bigint NULL, "enabled" boolean NOT NULL DEFAULT true, "cursor" bigint NOT NULL DEFAULT 0, "fallback_pool_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "assignment_rules_pools_fallback_pool" FOREIGN KEY ("fallback_pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "assignmentrule_tenant_id_name" to table: "assignment_rules"
CREATE UNIQUE INDEX "assignmentrule_tenant_id_name" ON "assignment_rules" ("tenant_id", "name");
-- Create "assignment_targets" table
CREATE TABLE "assignment_targets" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "weight" bigint NOT NULL DEFAULT 1, "current" bigint NOT NULL DEFAULT 0, "rule_id" uuid NOT NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "assignment_targets_assignment_rules_targets" FOREIGN KEY ("rule_id") REFERENCES "assignment_rules" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "assignment_targets_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "assignmenttarget_tenant_id_rule_id_user_id" to table: "assignment_targets"
CREATE UNIQUE INDEX "assignmenttarget_tenant_id_rule_id_user_id" ON "assignment_targets" ("tenant_id", "rule_id", "user_id");
-- Create "owner_changes" table
CREATE TABLE "owner_changes" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "kind" character varying NOT NULL, "by" character varying NOT NULL, "reason" character varying NOT NULL DEFAULT '', "at" timestamptz NOT NULL, "lead_id" uuid NOT NULL, "from_user_id" uuid NULL, "to_user_id" uuid NULL, "pool_id" uuid NULL, "actor_id" uuid NULL, "rule_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "owner_changes_assignment_rules_rule" FOREIGN KEY ("rule_id") REFERENCES "assignment_rules" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "owner_changes_leads_owner_changes" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "owner_changes_pools_pool" FOREIGN KEY ("pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "owner_changes_users_actor" FOREIGN KEY ("actor_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "owner_changes_users_from_user" FOREIGN KEY ("from_user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "owner_changes_users_to_user" FOREIGN KEY ("to_user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "ownerchange_tenant_id_lead_id_at" to table: "owner_changes"
CREATE INDEX "ownerchange_tenant_id_lead_id_at" ON "owner_changes" ("tenant_id", "lead_id", "at");
-- Create index "ownerchange_tenant_id_to_user_id_at" to table: "owner_changes"
CREATE INDEX "ownerchange_tenant_id_to_user_id_at" ON "owner_changes" ("tenant_id", "to_user_id", "at");
-- Create "pool_admins" table
CREATE TABLE "pool_admins" ("pool_id" uuid NOT NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("pool_id", "user_id"), CONSTRAINT "pool_admins_pool_id" FOREIGN KEY ("pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "pool_admins_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
