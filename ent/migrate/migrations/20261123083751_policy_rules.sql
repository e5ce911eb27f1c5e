-- Create "audit_logs" table
CREATE TABLE "audit_logs" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "at" timestamptz NOT NULL, "actor_id" uuid NULL, "api_key_id" uuid NULL, "action" character varying NOT NULL, "detail" jsonb NOT NULL, PRIMARY KEY ("id"));
-- Create index "auditlog_tenant_id_at" to table: "audit_logs"
CREATE INDEX "auditlog_tenant_id_at" ON "audit_logs" ("tenant_id", "at");
-- Create "policy_rules" table
CREATE TABLE "policy_rules" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "role" character varying NOT NULL, "resource" character varying NOT NULL, "action" character varying NOT NULL, "effect" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create index "policyrule_tenant_id_role_resource_action" to table: "policy_rules"
CREATE UNIQUE INDEX "policyrule_tenant_id_role_resource_action" ON "policy_rules" ("tenant_id", "role", "resource", "action");
