-- Modify "broadcasts" table
ALTER TABLE "broadcasts" DROP CONSTRAINT "broadcasts_segments_segment", ALTER COLUMN "segment_id" DROP NOT NULL, ADD COLUMN "journey_id" uuid NULL, ADD CONSTRAINT "broadcasts_segments_segment" FOREIGN KEY ("tenant_id", "segment_id") REFERENCES "segments" ("tenant_id", "id") ON UPDATE NO ACTION ON DELETE SET NULL (segment_id);
-- Create index "broadcast_tenant_id_journey_id" to table: "broadcasts"
CREATE INDEX "broadcast_tenant_id_journey_id" ON "broadcasts" ("tenant_id", "journey_id");
