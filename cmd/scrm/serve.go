package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/scrmhq/scrm/internal/app"
	"github.com/scrmhq/scrm/internal/demo"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/server"
	"github.com/scrmhq/scrm/jobs"
)

func runServe(ctx context.Context, args []string) error {
	var roles string
	var withDemo bool
	var concurrency int
	e, err := open(ctx, "serve", args, func(fs *flag.FlagSet) {
		fs.StringVar(&roles, "roles", "api,worker,scheduler", "comma-separated roles to run: api, worker, scheduler")
		fs.BoolVar(&withDemo, "demo", false, "create the demo workspace if absent")
		fs.IntVar(&concurrency, "concurrency", 10, "worker concurrency")
	})
	if err != nil {
		return err
	}
	defer e.close()
	want := map[string]bool{}
	for _, r := range strings.Split(roles, ",") {
		switch r = strings.TrimSpace(r); r {
		case "api", "worker", "scheduler":
			want[r] = true
		case "":
		default:
			return fmt.Errorf("unknown role %q (want api, worker or scheduler)", r)
		}
	}
	platform.TuneGC()
	if e.cfg.DevSecret() {
		e.log.Warn("SCRM_SECRET is not set: tokens are signed with the development secret")
	}
	redisOpt, err := asynq.ParseRedisURI(e.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	ropts, err := redis.ParseURL(e.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()
	if withDemo {
		res, err := demo.Ensure(ctx, e.client, 2000, 1)
		if err != nil {
			return fmt.Errorf("demo workspace: %w", err)
		}
		if res.Created {
			e.log.Info("demo workspace created", "leads", res.Leads)
		}
		printDemoLogin(e.cfg.Addr)
		if e.cfg.OpsWorkspace == "" {
			e.cfg.OpsWorkspace = demo.Slug
		}
	}

	clock := platform.SystemClock{}
	queue := asynq.NewClient(redisOpt)
	defer queue.Close()
	g, gctx := errgroup.WithContext(ctx)
	// Background tasks are written to the outbox in the transaction of the
	// change that asks for them; the relay of every api and worker process
	// hands them to Asynq, so a Redis outage or a killed process loses none.
	outbox := jobs.NewOutbox(e.client, clock)
	jq := jobs.Queue{Outbox: outbox}
	relay := jobs.NewRelay(outbox, queue, e.log)
	if want["api"] || want["worker"] {
		g.Go(func() error {
			relay.Run(gctx)
			return nil
		})
	}
	// Every role of this process shares one set of services.
	pol := e.cfg.Egress()
	svc, err := app.New(ctx, app.Config{
		Client: e.client, DB: e.db, Replica: e.replica, Redis: rdb, Queue: jq,
		Clock: clock, Log: e.log, Secret: e.cfg.Secret, LoadPolicy: want["api"], Egress: &pol,
	})
	if err != nil {
		return err
	}
	if want["api"] {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), relay.Collector())
		go svc.Authz.Watch(gctx)
		h := server.New(server.Deps{
			Services: svc, DB: e.db, Redis: rdb, Log: e.log, Registry: reg, Outbox: outbox,
			OpsWorkspace: e.cfg.OpsWorkspace, MaxUploadBytes: int64(e.cfg.MaxUploadMB) << 20,
		})
		srv := &http.Server{Addr: e.cfg.Addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
		g.Go(func() error {
			e.log.Info("api listening", "addr", e.cfg.Addr)
			if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), e.cfg.ShutdownTimeout)
			defer cancel()
			e.log.Info("api shutting down")
			return srv.Shutdown(sctx)
		})
	}
	if want["worker"] {
		worker := jobs.NewServer(redisOpt, e.log, concurrency)
		mux := asynq.NewServeMux()
		jobs.Register(mux, jobs.Deps{Services: svc, DB: e.db, Redis: rdb, Queue: jq, Log: e.log})
		if err := worker.Start(mux); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		e.log.Info("worker started", "concurrency", concurrency)
		g.Go(func() error {
			<-gctx.Done()
			e.log.Info("worker shutting down")
			worker.Shutdown()
			return nil
		})
	}
	if want["scheduler"] {
		sched, err := jobs.NewScheduler(redisOpt, e.log)
		if err != nil {
			return err
		}
		if err := sched.Start(); err != nil {
			return fmt.Errorf("start scheduler: %w", err)
		}
		e.log.Info("scheduler started", "entries", len(jobs.Schedule()))
		g.Go(func() error {
			<-gctx.Done()
			e.log.Info("scheduler shutting down")
			sched.Shutdown()
			return nil
		})
	}
	if len(want) == 0 {
		return errors.New("no roles to run")
	}
	err = g.Wait()
	e.log.Info("stopped")
	return err
}
