package platform

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"

	"ariga.io/atlas/sql/migrate"

	"github.com/scrmhq/scrm/ent/migrate/migrations"
)

// migrationLockID is the pg advisory lock that serialises migrators, so any
// number of processes may start at once.
const migrationLockID = 0x5c7a_0001

// MigrationDir returns the embedded migrations as an Atlas directory, checked
// against its atlas.sum so an edited file is refused.
func MigrationDir() (migrate.Dir, error) {
	dir := &migrate.MemDir{}
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrations.FS.ReadFile(path)
		if err != nil {
			return err
		}
		return dir.WriteFile(path, b)
	})
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	if err := migrate.Validate(dir); err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return dir, nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions it applied.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) ([]string, error) {
	dir, err := MigrationDir()
	if err != nil {
		return nil, err
	}
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Version() < files[j].Version() })

	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID) //nolint:errcheck // released with the session anyway
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS scrm_schema_revisions (
		version text PRIMARY KEY,
		description text NOT NULL,
		hash text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("create revisions table: %w", err)
	}
	applied := map[string]bool{}
	rows, err := conn.QueryContext(ctx, `SELECT version FROM scrm_schema_revisions`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sum, err := dir.Checksum()
	if err != nil {
		return nil, err
	}
	var done []string
	for _, f := range files {
		if applied[f.Version()] {
			continue
		}
		hash, err := sum.SumByName(f.Name())
		if err != nil {
			return done, err
		}
		stmts, err := f.Stmts()
		if err != nil {
			return done, fmt.Errorf("parse %s: %w", f.Name(), err)
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return done, err
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				_ = tx.Rollback()
				return done, fmt.Errorf("migration %s: %w", f.Name(), err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scrm_schema_revisions (version, description, hash) VALUES ($1, $2, $3)`,
			f.Version(), f.Desc(), hash); err != nil {
			_ = tx.Rollback()
			return done, err
		}
		if err := tx.Commit(); err != nil {
			return done, err
		}
		if log != nil {
			log.InfoContext(ctx, "migration applied", "version", f.Version(), "name", f.Desc())
		}
		done = append(done, f.Version())
	}
	return done, nil
}
