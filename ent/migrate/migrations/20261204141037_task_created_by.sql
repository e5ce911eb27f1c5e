-- Modify "tasks" table
ALTER TABLE "tasks" ADD COLUMN "created_by_id" uuid NULL, ADD CONSTRAINT "tasks_users_created_by" FOREIGN KEY ("tenant_id", "created_by_id") REFERENCES "users" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE SET NULL (created_by_id);
