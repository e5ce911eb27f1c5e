package gid

// NewSQL is the SQL expression of a fresh id made in a set-based insert:
// a UUIDv7 with the time of the timestamptz expression at, the type bytes of
// the bytea expression typ, and random bits from gen_random_uuid (which also
// supplies the variant). It matches New.
func NewSQL(at, typ string) string {
	return NewSQLMillis(`floor(extract(epoch FROM `+at+`) * 1000)::int8`, typ)
}

// NewSQLMillis is NewSQL with the time given as an int8 expression of
// milliseconds since the Unix epoch.
func NewSQLMillis(ms, typ string) string {
	return `encode(overlay(overlay(uuid_send(gen_random_uuid())
		placing substring(int8send(` + ms + `) FROM 3) FROM 1 FOR 6)
		placing ` + typ + ` FROM 7 FOR 2), 'hex')::uuid`
}
