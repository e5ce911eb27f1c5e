// Package app is the service layer: New builds every domain service once from
// a Config, and the api (internal/server, graph), the worker (jobs) and the
// CLI (cmd/scrm) all use the one set it returns. No other package constructs
// a service (TestServicesBuiltOnlyHere).
package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/assign"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/authz"
	"github.com/scrmhq/scrm/internal/broadcast"
	"github.com/scrmhq/scrm/internal/duplicates"
	"github.com/scrmhq/scrm/internal/egress"
	"github.com/scrmhq/scrm/internal/events"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/funnel"
	"github.com/scrmhq/scrm/internal/journey"
	"github.com/scrmhq/scrm/internal/leads"
	"github.com/scrmhq/scrm/internal/longjob"
	"github.com/scrmhq/scrm/internal/org"
	"github.com/scrmhq/scrm/internal/pipeline"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/pool"
	"github.com/scrmhq/scrm/internal/rules"
	"github.com/scrmhq/scrm/internal/scoring"
	"github.com/scrmhq/scrm/internal/secretbox"
	"github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/suppress"
	"github.com/scrmhq/scrm/internal/tagging"
	"github.com/scrmhq/scrm/internal/tasks"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/internal/views"
	"github.com/scrmhq/scrm/internal/wecom"
)

// Queue is the background work services ask for (jobs.Queue: rows of the
// outbox, written in the caller's transaction).
type Queue interface {
	fielddefs.Enqueuer
	leads.Enqueuer
	events.Queue
	pool.Notifier
	segment.Enqueuer
	broadcast.Queue
	longjob.Enqueuer
	journey.Queue
	wecom.Queue
	// RescoreWorkspace re-scores every lead of a workspace (graph.DistributionQueue).
	RescoreWorkspace(ctx context.Context, tenantID uuid.UUID) error
}

// Config is what the services are built from.
type Config struct {
	// Client is the primary: every write, and every read without a Replica.
	Client *ent.Client
	// DB is the primary's connection pool, for what ent does not do
	// (session locks of broadcast sending).
	DB *sql.DB
	// Replica, when set (a streaming read replica), evaluates segment
	// previews and computations and runs reports.
	Replica *ent.Client
	// Redis carries the authorization policy's change notifications.
	Redis redis.UniversalClient
	// Queue takes the background work of changes; nil queues nothing (tools).
	Queue Queue
	// Clock is the time of every service; nil is the system clock.
	Clock platform.Clock
	Log   *slog.Logger
	// Secret signs tokens (Auth) and seals channel secrets (Box); empty
	// builds neither (tools that need neither).
	Secret string
	// LoadPolicy loads the authorization policy into Authz (the api role;
	// the caller runs Authz.Watch).
	LoadPolicy bool
	// Egress decides which addresses channels (webhooks, SMS, SMTP, WeCom)
	// may connect to; nil is egress.Default (public and loopback).
	Egress *egress.Policy
}

// Services is the one set of services of a process.
type Services struct {
	Client  *ent.Client
	Replica *ent.Client
	Clock   platform.Clock
	// Queue is Config.Queue (nil when none).
	Queue Queue
	// Box seals and opens channel secrets (nil without a secret).
	Box *secretbox.Box

	Fields       *fielddefs.Service
	Auth         *auth.Service  // nil without a secret
	Authz        *authz.Service // nil unless LoadPolicy
	Ingester     *leads.Ingester
	Events       *events.Service
	Pools        *pool.Service
	Assigner     *assign.Engine
	Scoring      *scoring.Service
	Segments     *segment.Service
	Broadcasts   *broadcast.Service
	Reports      *funnel.Service
	Pipelines    *pipeline.Service
	Tags         *tagging.Service
	Leads        *leads.Service
	Suppressions *suppress.Service
	Org          *org.Service
	WeCom        *wecom.Service
	Jobs         *longjob.Service
	Journeys     *journey.Service
	Tasks        *tasks.Service
	Views        *views.Service
	Duplicates   *duplicates.Service
}

// New builds every service once from cfg.
func New(ctx context.Context, cfg Config) (*Services, error) {
	if cfg.Client == nil {
		return nil, fmt.Errorf("app: no ent client")
	}
	if cfg.Clock == nil {
		cfg.Clock = platform.SystemClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// A nil Queue converts to nil in each narrower interface: nothing queued.
	c, now, q := cfg.Client, cfg.Clock.Now, cfg.Queue
	s := &Services{Client: c, Replica: cfg.Replica, Clock: cfg.Clock, Queue: cfg.Queue}
	if cfg.Secret != "" {
		box, err := secretbox.New(cfg.Secret)
		if err != nil {
			return nil, err
		}
		s.Box = box
		s.Auth = auth.NewService(c, auth.NewTokens(cfg.Secret, now), now).WithRedis(cfg.Redis)
		s.Auth.WatchUsers(c)
	}
	if cfg.LoadPolicy {
		az, err := authz.New(ctx, c, cfg.Redis, cfg.Clock, cfg.Log)
		if err != nil {
			return nil, fmt.Errorf("load policy: %w", err)
		}
		s.Authz = az
	}
	s.Fields = fielddefs.New(c, q).WithRedis(cfg.Redis).WithClock(now)
	s.Ingester = &leads.Ingester{Client: c, Fields: s.Fields, Queue: q, Clock: now}
	s.Events = &events.Service{Client: c, Queue: q, Now: now}
	s.Pools = &pool.Service{Client: c, Now: now, Notify: q}
	s.Assigner = &assign.Engine{Client: c, Now: now, Match: rules.Matcher(c, now), Notify: q}
	s.Scoring = &scoring.Service{Client: c, Now: now}
	s.Segments = &segment.Service{Client: c, Reader: cfg.Replica, Fields: s.Fields, Now: now, Queue: q}
	if cfg.DB != nil {
		// Tag names sort in pinyin order where the database has the ICU
		// collation; without it, in its default collation (docs/tags.md).
		_, _ = tagging.DetectCollation(ctx, cfg.DB)
	}
	pol := egress.Default()
	if cfg.Egress != nil {
		pol = *cfg.Egress
	}
	useWeComEgress(pol)
	s.Broadcasts = &broadcast.Service{Client: c, DB: cfg.DB, Box: s.Box, Segments: s.Segments,
		Queue: q, Now: now, HTTPClient: pol.Client(), DialContext: pol.DialContext}
	s.Reports = &funnel.Service{Client: c, Reader: cfg.Replica}
	s.Pipelines = pipeline.New(c, now)
	s.Tags = tagging.New(c, now)
	s.Leads = leads.New(c)
	s.Tasks = tasks.New(c, now)
	s.Views = views.New(c, now)
	s.Tasks.Leads, s.Tasks.Notify, s.Leads.Promises = s.Leads, q, s.Tasks
	s.Suppressions = suppress.New(c)
	s.Org = org.New(c)
	s.WeCom = wecom.New(c, s.Broadcasts, s.Ingester, q, now)
	s.Jobs = longjob.New(txn.NewRoot(c).WithClock(now), q, s.Ingester, s.Fields, s.WeCom)
	s.Jobs.Bulk = longjob.BulkServices{Leads: s.Leads, Tags: s.Tags, Pipelines: s.Pipelines, Pools: s.Pools}
	s.Duplicates = duplicates.New(txn.NewRoot(c).WithClock(now))
	s.Journeys = journey.New(c, now)
	s.Journeys.Segments, s.Journeys.Tags, s.Journeys.Pipelines = s.Segments, s.Tags, s.Pipelines
	s.Journeys.Pools, s.Journeys.Assigner, s.Journeys.Queue = s.Pools, s.Assigner, q
	s.Journeys.Tasks, s.Journeys.Messages = s.Tasks, s.Broadcasts
	s.Jobs.Bulk.Journeys = s.Journeys
	// The triggers: tagging, stage moves and segment computations tell the
	// journeys in their own transactions.
	s.WeCom.Fields, s.WeCom.Queue, s.WeCom.Tags, s.WeCom.Watcher = s.Fields, q, s.Tags, s.Journeys
	s.Broadcasts.Group = s.WeCom
	s.Tags.Watchers = []tagging.Watcher{s.Journeys, s.WeCom}
	s.Tags.CorpTags = s.WeCom
	s.Pipelines.Watcher, s.Segments.Watcher = s.Journeys, s.Journeys
	s.Ingester.Watcher, s.Ingester.TagWatcher, s.Leads.Tags = s.Journeys, s.Journeys, s.Journeys
	// Every event recorded on a lead (tracked, or a system event of merges,
	// ingest duplicates, replies, WeCom callbacks, duplicate reviews) goes
	// through one Recorder, which tells the journeys in its transaction.
	rec := &events.Recorder{Watcher: s.Journeys}
	s.Events.Events, s.Ingester.Events, s.Leads.Events, s.Broadcasts.Events = rec, rec, rec, rec
	s.WeCom.Events, s.Duplicates.Events = rec, rec
	return s, nil
}
