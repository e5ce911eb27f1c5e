package events

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// partitionLock serialises partition maintenance across processes.
const partitionLock = 0x65766e74 // "evnt"

// PartitionName is the name of the partition holding the month of t.
func PartitionName(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("events_y%04dm%02d", t.Year(), int(t.Month()))
}

// EnsurePartitions makes sure the events table has a partition for the
// current month, the next ahead months, and every month that has rows in the
// default partition (backfilled history); those rows are moved into their
// month. Safe to run concurrently and repeatedly (servers at start-up and a
// daily job do). It returns the partitions it created.
func EnsurePartitions(ctx context.Context, db *sql.DB, now time.Time, ahead int) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, partitionLock); err != nil {
		return nil, fmt.Errorf("lock event partitions: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, partitionLock) //nolint:errcheck // released with the session anyway

	months := map[time.Time]bool{}
	start := monthOf(now)
	for i := 0; i <= ahead; i++ {
		months[start.AddDate(0, i, 0)] = true
	}
	rows, err := conn.QueryContext(ctx, `SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') FROM events_default`)
	if err != nil {
		return nil, fmt.Errorf("scan default partition: %w", err)
	}
	for rows.Next() {
		var m time.Time
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return nil, err
		}
		months[monthOf(m)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	existing := map[string]bool{}
	rows, err = conn.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		existing[n] = true
	}
	rows.Close()
	var created []string
	for m := range months {
		name := PartitionName(m)
		if existing[name] {
			continue
		}
		if err := createPartition(ctx, conn, name, m, m.AddDate(0, 1, 0)); err != nil {
			return created, err
		}
		created = append(created, name)
	}
	return created, nil
}

// createPartition creates the partition [from, to) in one transaction,
// moving the rows of that range out of the default partition first (a
// partition cannot be attached while the default one holds its rows).
func createPartition(ctx context.Context, conn *sql.Conn, name string, from, to time.Time) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	q := pq.QuoteIdentifier(name)
	steps := []struct {
		sql  string
		args []any
	}{
		{`CREATE TABLE ` + q + ` (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`, nil},
		{`INSERT INTO ` + q + ` SELECT * FROM events_default WHERE occurred_at >= $1 AND occurred_at < $2`, []any{from, to}},
		{`DELETE FROM events_default WHERE occurred_at >= $1 AND occurred_at < $2`, []any{from, to}},
		{fmt.Sprintf(`ALTER TABLE events ATTACH PARTITION %s FOR VALUES FROM (%s) TO (%s)`, q,
			pq.QuoteLiteral(from.Format(time.RFC3339)), pq.QuoteLiteral(to.Format(time.RFC3339))), nil},
	}
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("create partition %s: %w", name, err)
		}
	}
	return tx.Commit()
}

func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
