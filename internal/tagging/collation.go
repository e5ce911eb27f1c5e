package tagging

import (
	"context"
	"database/sql"
	"sync/atomic"

	entsql "entgo.io/ent/dialect/sql"
)

// PinyinCollation is the ICU collation tag and tag group names sort in:
// Chinese names in pinyin order (阿 before 北 before 长), as Chinese users
// expect, instead of the code point order of the database's default
// collation. PostgreSQL built with ICU (every stock package and image) has
// it; DetectCollation falls back to the default collation when it does not.
const PinyinCollation = "zh-Hans-x-icu"

// collation is the collation NameOrder uses: PinyinCollation unless
// DetectCollation found it missing ("" then: the database's default).
var collation atomic.Pointer[string]

func init() {
	c := PinyinCollation
	collation.Store(&c)
}

// DetectCollation checks, once at start-up, that the database has
// PinyinCollation, and otherwise makes NameOrder sort in the database's
// default collation (code point order under C/UTF-8 locales). It reports
// whether pinyin order is on.
func DetectCollation(ctx context.Context, db *sql.DB) (bool, error) {
	var ok bool
	err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = $1)`, PinyinCollation).Scan(&ok)
	if err != nil {
		return false, err
	}
	c := ""
	if ok {
		c = PinyinCollation
	}
	collation.Store(&c)
	return ok, nil
}

// NameOrder orders a query of tags or tag groups by the column field (name)
// in pinyin order, then by id so that equal names keep one order.
func NameOrder(field string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		expr := s.C(field)
		if c := *collation.Load(); c != "" {
			expr += ` COLLATE "` + c + `"`
		}
		s.OrderExpr(entsql.Expr(expr), entsql.Expr(s.C("id")))
	}
}
