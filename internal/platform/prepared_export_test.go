package platform

import (
	"database/sql"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// PreparingDriver is the driver NewEntClient gives ent, over db, and a
// function reporting how many statements its cache keeps (tests).
func PreparingDriver(db *sql.DB) (dialect.Driver, func() int) {
	d := countingDriver{Driver: entsql.OpenDB("postgres", db), prepared: newPreparedStatements(db)}
	return d, d.prepared.len
}
