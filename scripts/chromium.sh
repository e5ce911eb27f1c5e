#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests
# (frontend/e2e), with CJK fonts so screenshots show the Chinese UI: installs
# the `chromium` and `fonts-noto-cjk` packages with apt-get when missing. The
# tests drive it with playwright-core; no browser is ever downloaded through
# npm. Used by `make test-frontend`; safe to run any number of times.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

log() { printf 'chromium: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
if ! [ -x "$CHROMIUM" ] || ! "$CHROMIUM" --version >/dev/null 2>&1; then
  missing+=(chromium)
fi
if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  missing+=(fonts-noto-cjk)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

log "installing ${missing[*]} from Debian's packages"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
"$CHROMIUM" --version >&2 || { log "$CHROMIUM does not run"; exit 1; }
