-- Modify "teams" table
ALTER TABLE "teams" DROP COLUMN "pool_teams";
-- Create "pool_teams" table
CREATE TABLE "pool_teams" ("pool_id" uuid NOT NULL, "team_id" uuid NOT NULL, PRIMARY KEY ("pool_id", "team_id"), CONSTRAINT "pool_teams_pool_id" FOREIGN KEY ("pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "pool_teams_team_id" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Modify "territories" table
ALTER TABLE "territories" DROP COLUMN "pool_territories";
-- Create "pool_territories" table
CREATE TABLE "pool_territories" ("pool_id" uuid NOT NULL, "territory_id" uuid NOT NULL, PRIMARY KEY ("pool_id", "territory_id"), CONSTRAINT "pool_territories_pool_id" FOREIGN KEY ("pool_id") REFERENCES "pools" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "pool_territories_territory_id" FOREIGN KEY ("territory_id") REFERENCES "territories" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
