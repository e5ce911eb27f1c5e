-- Create "api_keys" table
CREATE TABLE "api_keys" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "prefix" character varying NOT NULL, "secret_hash" bytea NOT NULL, "roles" jsonb NOT NULL, "last_used_at" timestamptz NULL, "revoked_at" timestamptz NULL, "created_by_id" uuid NULL, PRIMARY KEY ("id"));
-- Create index "api_keys_prefix_key" to table: "api_keys"
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys" ("prefix");
-- Create index "apikey_tenant_id_created_at" to table: "api_keys"
CREATE INDEX "apikey_tenant_id_created_at" ON "api_keys" ("tenant_id", "created_at");
-- Create "field_definitions" table
CREATE TABLE "field_definitions" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "entity" character varying NOT NULL DEFAULT 'LEAD', "key" character varying NOT NULL, "label" character varying NOT NULL, "help_text" character varying NOT NULL DEFAULT '', "type" character varying NOT NULL, "required" boolean NOT NULL DEFAULT false, "unique" boolean NOT NULL DEFAULT false, "default_value" jsonb NULL, "options" jsonb NOT NULL, "pattern" character varying NOT NULL DEFAULT '', "min" double precision NULL, "max" double precision NULL, "position" bigint NOT NULL DEFAULT 0, "indexed" boolean NOT NULL DEFAULT false, "index_status" character varying NOT NULL DEFAULT 'NONE', "index_error" character varying NOT NULL DEFAULT '', "archived" boolean NOT NULL DEFAULT false, PRIMARY KEY ("id"));
-- Create index "fielddefinition_tenant_id_entity_key" to table: "field_definitions"
CREATE UNIQUE INDEX "fielddefinition_tenant_id_entity_key" ON "field_definitions" ("tenant_id", "entity", "key");
-- Create "leads" table
CREATE TABLE "leads" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "seq" bigint NOT NULL, "name" character varying NOT NULL DEFAULT '', "phone" character varying NULL, "email" character varying NULL, "union_id" character varying NULL, "open_id" character varying NULL, "external_id" character varying NULL, "company" character varying NOT NULL DEFAULT '', "source" character varying NOT NULL DEFAULT '', "source_detail" character varying NOT NULL DEFAULT '', "status" character varying NOT NULL DEFAULT 'ACTIVE', "score" bigint NOT NULL DEFAULT 0, "tier" character varying NULL, "attributes" jsonb NOT NULL, "merged_into_id" uuid NULL, "claimed_at" timestamptz NULL, "protected_until" timestamptz NULL, "last_follow_up_at" timestamptz NULL, "locked" boolean NOT NULL DEFAULT false, "owner_id" uuid NULL, "pool_id" uuid NULL, "stage_id" uuid NULL, "territory_id" uuid NULL, "partner_id" uuid NULL, PRIMARY KEY ("id"));
-- Create index "lead_tenant_id_created_at" to table: "leads"
CREATE INDEX "lead_tenant_id_created_at" ON "leads" ("tenant_id", "created_at");
-- Create index "lead_tenant_id_email" to table: "leads"
CREATE UNIQUE INDEX "lead_tenant_id_email" ON "leads" ("tenant_id", "email") WHERE (((status)::text = 'ACTIVE'::text) AND (email IS NOT NULL));
-- Create index "lead_tenant_id_external_id" to table: "leads"
CREATE UNIQUE INDEX "lead_tenant_id_external_id" ON "leads" ("tenant_id", "external_id") WHERE (((status)::text = 'ACTIVE'::text) AND (external_id IS NOT NULL));
-- Create index "lead_tenant_id_owner_id" to table: "leads"
CREATE INDEX "lead_tenant_id_owner_id" ON "leads" ("tenant_id", "owner_id");
-- Create index "lead_tenant_id_phone" to table: "leads"
CREATE UNIQUE INDEX "lead_tenant_id_phone" ON "leads" ("tenant_id", "phone") WHERE (((status)::text = 'ACTIVE'::text) AND (phone IS NOT NULL));
-- Create index "lead_tenant_id_pool_id" to table: "leads"
CREATE INDEX "lead_tenant_id_pool_id" ON "leads" ("tenant_id", "pool_id");
-- Create index "lead_tenant_id_seq" to table: "leads"
CREATE UNIQUE INDEX "lead_tenant_id_seq" ON "leads" ("tenant_id", "seq");
-- Create index "lead_tenant_id_stage_id" to table: "leads"
CREATE INDEX "lead_tenant_id_stage_id" ON "leads" ("tenant_id", "stage_id");
-- Create index "lead_tenant_id_territory_id" to table: "leads"
CREATE INDEX "lead_tenant_id_territory_id" ON "leads" ("tenant_id", "territory_id");
-- Create index "lead_tenant_id_union_id" to table: "leads"
CREATE UNIQUE INDEX "lead_tenant_id_union_id" ON "leads" ("tenant_id", "union_id") WHERE (((status)::text = 'ACTIVE'::text) AND (union_id IS NOT NULL));
-- Create "lead_tags" table
CREATE TABLE "lead_tags" ("tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "created_by_id" uuid NULL, "source" character varying NOT NULL DEFAULT 'MANUAL', "lead_id" uuid NOT NULL, "tag_id" uuid NOT NULL, PRIMARY KEY ("lead_id", "tag_id"));
-- Create index "leadtag_tenant_id_tag_id_lead_id" to table: "lead_tags"
CREATE INDEX "leadtag_tenant_id_tag_id_lead_id" ON "lead_tags" ("tenant_id", "tag_id", "lead_id");
-- Create "lost_reasons" table
CREATE TABLE "lost_reasons" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "position" bigint NOT NULL DEFAULT 0, "archived" boolean NOT NULL DEFAULT false, PRIMARY KEY ("id"));
-- Create index "lostreason_tenant_id_name" to table: "lost_reasons"
CREATE UNIQUE INDEX "lostreason_tenant_id_name" ON "lost_reasons" ("tenant_id", "name");
-- Create "partners" table
CREATE TABLE "partners" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "partner_tenant_id_name" to table: "partners"
CREATE UNIQUE INDEX "partner_tenant_id_name" ON "partners" ("tenant_id", "name");
-- Create "pipelines" table
CREATE TABLE "pipelines" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "is_default" boolean NOT NULL DEFAULT false, "position" bigint NOT NULL DEFAULT 0, "archived" boolean NOT NULL DEFAULT false, PRIMARY KEY ("id"));
-- Create index "pipeline_tenant_id" to table: "pipelines"
CREATE UNIQUE INDEX "pipeline_tenant_id" ON "pipelines" ("tenant_id") WHERE is_default;
-- Create index "pipeline_tenant_id_name" to table: "pipelines"
CREATE UNIQUE INDEX "pipeline_tenant_id_name" ON "pipelines" ("tenant_id", "name");
-- Create "pools" table
CREATE TABLE "pools" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "is_default" boolean NOT NULL DEFAULT false, "recycle_no_follow_up_days" bigint NULL, "recycle_no_deal_days" bigint NULL, "remind_before_days" bigint NULL, "cooldown_days" bigint NOT NULL DEFAULT 0, "protection_days" bigint NOT NULL DEFAULT 0, "daily_claim_limit" bigint NULL, PRIMARY KEY ("id"));
-- Create index "pool_tenant_id_name" to table: "pools"
CREATE UNIQUE INDEX "pool_tenant_id_name" ON "pools" ("tenant_id", "name");
-- Create "stages" table
CREATE TABLE "stages" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "key" character varying NOT NULL, "name" character varying NOT NULL, "position" bigint NOT NULL DEFAULT 0, "kind" character varying NOT NULL DEFAULT 'OPEN', "probability" bigint NOT NULL DEFAULT 0, "rot_days" bigint NULL, "funnel_step" character varying NULL, "color" character varying NOT NULL DEFAULT '', "archived" boolean NOT NULL DEFAULT false, "pipeline_id" uuid NOT NULL, PRIMARY KEY ("id"));
-- Create index "stage_tenant_id_pipeline_id_key" to table: "stages"
CREATE UNIQUE INDEX "stage_tenant_id_pipeline_id_key" ON "stages" ("tenant_id", "pipeline_id", "key");
-- Create "stage_changes" table
CREATE TABLE "stage_changes" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "reason" character varying NOT NULL DEFAULT '', "at" timestamptz NOT NULL, "lead_id" uuid NOT NULL, "from_id" uuid NULL, "to_id" uuid NOT NULL, "actor_id" uuid NULL, "lost_reason_id" uuid NULL, PRIMARY KEY ("id"));
-- Create index "stagechange_tenant_id_lead_id_at" to table: "stage_changes"
CREATE INDEX "stagechange_tenant_id_lead_id_at" ON "stage_changes" ("tenant_id", "lead_id", "at");
-- Create index "stagechange_tenant_id_to_id_at" to table: "stage_changes"
CREATE INDEX "stagechange_tenant_id_to_id_at" ON "stage_changes" ("tenant_id", "to_id", "at");
-- Create "tags" table
CREATE TABLE "tags" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "color" character varying NOT NULL DEFAULT '', "group_id" uuid NULL, PRIMARY KEY ("id"));
-- Create index "tag_tenant_id_group_id_name" to table: "tags"
CREATE UNIQUE INDEX "tag_tenant_id_group_id_name" ON "tags" ("tenant_id", "group_id", "name");
-- Create "tag_groups" table
CREATE TABLE "tag_groups" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "exclusive" boolean NOT NULL DEFAULT false, "position" bigint NOT NULL DEFAULT 0, PRIMARY KEY ("id"));
-- Create index "taggroup_tenant_id_name" to table: "tag_groups"
CREATE UNIQUE INDEX "taggroup_tenant_id_name" ON "tag_groups" ("tenant_id", "name");
-- Create "teams" table
CREATE TABLE "teams" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "pool_teams" uuid NULL, "manager_id" uuid NULL, PRIMARY KEY ("id"));
-- Create index "team_tenant_id_name" to table: "teams"
CREATE UNIQUE INDEX "team_tenant_id_name" ON "teams" ("tenant_id", "name");
-- Create "territories" table
CREATE TABLE "territories" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "path" character varying NOT NULL DEFAULT '', "pool_territories" uuid NULL, "parent_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "territories_territories_children" FOREIGN KEY ("parent_id") REFERENCES "territories" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "territory_tenant_id_parent_id_name" to table: "territories"
CREATE UNIQUE INDEX "territory_tenant_id_parent_id_name" ON "territories" ("tenant_id", "parent_id", "name");
-- Create index "territory_tenant_id_path" to table: "territories"
CREATE INDEX "territory_tenant_id_path" ON "territories" ("tenant_id", "path");
-- Create "users" table
CREATE TABLE "users" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "email" character varying NOT NULL, "password_hash" character varying NOT NULL, "roles" jsonb NOT NULL, "capacity" bigint NOT NULL DEFAULT 500, "daily_claim_limit" bigint NOT NULL DEFAULT 50, "active" boolean NOT NULL DEFAULT true, "last_login_at" timestamptz NULL, "partner_id" uuid NULL, "team_id" uuid NULL, PRIMARY KEY ("id"));
-- Create index "user_tenant_id_email" to table: "users"
CREATE UNIQUE INDEX "user_tenant_id_email" ON "users" ("tenant_id", "email");
-- Create index "user_tenant_id_team_id" to table: "users"
CREATE INDEX "user_tenant_id_team_id" ON "users" ("tenant_id", "team_id");
-- Create "workspaces" table
CREATE TABLE "workspaces" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "slug" character varying NOT NULL, "name" character varying NOT NULL, "settings" jsonb NOT NULL, "lead_seq" bigint NOT NULL DEFAULT 0, "schema_version" bigint NOT NULL DEFAULT 0, PRIMARY KEY ("id"));
-- Create index "workspaces_slug_key" to table: "workspaces"
CREATE UNIQUE INDEX "workspaces_slug_key" ON "workspaces" ("slug");
-- Create "partner_territories" table
CREATE TABLE "partner_territories" ("partner_id" uuid NOT NULL, "territory_id" uuid NOT NULL, PRIMARY KEY ("partner_id", "territory_id"));
-- Create "user_territories" table
CREATE TABLE "user_territories" ("user_id" uuid NOT NULL, "territory_id" uuid NOT NULL, PRIMARY KEY ("user_id", "territory_id"));
-- Modify "api_keys" table
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_users_created_by" FOREIGN KEY ("created_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "leads" table
ALTER TABLE "leads" ADD CONSTRAINT "leads_partners_partner" FOREIGN KEY ("partner_id") REFERENCES "partners" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "leads_pools_pool" FOREIGN KEY ("pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "leads_stages_stage" FOREIGN KEY ("stage_id") REFERENCES "stages" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "leads_territories_territory" FOREIGN KEY ("territory_id") REFERENCES "territories" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "leads_users_owner" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "lead_tags" table
ALTER TABLE "lead_tags" ADD CONSTRAINT "lead_tags_leads_lead" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "lead_tags_tags_tag" FOREIGN KEY ("tag_id") REFERENCES "tags" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "stages" table
ALTER TABLE "stages" ADD CONSTRAINT "stages_pipelines_stages" FOREIGN KEY ("pipeline_id") REFERENCES "pipelines" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- Modify "stage_changes" table
ALTER TABLE "stage_changes" ADD CONSTRAINT "stage_changes_leads_stage_changes" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "stage_changes_lost_reasons_lost_reason" FOREIGN KEY ("lost_reason_id") REFERENCES "lost_reasons" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "stage_changes_stages_from" FOREIGN KEY ("from_id") REFERENCES "stages" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "stage_changes_stages_to" FOREIGN KEY ("to_id") REFERENCES "stages" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "stage_changes_users_actor" FOREIGN KEY ("actor_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "tags" table
ALTER TABLE "tags" ADD CONSTRAINT "tags_tag_groups_tags" FOREIGN KEY ("group_id") REFERENCES "tag_groups" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "teams" table
ALTER TABLE "teams" ADD CONSTRAINT "teams_pools_teams" FOREIGN KEY ("pool_teams") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "teams_users_manager" FOREIGN KEY ("manager_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "territories" table
ALTER TABLE "territories" ADD CONSTRAINT "territories_pools_territories" FOREIGN KEY ("pool_territories") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "users" table
ALTER TABLE "users" ADD CONSTRAINT "users_partners_users" FOREIGN KEY ("partner_id") REFERENCES "partners" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "users_teams_members" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "partner_territories" table
ALTER TABLE "partner_territories" ADD CONSTRAINT "partner_territories_partner_id" FOREIGN KEY ("partner_id") REFERENCES "partners" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "partner_territories_territory_id" FOREIGN KEY ("territory_id") REFERENCES "territories" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "user_territories" table
ALTER TABLE "user_territories" ADD CONSTRAINT "user_territories_territory_id" FOREIGN KEY ("territory_id") REFERENCES "territories" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "user_territories_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
