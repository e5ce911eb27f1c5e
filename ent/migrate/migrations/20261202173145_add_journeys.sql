-- Create "journeys" table
CREATE TABLE "journeys" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'DRAFT', "version" bigint NOT NULL DEFAULT 1, "version_id" uuid NULL, "trigger" jsonb NOT NULL, "trigger_kind" character varying NOT NULL, "trigger_key" character varying NOT NULL DEFAULT '', "reentry" boolean NOT NULL DEFAULT false, "created_by_id" uuid NULL, PRIMARY KEY ("id", "tenant_id"));
-- Create index "journey_tenant_id_status" to table: "journeys"
CREATE INDEX "journey_tenant_id_status" ON "journeys" ("tenant_id", "status");
-- Create index "journey_tenant_id_trigger_kind_trigger_key" to table: "journeys"
CREATE INDEX "journey_tenant_id_trigger_kind_trigger_key" ON "journeys" ("tenant_id", "trigger_kind", "trigger_key") WHERE ((status)::text = 'ACTIVE'::text);
-- Create "journey_versions" table
CREATE TABLE "journey_versions" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "version" bigint NOT NULL, "steps" jsonb NOT NULL, "exit_rule" jsonb NULL, "created_at" timestamptz NOT NULL, "journey_id" uuid NOT NULL, PRIMARY KEY ("id", "tenant_id"), CONSTRAINT "journey_versions_journeys_versions" FOREIGN KEY ("tenant_id", "journey_id") REFERENCES "journeys" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "journeyversion_tenant_id_journey_id_version" to table: "journey_versions"
CREATE UNIQUE INDEX "journeyversion_tenant_id_journey_id_version" ON "journey_versions" ("tenant_id", "journey_id", "version");
-- Create "enrollments" table
CREATE TABLE "enrollments" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "status" character varying NOT NULL DEFAULT 'ACTIVE', "step_index" bigint NOT NULL DEFAULT 0, "step_started_at" timestamptz NOT NULL, "next_run_at" timestamptz NULL, "entered_at" timestamptz NOT NULL, "left_at" timestamptz NULL, "error" character varying NULL, "version_id" uuid NOT NULL, "lead_id" uuid NOT NULL, "journey_id" uuid NOT NULL, PRIMARY KEY ("id", "tenant_id"), CONSTRAINT "enrollments_journey_versions_version" FOREIGN KEY ("tenant_id", "version_id") REFERENCES "journey_versions" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "enrollments_journeys_enrollments" FOREIGN KEY ("tenant_id", "journey_id") REFERENCES "journeys" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "enrollments_leads_lead" FOREIGN KEY ("tenant_id", "lead_id") REFERENCES "leads" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "enrollment_tenant_id_journey_id_lead_id" to table: "enrollments"
CREATE UNIQUE INDEX "enrollment_tenant_id_journey_id_lead_id" ON "enrollments" ("tenant_id", "journey_id", "lead_id") WHERE ((status)::text = 'ACTIVE'::text);
-- Create index "enrollment_tenant_id_journey_id_status" to table: "enrollments"
CREATE INDEX "enrollment_tenant_id_journey_id_status" ON "enrollments" ("tenant_id", "journey_id", "status");
-- Create index "enrollment_tenant_id_lead_id" to table: "enrollments"
CREATE INDEX "enrollment_tenant_id_lead_id" ON "enrollments" ("tenant_id", "lead_id");
-- Create index "enrollment_tenant_id_next_run_at" to table: "enrollments"
CREATE INDEX "enrollment_tenant_id_next_run_at" ON "enrollments" ("tenant_id", "next_run_at") WHERE ((status)::text = 'ACTIVE'::text);
-- Create "step_runs" table
CREATE TABLE "step_runs" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "journey_id" uuid NOT NULL, "step_index" bigint NOT NULL, "kind" character varying NOT NULL, "outcome" character varying NOT NULL, "ran_at" timestamptz NOT NULL, "error" character varying NULL, "enrollment_id" uuid NOT NULL, "lead_id" uuid NOT NULL, PRIMARY KEY ("id", "tenant_id"), CONSTRAINT "step_runs_enrollments_step_runs" FOREIGN KEY ("tenant_id", "enrollment_id") REFERENCES "enrollments" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "step_runs_leads_lead" FOREIGN KEY ("tenant_id", "lead_id") REFERENCES "leads" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "steprun_tenant_id_enrollment_id_step_index" to table: "step_runs"
CREATE UNIQUE INDEX "steprun_tenant_id_enrollment_id_step_index" ON "step_runs" ("tenant_id", "enrollment_id", "step_index");
-- Create index "steprun_tenant_id_journey_id_step_index_outcome" to table: "step_runs"
CREATE INDEX "steprun_tenant_id_journey_id_step_index_outcome" ON "step_runs" ("tenant_id", "journey_id", "step_index", "outcome");
