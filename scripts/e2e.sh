#!/usr/bin/env bash
# Browser tests of the web app: builds bin/scrm (with the embedded
# frontend/dist), creates a fresh PostgreSQL database and leases a Redis
# database number, loads the demo workspace with 10,000 leads, runs
# `scrm serve` on a free loopback port, runs the Playwright specs in
# frontend/e2e against it in Debian's headless Chromium, and always stops
# the server, drops the database and frees the Redis number.
# Screenshots, the server log and timings land in frontend/e2e/out/.
# Used by `make test-frontend`; needs `make frontend` and scripts/chromium.sh first.
# Arguments go to Vitest: scripts/e2e.sh e2e/ops.e2e.ts runs that file only
# (SCRM_E2E_LEADS=500 makes a smaller demo workspace, for a quicker run).
set -euo pipefail
cd "$(dirname "$0")/.."

# One run at a time on a machine: runs share bin/scrm, frontend/e2e/out and
# the machine's two cores (the first-render PERF line would measure the other
# run). A second run waits here for the first to end.
exec 9>"${TMPDIR:-/tmp}/scrm-e2e.lock"
if ! flock -n 9; then
  printf 'e2e: another browser test run holds the lock; waiting\n' >&2
  flock 9
fi

PGHOST=127.0.0.1
PGPORT=5432
OUT=frontend/e2e/out
LEADS=${SCRM_E2E_LEADS:-10000}

log() { printf 'e2e: %s\n' "$*" >&2; }

[ -f frontend/dist/index.html ] || { log "frontend/dist is missing: run make frontend"; exit 1; }
[ -x /usr/bin/chromium ] || { log "/usr/bin/chromium is missing: run scripts/chromium.sh"; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"

log "building bin/scrm"
go build -o bin/scrm ./cmd/scrm

db="scrm_e2e_$$"
owner="e2e-$$-$RANDOM"
redis_db=""
renew_pid=""
server_pid=""
cleanup() {
  status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -qAtc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
    log "could not drop database $db"
  if [ -n "$redis_db" ]; then
    redis-cli -h 127.0.0.1 -n "$redis_db" FLUSHDB >/dev/null 2>&1 || true
    [ -z "$renew_pid" ] || kill "$renew_pid" 2>/dev/null || true
    # Only a lease still ours: one that expired may be another run's now.
    redis-cli -h 127.0.0.1 EVAL 'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0' \
      1 "scrm:testenv:lease:$redis_db" "$owner" >/dev/null 2>&1 || true
  fi
  exit $status
}
trap cleanup EXIT INT TERM

# A Redis database number, leased the way internal/testenv leases them so
# concurrent Go tests and this run never share one.
for _ in $(seq 1 600); do
  for n in $(seq 1 15); do
    if [ "$(redis-cli -h 127.0.0.1 SET "scrm:testenv:lease:$n" "$owner" NX EX 1800)" = "OK" ]; then
      redis_db=$n
      break 2
    fi
  done
  sleep 0.2
done
[ -n "$redis_db" ] || { log "no free Redis database number"; exit 1; }
# Renewed while the run lasts, however long: an expired lease would let a Go
# test flush this database and share it with the server under test.
(while sleep 60; do
  redis-cli -h 127.0.0.1 EVAL 'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("EXPIRE", KEYS[1], ARGV[2]) end return 0' \
    1 "scrm:testenv:lease:$redis_db" "$owner" 1800 >/dev/null 2>&1
done) </dev/null >/dev/null 2>&1 &
renew_pid=$!
redis-cli -h 127.0.0.1 -n "$redis_db" FLUSHDB >/dev/null

psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -qAtc "CREATE DATABASE \"$db\"" >/dev/null
export DATABASE_URL="postgres://postgres@$PGHOST:$PGPORT/$db?sslmode=disable"
export REDIS_URL="redis://127.0.0.1:6379/$redis_db"
export SCRM_SECRET="e2e-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export SCRM_LOG_LEVEL=warn

log "database $db, Redis db $redis_db: loading the demo workspace with $LEADS leads"
bin/scrm demo --leads "$LEADS" >"$OUT/demo.log" 2>&1 || { cat "$OUT/demo.log" >&2; exit 1; }
# The Go tests before this run leave PostgreSQL with much to write back; a
# checkpoint now keeps that out of the first specs (the PERF line's).
psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -qAtc "CHECKPOINT" >/dev/null

port=""
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { log "no free port"; exit 1; }
url="http://127.0.0.1:$port"

bin/scrm serve --demo --addr "127.0.0.1:$port" >"$OUT/server.log" 2>&1 &
server_pid=$!
ready() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url/readyz"; }
for _ in $(seq 1 150); do
  if ready; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { log "scrm serve exited:"; cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.2
done
ready || { log "scrm serve is not ready at $url"; cat "$OUT/server.log" >&2; exit 1; }
log "scrm serve is up at $url"

cd frontend
SCRM_E2E_URL="$url" SCRM_E2E_OUT="e2e/out" SCRM_E2E_LEADS="$LEADS" npx --no-install vitest run --config vitest.e2e.config.ts "$@"
