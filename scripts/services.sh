#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis the test suite uses, when they are installed but not running.
# Never installs anything (.ci/run does that with apt); says clearly what is missing.
set -u
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
  fi
  pg_up || echo "services: PostgreSQL is not running on 127.0.0.1:5432 (install: apt-get install -y postgresql); tests fall back to embedded PGlite"
fi

if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 30); do redis_up && break; sleep 0.2; done
  fi
  if ! redis_up; then
    echo "services: Redis is required by the multi-node tests and is not running on 127.0.0.1:6379 (install: apt-get install -y redis-server)" >&2
    exit 1
  fi
fi
exit 0
