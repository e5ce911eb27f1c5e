#!/usr/bin/env bash
# Regenerates ent, entgql and gqlgen output in a scratch copy of the tree and
# fails if it differs from what is committed: generated code is never edited
# by hand and never stale.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Copy the working tree (tracked and untracked, not ignored).
git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$tmp" 2>/dev/null || true
( cd "$tmp" && make -s generate >/dev/null )
status=0
for d in ent graph; do
  if ! diff -r -q "$d" "$tmp/$d" >/dev/null; then
    echo "generated code in $d/ is stale; run 'make generate' and commit:" >&2
    diff -r -q "$d" "$tmp/$d" >&2 || true
    status=1
  fi
done
[ $status -eq 0 ] && echo "generated code is up to date"
exit $status
