# scrm — two commands matter: `make run` and `make test`. See README.md.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/scrm
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/scrm?sslmode=disable
export REDIS_URL    ?= redis://127.0.0.1:6379/0

.PHONY: run test services build generate check-generated migration migration-rehash lint bench bench-quick vet frontend test-frontend

## run: start Postgres/Redis if needed, build, migrate, create the demo workspace, serve on :8080
run: services build
	$(BIN) serve --demo

## test: start Postgres/Redis if needed, build the web app (default Go builds embed it), then vet,
## the generated-code drift check, every Go test, and the web app's unit and browser tests
test: services frontend vet check-generated
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory test-frontend

services:
	@scripts/services.sh

build: frontend
	$(GO) build -o $(BIN) ./cmd/scrm

## frontend: build the web app into frontend/dist (npm ci when package-lock.json changed, GraphQL
## codegen from graph/schema, type check, vite build); skipped when nothing it reads changed
frontend: frontend/dist/index.html

FRONTEND_SRC := $(shell find frontend/src frontend/public -type f -not -path 'frontend/src/gql/*' 2>/dev/null) \
	$(wildcard frontend/*.html frontend/*.ts frontend/tsconfig*.json graph/schema/*.graphql)

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run --silent build

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## test-frontend: the web app's unit tests (Vitest) and browser tests (headless Debian Chromium
## driven by playwright-core against `scrm serve` on a fresh database; screenshots in frontend/e2e/out)
test-frontend: services frontend
	@scripts/chromium.sh
	cd frontend && npm test --silent
	@scripts/e2e.sh

vet:
	$(GO) vet ./...

## generate: regenerate ent, the entgql schema and gqlgen code
generate:
	$(GO) run -mod=mod ./ent/entc.go
	$(GO) run ./graph/gen

## check-generated: regenerate in a scratch copy and fail if committed code drifted
check-generated:
	@scripts/check-generated.sh

## migration: write a new versioned migration from ent/schema (make migration name=add_x)
migration: services
	$(GO) run ./cmd/migrategen -name $(name)

## migration-rehash: recompute atlas.sum after writing a migration by hand (e.g. partitioned tables)
migration-rehash:
	$(GO) run ./cmd/migrategen -rehash

lint:
	$(GO) vet ./...
	gofmt -l . | tee /dev/stderr | (! read)

## bench: every benchmark the issues asked for, each beside its anchor, at full size (about an
## hour); writes bench/results/<time>.txt and rewrites the summary in docs/benchmarks.md
bench: services frontend
	@scripts/chromium.sh
	$(GO) run ./bench/report

## bench-quick: the same at 100,000 leads, to check the harness in minutes (goals are not meaningful)
bench-quick: services frontend
	@scripts/chromium.sh
	$(GO) run ./bench/report -quick
