package platform

import "testing"

func TestCountAll(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT COUNT("leads"."id") FROM "leads" WHERE "leads"."tenant_id" = $1`,
			`SELECT COUNT(*) FROM "leads" WHERE "leads"."tenant_id" = $1`},
		{`SELECT COUNT("users"."id") FROM "users" JOIN "teams" AS "t1" ON "users"."team_id" = "t1"."id" WHERE "users"."tenant_id" = $1`,
			`SELECT COUNT(*) FROM "users" JOIN "teams" AS "t1" ON "users"."team_id" = "t1"."id" WHERE "users"."tenant_id" = $1`},
		// Left alone: distinct counts, another column, another table's id,
		// and anything that is not ent's count.
		{`SELECT COUNT(DISTINCT "leads"."id") FROM "leads"`, ``},
		{`SELECT COUNT("leads"."owner_id") FROM "leads"`, ``},
		{`SELECT COUNT("t1"."id") FROM "leads"`, ``},
		{`SELECT "leads"."id" FROM "leads"`, ``},
		{`select count("leads"."id") from "leads"`, ``},
	} {
		want := c.want
		if want == "" {
			want = c.in
		}
		if got := countAll(c.in); got != want {
			t.Errorf("countAll(%s)\n = %s\nwant %s", c.in, got, want)
		}
	}
}
