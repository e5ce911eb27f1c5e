-- Modify "duplicate_dismissals" table: the unique index holds leads_hash, the
-- SHA-256 of the sorted lead_ids (16 bytes each), instead of the array, which
-- an index row cannot hold for a group of more than about 170 leads.
ALTER TABLE "duplicate_dismissals" ADD COLUMN "leads_hash" bytea NULL;
UPDATE "duplicate_dismissals" AS d SET "leads_hash" = (SELECT sha256(string_agg(uuid_send(l), ''::bytea ORDER BY l)) FROM unnest(d."lead_ids") AS l);
ALTER TABLE "duplicate_dismissals" ALTER COLUMN "leads_hash" SET NOT NULL;
-- Drop index "duplicatedismissal_tenant_id_kind_key_hash_lead_ids" from table: "duplicate_dismissals"
DROP INDEX "duplicatedismissal_tenant_id_kind_key_hash_lead_ids";
-- Create index "duplicatedismissal_tenant_id_kind_key_hash_leads_hash" to table: "duplicate_dismissals"
CREATE UNIQUE INDEX "duplicatedismissal_tenant_id_kind_key_hash_leads_hash" ON "duplicate_dismissals" ("tenant_id", "kind", "key_hash", "leads_hash");
