# scrm — two commands matter: `make run` and `make test`. See README.md.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/scrm
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/scrm?sslmode=disable
export REDIS_URL    ?= redis://127.0.0.1:6379/0

.PHONY: run test services build generate check-generated migration migration-rehash lint bench bench-quick vet

## run: start Postgres/Redis if needed, build, migrate, create the demo workspace, serve on :8080
run: services build
	$(BIN) serve --demo

## test: start Postgres/Redis if needed, then vet, the generated-code drift check and every test
test: services vet check-generated
	$(GO) test -count=1 -timeout 20m ./...

services:
	@scripts/services.sh

build:
	$(GO) build -o $(BIN) ./cmd/scrm

vet:
	$(GO) vet ./...

## generate: regenerate ent, the entgql schema and gqlgen code
generate:
	$(GO) run -mod=mod ./ent/entc.go
	$(GO) tool gqlgen generate --config gqlgen.yml

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
bench: services
	$(GO) run ./bench/report

## bench-quick: the same at 100,000 leads, to check the harness in minutes (goals are not meaningful)
bench-quick: services
	$(GO) run ./bench/report -quick
