// Package testenv gives tests real infrastructure: a fresh, migrated
// PostgreSQL database per call and a private Redis database number, both
// cleaned up when the test ends. No mocks of either.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/migrate/migrations"
	"github.com/scrmhq/scrm/internal/changetoken"
	"github.com/scrmhq/scrm/internal/platform"
)

// A test run puts every package's databases, Redis and servers on the same
// two cores: a Redis read can then take longer than production's bound
// without Redis being down, and a test that counts on the caches would see
// them switched off for a pause. Tests that take Redis away (closed
// connections, refused dials) fail at once whatever the bound.
func init() { changetoken.ReadTimeout = 5 * time.Second }

// ServerURL is the Postgres server tests use (TEST_DATABASE_URL overrides;
// the path is ignored).
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisAddr is the Redis server tests use (TEST_REDIS_ADDR overrides).
func RedisAddr() string {
	if a := os.Getenv("TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

func withDB(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// templateName names the migrated template database after the migration
// checksum, so a changed migration builds a new template.
func templateName() string {
	sum, err := migrations.FS.ReadFile("atlas.sum")
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(sum)
	return "scrm_tpl_" + hex.EncodeToString(h[:6])
}

// ensureTemplate builds the template database once per migration set; an
// advisory lock makes concurrent test packages wait for the first builder.
func ensureTemplate(ctx context.Context, admin *sql.DB) (string, error) {
	name := templateName()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7262001)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7262001)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(building)+" WITH (FORCE)")
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(building)); err != nil {
		return "", err
	}
	db, err := platform.OpenDB(ctx, withDB(ServerURL(), building))
	if err != nil {
		return "", err
	}
	_, err = platform.Migrate(ctx, db, nil)
	db.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(building)+" RENAME TO "+pq.QuoteIdentifier(name)); err != nil {
		return "", err
	}
	return name, nil
}

// Database is a fresh migrated database of one test.
type Database struct {
	Name   string
	URL    string
	DB     *sql.DB
	Client *ent.Client
}

// NewDatabase creates a fresh, migrated database and drops it when t ends.
func NewDatabase(t testing.TB) *Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := platform.OpenDB(ctx, ServerURL())
	if err != nil {
		t.Fatalf("testenv: PostgreSQL is required (run `make services`): %v", err)
	}
	tpl, err := ensureTemplate(ctx, admin)
	if err != nil {
		admin.Close()
		t.Fatalf("testenv: template database: %v", err)
	}
	name := randomName("scrm_test_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(tpl)); err != nil {
		admin.Close()
		t.Fatalf("testenv: create database: %v", err)
	}
	d := &Database{Name: name, URL: withDB(ServerURL(), name)}
	d.DB, err = platform.OpenDB(ctx, d.URL)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	d.Client = platform.NewEntClient(d.DB)
	t.Cleanup(func() {
		d.Client.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
		admin.Close()
	})
	return d
}

// Redis is a leased Redis database number of one test.
type Redis struct {
	Addr   string
	DB     int
	URL    string
	Client *redis.Client
}

// leaseRenew and leaseRelease touch a Redis lease only while owner (ARGV[1])
// holds it: a run whose lease expired never extends or frees another's.
var (
	leaseRenew   = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
	leaseRelease = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
)

// NewRedis leases one of Redis's numbered databases 1-15 for t (0 is left to
// `make run`), flushes it, and frees it when t ends.
func NewRedis(t testing.TB) *Redis {
	t.Helper()
	ctx := context.Background()
	ctl := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	if err := ctl.Ping(ctx).Err(); err != nil {
		t.Fatalf("testenv: Redis is required (run `make services`): %v", err)
	}
	owner := randomName("")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for n := 1; n <= 15; n++ {
			ok, err := ctl.SetNX(ctx, fmt.Sprintf("scrm:testenv:lease:%d", n), owner, 10*time.Minute).Result()
			if err != nil {
				t.Fatalf("testenv: %v", err)
			}
			if !ok {
				continue
			}
			r := &Redis{Addr: RedisAddr(), DB: n, URL: fmt.Sprintf("redis://%s/%d", RedisAddr(), n)}
			r.Client = redis.NewClient(&redis.Options{Addr: r.Addr, DB: n})
			if err := r.Client.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("testenv: %v", err)
			}
			key := fmt.Sprintf("scrm:testenv:lease:%d", n)
			stop := make(chan struct{})
			renewed := make(chan struct{})
			go func() {
				// A benchmark may hold its database longer than the lease's
				// 10 minutes: renew it while t runs, or another run would
				// flush the database and share it.
				defer close(renewed)
				tick := time.NewTicker(time.Minute)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						leaseRenew.Run(ctx, ctl, []string{key}, owner, (10 * time.Minute).Milliseconds())
					}
				}
			}()
			t.Cleanup(func() {
				close(stop)
				<-renewed
				_ = r.Client.FlushDB(ctx).Err()
				r.Client.Close()
				leaseRelease.Run(ctx, ctl, []string{key}, owner) // only a lease still ours
				ctl.Close()
			})
			return r
		}
		if time.Now().After(deadline) {
			t.Fatal("testenv: no free Redis database number")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
