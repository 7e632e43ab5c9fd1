#!/usr/bin/env bash
# Starts a throwaway Redis for the tests, on loopback only and without persistence, and prints its
# URL. Idempotent: a Redis already answering on the port is reused. Needs Debian's redis-server
# (.ci/run installs it when missing).
set -euo pipefail
PORT="${MOVIENIGHT_TEST_REDIS_PORT:-56379}"
DIR="${TMPDIR:-/tmp}/movienight-test-redis"
mkdir -p "$DIR"
if ! redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1; then
  redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR"
fi
for _ in $(seq 1 50); do
  redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.2
done
echo "redis://127.0.0.1:${PORT}"
