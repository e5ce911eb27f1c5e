-- Modify "contact_ways" table
ALTER TABLE "contact_ways" ADD COLUMN "deleted_at" timestamptz NULL;
