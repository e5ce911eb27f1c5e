#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1 (5432, 6379): installs
# them from Debian's packages if missing and starts them if they are down.
# Used by `make run` and `make test`; safe to run any number of times.
set -euo pipefail

PGHOST=127.0.0.1
PGPORT=5432
REDIS_PORT=6379

log() { printf 'services: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  log "installing $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt_install postgresql postgresql-contrib
    fresh_install=1
  fi
  if ! pg_up; then
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    log "starting PostgreSQL $ver"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || { log "PostgreSQL does not answer on $PGHOST:$PGPORT"; exit 1; }
  if ! psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    if [ "${fresh_install:-0}" = 1 ]; then
      # A fresh Debian install asks for passwords on TCP; this development
      # machine's server trusts loopback like CI's does.
      ver=$(ls /etc/postgresql | sort -V | tail -n 1)
      hba=/etc/postgresql/$ver/main/pg_hba.conf
      log "trusting loopback connections in $hba"
      as_root sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
      as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
      sleep 1
    fi
    psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null ||
      { log "cannot connect as postgres to $PGHOST:$PGPORT (trust auth expected)"; exit 1; }
  fi
}

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
  fi
  if ! redis_up; then
    log "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  fi
  redis_up || { log "Redis does not answer on 127.0.0.1:$REDIS_PORT"; exit 1; }
}

ensure_postgres
ensure_redis
log "PostgreSQL and Redis are up"
