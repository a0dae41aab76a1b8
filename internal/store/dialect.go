package store

// The few places where SQLite and PostgreSQL need different SQL. Everything
// else in this package is written once in the portable subset.

// skipLocked is appended to the row-claiming subquery of a lease. On
// PostgreSQL it lets concurrent claimers pass over each other's rows; SQLite
// has a single writer, so the claim is atomic without it.
func (db *DB) skipLocked() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}
