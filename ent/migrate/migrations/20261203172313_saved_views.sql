-- Create "saved_views" table
CREATE TABLE "saved_views" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "list" character varying NOT NULL DEFAULT 'LEADS', "name" character varying NOT NULL, "state" jsonb NOT NULL, "shared" boolean NOT NULL DEFAULT false, "owner_id" uuid NOT NULL, PRIMARY KEY ("id", "tenant_id"), CONSTRAINT "saved_views_users_owner" FOREIGN KEY ("tenant_id", "owner_id") REFERENCES "users" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "savedview_tenant_id_list_shared" to table: "saved_views"
CREATE INDEX "savedview_tenant_id_list_shared" ON "saved_views" ("tenant_id", "list", "shared");
-- Create index "savedview_tenant_id_owner_id_list_name" to table: "saved_views"
CREATE UNIQUE INDEX "savedview_tenant_id_owner_id_list_name" ON "saved_views" ("tenant_id", "owner_id", "list", "name");
