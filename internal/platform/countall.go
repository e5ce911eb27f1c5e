package platform

import (
	"regexp"
	"strings"
)

// countByID is the statement ent builds for a query's Count (entgql's
// totalCount among them): SELECT COUNT("t"."id") FROM "t" ….
var countByID = regexp.MustCompile(`^SELECT COUNT\("(\w+)"\."id"\) FROM "(\w+)"`)

// countAll turns ent's COUNT("t"."id") over a table t into COUNT(*), which
// counts the same rows (id is every table's primary key, never NULL, and t
// is the statement's first table, so joins cannot make it NULL) but lets
// PostgreSQL count from any index that starts with tenant_id. COUNT(id)
// can only be answered from an index holding id, and every primary key is
// (id, tenant_id): a workspace's count became a full scan of the primary
// key of every workspace's rows (100,000 leads: 6.3 ms against 3.5 ms,
// and growing with the other workspaces' rows). COUNT(DISTINCT …) and
// counts of other columns are left as they are.
func countAll(query string) string {
	if !strings.HasPrefix(query, `SELECT COUNT("`) {
		return query
	}
	m := countByID.FindStringSubmatchIndex(query)
	if m == nil || query[m[2]:m[3]] != query[m[4]:m[5]] {
		return query
	}
	return `SELECT COUNT(*) FROM "` + query[m[4]:m[5]] + `"` + query[m[1]:]
}
