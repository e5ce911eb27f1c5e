package platform

import (
	"database/sql"

	entsql "entgo.io/ent/dialect/sql"
)

// ent scans a column it does not know (a modifier's, such as the inlined
// owner, stage and tags of a page of leads: ent.InlineEdgeLoads) by asking
// the rows for their column types, once per such column and row, and
// database/sql builds the types of every column at each call: a page of 100
// leads built 10,000 of them, 0.6 ms of the request's CPU.
// cacheColumnTypes has a query's rows answer with the types built the first
// time; they do not change between rows.
func cacheColumnTypes(v any) {
	if rows, ok := v.(*entsql.Rows); ok && rows.ColumnScanner != nil {
		rows.ColumnScanner = &columnTypesOnce{ColumnScanner: rows.ColumnScanner}
	}
}

type columnTypesOnce struct {
	entsql.ColumnScanner
	types []*sql.ColumnType
	err   error
	done  bool
}

func (r *columnTypesOnce) ColumnTypes() ([]*sql.ColumnType, error) {
	if !r.done {
		r.types, r.err = r.ColumnScanner.ColumnTypes()
		r.done = true
	}
	return r.types, r.err
}
