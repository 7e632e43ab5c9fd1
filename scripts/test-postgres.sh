#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the tests, on loopback only, and prints its URL.
# Idempotent: an existing cluster is reused (started if down). Needs root (for pg_createcluster)
# and Debian's postgresql package (.ci/run installs it when missing).
set -euo pipefail
PORT="${MOVIENIGHT_TEST_PG_PORT:-55432}"
NAME=movienight_test
VERSION=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$NAME"; then
  pg_createcluster "$VERSION" "$NAME" -p "$PORT" \
    -o listen_addresses=localhost -o fsync=off -o synchronous_commit=off -o full_page_writes=off \
    -o max_connections=200 -- --auth=trust >/dev/null
fi
if ! pg_lsclusters -h | awk -v n="$NAME" '$2==n {print $4}' | grep -qx online; then
  pg_ctlcluster "$VERSION" "$NAME" start
fi
for _ in $(seq 1 50); do
  pg_isready -h 127.0.0.1 -p "$PORT" -q && break
  sleep 0.2
done
echo "postgres://postgres@127.0.0.1:${PORT}/postgres"
