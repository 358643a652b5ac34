#!/usr/bin/env bash
# Runs the deployment for real (CI runs this): the compose files with dclint, then a Docker engine on this
# machine (installed and started when missing), local stand-ins for the base images when no registry
# answers (deploy/standins/build.sh), and then what a family does:
#   docker compose up -d --build --wait; setup, invite, register, a message over HTTP and one over the
#   WebSocket, /readyz, all through the published port; `docker compose restart` keeps the data; SIGTERM
#   stops the app cleanly; the scale-out file with two nodes behind its load balancer carries a message
#   sent through node 1 to a socket on node 2, and a file uploaded through node 1 (stored in its MinIO) is
#   served by node 2 byte for byte; `down -v`.
# Every step prints its time. When the engine cannot be had, this fails loudly: it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
project=famichat-check
image=$project-famichat # what compose names the image it builds for the `famichat` service

started=$SECONDS
step_at=$SECONDS
say() { echo "deploy: $*"; }
step() {
  say "took $((SECONDS - step_at)) s"
  step_at=$SECONDS
  echo "== deployment: $*"
}
fail() {
  printf 'deploy: FAILED: %b\n' "$*" >&2
  exit 1
}
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

echo "== deployment: compose files (dclint)"
npx --no -- dclint --max-warnings 0 docker-compose.yml docker-compose.scale.yml
say "docker-compose.yml and docker-compose.scale.yml pass dclint"

step "a Docker engine with the compose and buildx plugins"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else fail "installing Docker needs root: $*"; fi; }
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing docker.io and debootstrap with apt"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
fi
if ! docker compose version >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then
  # Debian 12 has neither plugin; Debian 13 ships both as static binaries. An apt state of its own keeps the
  # host's sources untouched.
  say "installing the compose and buildx plugins from Debian 13's packages"
  apt_dir=$(mktemp -d)
  mkdir -p "$apt_dir/etc" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$apt_dir/etc/trixie.sources"
  apt_opts=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$apt_dir/etc" -o "Dir::State::lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download docker-compose docker-buildx >/dev/null)
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$apt_dir/x"; done
  as_root mkdir -p /usr/local/lib/docker/cli-plugins
  as_root cp "$apt_dir"/x/usr/libexec/docker/cli-plugins/docker-{compose,buildx} /usr/local/lib/docker/cli-plugins/
  rm -rf "$apt_dir"
fi
dockerd_pid=
if ! docker info >/dev/null 2>&1; then
  say "starting dockerd"
  as_root true
  dockerd >/tmp/famichat-dockerd.log 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || fail "dockerd did not start:\n$(tail -20 /tmp/famichat-dockerd.log)"
fi
say "$(docker version --format 'engine {{.Server.Version}}'), $(docker compose version --short | sed 's/^/compose /'), $(docker info --format 'storage {{.Driver}}')"

work=$(mktemp -d "${TMPDIR:-/tmp}/famichat-deploy.XXXXXX")
# The machine's extra CA certificates reach the image build as a build secret (npm behind a TLS-inspecting proxy).
export FAMICHAT_CA_BUNDLE="$work/ca-certificates.pem"
cat /usr/local/share/ca-certificates/*.crt >"$FAMICHAT_CA_BUNDLE" 2>/dev/null || true
export POSTGRES_PASSWORD="check$RANDOM$RANDOM" MINIO_ROOT_PASSWORD="check$RANDOM$RANDOM$RANDOM" FAMICHAT_IMAGE=$image FAMICHAT_PUBLIC_URL=http://localhost
single=(-p "$project" -f docker-compose.yml -f deploy/ci/compose.build.yml)
scale=(-p "$project" -f docker-compose.scale.yml -f deploy/ci/compose.scale.yml)
down_all() {
  docker compose "${single[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  docker compose "${scale[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
}
cleanup() {
  down_all
  # Each run's image replaces the last: drop the untagged ones so the disk does not fill over many runs.
  docker image prune -f >/dev/null 2>&1 || true
  rm -rf "$work"
  if [ -n "$dockerd_pid" ]; then kill "$dockerd_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
down_all # what an interrupted earlier run left (its database volume has another password)

step "base images (local stand-ins where no registry answers)"
registry_ok=
for base in node:24-trixie-slim postgres:17-alpine redis:8-alpine caddy:2-alpine minio/minio:RELEASE.2025-04-22T22-12-26Z; do
  docker image inspect "$base" >/dev/null 2>&1 && continue
  if [ -z "$registry_ok" ] && timeout 20 docker pull -q "$base" >/dev/null 2>&1; then continue; fi
  registry_ok=no
done
if [ "$registry_ok" = no ] || [ -n "$(docker image inspect --format '{{index .Config.Labels "famichat.standin"}}' node:24-trixie-slim 2>/dev/null)" ]; then
  bash deploy/standins/build.sh
fi

step "docker compose up -d --build --wait (docker-compose.yml)"
export FAMICHAT_HTTP_PORT
FAMICHAT_HTTP_PORT=$(free_port)
export FAMICHAT_PUBLIC_URL="http://localhost:$FAMICHAT_HTTP_PORT"
docker compose "${single[@]}" up -d --build --wait --quiet-pull >"$work/up.log" 2>&1 || fail "docker compose up failed:\n$(tail -40 "$work/up.log")\n$(docker compose "${single[@]}" logs --tail 30 2>&1)"
docker compose "${single[@]}" ps --format '{{.Service}} {{.Status}}' | while read -r line; do say "$line"; done
[ "$(docker compose "${single[@]}" ps --status running -q | wc -l)" -eq 3 ] || fail "not every service is running:\n$(docker compose "${single[@]}" logs --tail 30)"
base_url="http://127.0.0.1:$FAMICHAT_HTTP_PORT"

step "the image: unprivileged, production dependencies only, refuses to start without its settings"
user=$(docker run --rm --entrypoint id "$image" -u)
[ "$user" != 0 ] || fail "the image runs as root"
docker run --rm --entrypoint sh "$image" -c '! test -e node_modules/typescript && ! test -e node_modules/vitest' || fail "development dependencies are in the image"
set +e
refusal=$(docker run --rm "$image" 2>&1)
code=$?
set -e
[ "$code" -ne 0 ] && grep -q DATABASE_URL <<<"$refusal" || fail "without DATABASE_URL the image must refuse to start naming it; exit $code:\n$refusal"
say "runs as uid $user; no development dependencies; without settings it exits $code naming DATABASE_URL"

step "first use through the published port"
node scripts/deploy-smoke.js first-use "$base_url" "$work/state.json"
page=$(node -e "fetch('$base_url/', { headers: { accept: 'text/html' } }).then(async (r) => console.log(r.status, r.headers.get('content-type'), (await r.text()).includes('<html')))")
[[ "$page" == "200 text/html"*" true" ]] || fail "the web client is not served at /: $page"
say "the web client is served at / ($page)"

wait_ready() { node scripts/deploy-smoke.js ready "$1"; }

step "docker compose restart famichat: the data is still there"
docker compose "${single[@]}" restart famichat >/dev/null 2>&1
wait_ready "$base_url"
node scripts/deploy-smoke.js still-there "$base_url" "$work/state.json"

step "docker compose stop famichat: SIGTERM ends it cleanly"
stop_at=$SECONDS
docker compose "${single[@]}" stop famichat >/dev/null 2>&1
took=$((SECONDS - stop_at))
code=$(docker inspect --format '{{.State.ExitCode}}' "$(docker compose "${single[@]}" ps -a -q famichat)")
[ "$code" = 0 ] || fail "the app exited with $code after SIGTERM:\n$(docker compose "${single[@]}" logs --tail 30 famichat)"
# The log is read whole first: `logs | grep -q` fails under pipefail when grep stops reading early.
app_log=$(docker compose "${single[@]}" logs famichat 2>&1)
grep -q '"msg":"shut down cleanly"' <<<"$app_log" || fail "no clean shutdown in the app's log:\n$(tail -20 <<<"$app_log")"
[ "$took" -le 10 ] || fail "stopping took $took s"
say "exit 0 within $took s, 'shut down cleanly' logged"
docker compose "${single[@]}" down -v >/dev/null 2>&1

step "docker compose -f docker-compose.scale.yml up: two nodes behind the load balancer, one MinIO"
export FAMICHAT_LB_PORT
FAMICHAT_LB_PORT=$(free_port)
export FAMICHAT_PUBLIC_URL="http://localhost:$FAMICHAT_LB_PORT"
docker compose "${scale[@]}" up -d --wait --quiet-pull >"$work/up-scale.log" 2>&1 || fail "docker compose up (scale) failed:\n$(tail -40 "$work/up-scale.log")\n$(docker compose "${scale[@]}" logs --tail 30 2>&1)"
[ "$(docker compose "${scale[@]}" ps --status running -q | wc -l)" -eq 6 ] || fail "not every service is running:\n$(docker compose "${scale[@]}" logs --tail 30)"
wait_ready "http://127.0.0.1:$FAMICHAT_LB_PORT"
node1="http://$(docker compose "${scale[@]}" port famichat-1 4000)"
node2="http://$(docker compose "${scale[@]}" port famichat-2 4000)"
node scripts/deploy-smoke.js across "$node1" "$node2"
node scripts/deploy-media.js "$node1" "$node2"
docker compose "${scale[@]}" down -v >/dev/null 2>&1

step "done"
say "all deployment checks passed in $((SECONDS - started)) s"
