-- Modify "step_runs" table
ALTER TABLE "step_runs" DROP CONSTRAINT "step_runs_enrollments_step_runs";
