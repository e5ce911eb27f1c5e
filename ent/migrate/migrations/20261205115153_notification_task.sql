-- Modify "notifications" table
ALTER TABLE "notifications" ADD COLUMN "task_id" uuid NULL, ADD CONSTRAINT "notifications_tasks_task" FOREIGN KEY ("tenant_id", "task_id") REFERENCES "tasks" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE SET NULL (task_id);
