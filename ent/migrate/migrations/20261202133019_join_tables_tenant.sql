-- The many-to-many join tables become ent edge schemas that carry tenant_id,
-- like every distributed table (docs/scaling.md). Existing rows take the
-- workspace of their first end before the column becomes NOT NULL.
ALTER TABLE "partner_territories" ADD COLUMN "tenant_id" uuid NULL;
UPDATE "partner_territories" AS j SET "tenant_id" = p."tenant_id" FROM "partners" AS p WHERE p."id" = j."partner_id";
ALTER TABLE "partner_territories" ALTER COLUMN "tenant_id" SET NOT NULL;
ALTER TABLE "pool_admins" ADD COLUMN "tenant_id" uuid NULL;
UPDATE "pool_admins" AS j SET "tenant_id" = p."tenant_id" FROM "pools" AS p WHERE p."id" = j."pool_id";
ALTER TABLE "pool_admins" ALTER COLUMN "tenant_id" SET NOT NULL;
ALTER TABLE "pool_teams" ADD COLUMN "tenant_id" uuid NULL;
UPDATE "pool_teams" AS j SET "tenant_id" = p."tenant_id" FROM "pools" AS p WHERE p."id" = j."pool_id";
ALTER TABLE "pool_teams" ALTER COLUMN "tenant_id" SET NOT NULL;
ALTER TABLE "pool_territories" ADD COLUMN "tenant_id" uuid NULL;
UPDATE "pool_territories" AS j SET "tenant_id" = p."tenant_id" FROM "pools" AS p WHERE p."id" = j."pool_id";
ALTER TABLE "pool_territories" ALTER COLUMN "tenant_id" SET NOT NULL;
ALTER TABLE "user_territories" ADD COLUMN "tenant_id" uuid NULL;
UPDATE "user_territories" AS j SET "tenant_id" = p."tenant_id" FROM "users" AS p WHERE p."id" = j."user_id";
ALTER TABLE "user_territories" ALTER COLUMN "tenant_id" SET NOT NULL;
-- Modify "partner_territories" table
ALTER TABLE "partner_territories" DROP CONSTRAINT "partner_territories_partner_id", DROP CONSTRAINT "partner_territories_territory_id", ADD CONSTRAINT "partner_territories_partners_partner" FOREIGN KEY ("partner_id") REFERENCES "partners" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "partner_territories_territories_territory" FOREIGN KEY ("territory_id") REFERENCES "territories" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "pool_admins" table
ALTER TABLE "pool_admins" DROP CONSTRAINT "pool_admins_pool_id", DROP CONSTRAINT "pool_admins_user_id", ADD CONSTRAINT "pool_admins_pools_pool" FOREIGN KEY ("pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "pool_admins_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "pool_teams" table
ALTER TABLE "pool_teams" DROP CONSTRAINT "pool_teams_pool_id", DROP CONSTRAINT "pool_teams_team_id", ADD CONSTRAINT "pool_teams_pools_pool" FOREIGN KEY ("pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "pool_teams_teams_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "pool_territories" table
ALTER TABLE "pool_territories" DROP CONSTRAINT "pool_territories_pool_id", DROP CONSTRAINT "pool_territories_territory_id", ADD CONSTRAINT "pool_territories_pools_pool" FOREIGN KEY ("pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "pool_territories_territories_territory" FOREIGN KEY ("territory_id") REFERENCES "territories" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "user_territories" table
ALTER TABLE "user_territories" DROP CONSTRAINT "user_territories_territory_id", DROP CONSTRAINT "user_territories_user_id", ADD CONSTRAINT "user_territories_territories_territory" FOREIGN KEY ("territory_id") REFERENCES "territories" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "user_territories_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
