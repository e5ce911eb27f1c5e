// Package platform holds the process plumbing every role shares: configuration,
// the Postgres and Redis connections, migrations, logging and the clock.
package platform

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/scrmhq/scrm/internal/egress"
)

// Config is the process configuration, read from flags with environment
// defaults. The defaults work on a developer machine with local Postgres and Redis.
type Config struct {
	DatabaseURL string
	RedisURL    string
	Secret      string
	Addr        string
	LogLevel    string
	LogFormat   string
	// ReplicaURL, when set, names a streaming replica of DatabaseURL that
	// runs segment computations, previews and reports.
	ReplicaURL string
	// ShutdownTimeout bounds how long a SIGTERM waits for in-flight work.
	ShutdownTimeout time.Duration
	// OpsWorkspace is the slug of the operators' workspace: its admins may
	// open the operator pages (/ops/queues), which show the background
	// tasks of every workspace. Empty: nobody may (serve --demo: the demo
	// workspace's admins).
	OpsWorkspace string
	// MaxUploadMB is the largest file a multipart GraphQL request may
	// upload (importLeads), in MiB.
	MaxUploadMB int
	// EgressAllow lists the non-public networks scrm may connect to on a
	// workspace's behalf (webhooks, SMS gateways, SMTP hosts, WeCom base
	// URLs): CIDRs or addresses, "loopback", "private" or "none".
	EgressAllow string
}

// DefaultDatabaseURL is the local database `make run` creates.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/scrm?sslmode=disable"

// DefaultRedisURL is the local Redis.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// devSecret signs tokens when SCRM_SECRET is unset; Validate refuses it outside dev mode.
const devSecret = "scrm-dev-secret-change-me"

// RegisterFlags binds the config to fs, defaulting from the environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", DefaultDatabaseURL), "PostgreSQL URL (env DATABASE_URL)")
	fs.StringVar(&c.ReplicaURL, "database-replica-url", env("DATABASE_REPLICA_URL", ""), "read-only replica for segment computations, previews and reports; empty: the primary (env DATABASE_REPLICA_URL)")
	fs.StringVar(&c.RedisURL, "redis-url", env("REDIS_URL", DefaultRedisURL), "Redis URL (env REDIS_URL)")
	fs.StringVar(&c.Secret, "secret", env("SCRM_SECRET", devSecret), "secret that signs tokens and encrypts channel secrets (env SCRM_SECRET)")
	fs.StringVar(&c.Addr, "addr", env("SCRM_ADDR", ":8080"), "HTTP listen address (env SCRM_ADDR)")
	fs.StringVar(&c.LogLevel, "log-level", env("SCRM_LOG_LEVEL", "info"), "debug, info, warn or error (env SCRM_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("SCRM_LOG_FORMAT", "text"), "text or json (env SCRM_LOG_FORMAT)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "how long SIGTERM waits for in-flight work")
	fs.IntVar(&c.MaxUploadMB, "max-upload-mb", envInt("SCRM_MAX_UPLOAD_MB", 50), "largest file importLeads accepts, in MiB (env SCRM_MAX_UPLOAD_MB)")
	fs.StringVar(&c.EgressAllow, "egress-allow", env("SCRM_EGRESS_ALLOW", egress.DefaultAllow), "non-public networks that webhooks, SMS gateways, SMTP hosts and WeCom base URLs may reach, comma-separated: CIDRs, addresses, loopback, private or none; public addresses are always allowed (env SCRM_EGRESS_ALLOW)")
	fs.StringVar(&c.OpsWorkspace, "ops-workspace", env("SCRM_OPS_WORKSPACE", ""), "slug of the operators' workspace, whose admins may open /ops/queues (every workspace's background tasks); empty: nobody, or the demo workspace with --demo (env SCRM_OPS_WORKSPACE)")
}

// Validate reports configuration that cannot work.
func (c *Config) Validate() error {
	if c.DatabaseURL == "" {
		return errors.New("config: DATABASE_URL is empty")
	}
	if c.RedisURL == "" {
		return errors.New("config: REDIS_URL is empty")
	}
	if c.MaxUploadMB < 0 {
		return errors.New("config: SCRM_MAX_UPLOAD_MB must not be negative")
	}
	if _, err := egress.Parse(c.EgressAllow); err != nil {
		return fmt.Errorf("config: SCRM_EGRESS_ALLOW: %w", err)
	}
	if len(c.Secret) < 16 {
		return errors.New("config: SCRM_SECRET must be at least 16 characters")
	}
	return nil
}

// Egress is the policy of SCRM_EGRESS_ALLOW (checked by Validate).
func (c *Config) Egress() egress.Policy {
	p, err := egress.Parse(c.EgressAllow)
	if err != nil {
		return egress.Default()
	}
	return p
}

// DevSecret reports whether the built-in development secret is in use.
func (c *Config) DevSecret() bool { return c.Secret == devSecret }

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}
