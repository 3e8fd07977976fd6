#!/usr/bin/env bash
# Make sure the Redis server used by the test suite answers on 127.0.0.1:6379.
# Starts a throwaway one (no persistence) when it is down and `redis-server` exists;
# fails (never skips) with a one-line reason when it still cannot be reached.
set -euo pipefail
host=${REDIS_HOST:-127.0.0.1}
port=${REDIS_PORT:-6379}

ready() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$host" -p "$port" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

if ready; then exit 0; fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "Redis is not reachable at $host:$port and redis-server is not installed" >&2
  exit 1
fi
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no >/dev/null
for _ in $(seq 1 30); do
  if ready; then exit 0; fi
  sleep 1
done
echo "Redis is not reachable at $host:$port" >&2
exit 1
