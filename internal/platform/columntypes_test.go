package platform

import (
	"database/sql"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
)

type countingColumns struct {
	entsql.ColumnScanner
	calls int
}

func (c *countingColumns) ColumnTypes() ([]*sql.ColumnType, error) {
	c.calls++
	return make([]*sql.ColumnType, 3), nil
}

func TestColumnTypesBuiltOncePerQuery(t *testing.T) {
	inner := &countingColumns{}
	rows := &entsql.Rows{ColumnScanner: inner}
	cacheColumnTypes(rows)
	for range 300 { // 100 rows with 3 columns ent does not know
		ct, err := rows.ColumnTypes()
		if err != nil || len(ct) != 3 {
			t.Fatalf("ColumnTypes = %d types, %v", len(ct), err)
		}
	}
	if inner.calls != 1 {
		t.Fatalf("the rows built their column types %d times, want once", inner.calls)
	}
	cacheColumnTypes("not rows") // other scan targets are left alone
}
