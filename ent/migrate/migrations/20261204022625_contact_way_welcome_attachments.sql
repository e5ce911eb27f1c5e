-- Modify "contact_ways" table
ALTER TABLE "contact_ways" ADD COLUMN "welcome_attachments" jsonb NULL;
