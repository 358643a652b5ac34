#!/usr/bin/env bash
# Checks the deployment files on a machine without a Docker engine:
#  1. the compose files with dclint (schema and best practices; warnings fail too);
#  2. the Dockerfile by doing what the image does: copy the build context (minus .dockerignore), run the
#     RUN steps of its `build` stage (npm ci, npm run build, npm prune --omit=dev), then, with the runtime
#     stage's ENV, as an unprivileged user, in production mode against a fresh PostgreSQL database and
#     the local Redis: a missing required setting must stop the server with its name; the CMD must come
#     up until the image's own HEALTHCHECK passes (/readyz 200); SIGTERM must end it with 0 within 10 s.
# The RUN/ENV/CMD/HEALTHCHECK lines are read from the Dockerfile itself, so this check follows it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

admin_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis_url=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
start_limit=90 # seconds for migrations and start-up until the health check passes

say() { echo "deploy: $*"; }
fail() {
  printf 'deploy: FAILED: %b\n' "$*" >&2
  exit 1
}

echo "== deployment: compose files (dclint)"
npx --no -- dclint --max-warnings 0 docker-compose.yml docker-compose.scale.yml
say "docker-compose.yml and docker-compose.scale.yml pass dclint"

# Prints one part of the Dockerfile: `runs STAGE` (one RUN command a line, --mount flags dropped),
# `env STAGE` (KEY=VALUE lines), `cmd STAGE` / `healthcheck STAGE` (exec-form arguments, NUL-separated),
# `user STAGE`.
dockerfile() {
  node --input-type=module - "$root/Dockerfile" "$@" <<'JS'
import { readFileSync } from 'node:fs';
const [file, what, stage] = process.argv.slice(2);
const lines = readFileSync(file, 'utf8').replace(/\\\r?\n/g, ' ').split('\n').map((l) => l.trim());
const stages = new Map();
let current;
for (const line of lines) {
  if (line === '' || line.startsWith('#')) continue;
  const [, instruction, rest] = /^(\S+)\s*(.*)$/.exec(line);
  if (instruction.toUpperCase() === 'FROM') {
    current = /\sAS\s+(\S+)$/i.exec(rest)?.[1] ?? '';
    stages.set(current, []);
  } else if (current !== undefined) {
    stages.get(current).push({ instruction: instruction.toUpperCase(), rest });
  }
}
const steps = stages.get(stage);
if (!steps) throw new Error(`Dockerfile has no stage "${stage}"`);
const of = (name) => steps.filter((s) => s.instruction === name).map((s) => s.rest);
const execForm = (text, name) => {
  const args = JSON.parse(text);
  if (!Array.isArray(args) || args.length === 0) throw new Error(`${name} must use the exec form ["...", ...]`);
  return args;
};
if (what === 'runs') {
  for (const run of of('RUN')) process.stdout.write(`${run.replace(/^(--\S+\s+)+/, '')}\n`);
} else if (what === 'env') {
  for (const env of of('ENV')) {
    if (/["']/.test(env)) throw new Error('ENV values must not be quoted (this check reads KEY=VALUE pairs)');
    for (const pair of env.split(/\s+/)) process.stdout.write(`${pair}\n`);
  }
} else if (what === 'cmd') {
  const cmd = of('CMD').at(-1);
  if (!cmd) throw new Error(`stage ${stage} has no CMD`);
  process.stdout.write(execForm(cmd, 'CMD').join('\0') + '\0');
} else if (what === 'healthcheck') {
  const check = of('HEALTHCHECK').at(-1);
  const json = check && /\bCMD\s+(\[.*\])\s*$/.exec(check)?.[1];
  if (!json) throw new Error(`stage ${stage} has no HEALTHCHECK CMD [...]`);
  process.stdout.write(execForm(json, 'HEALTHCHECK').join('\0') + '\0');
} else if (what === 'user') {
  process.stdout.write(`${of('USER').at(-1) ?? 'root'}\n`);
} else {
  throw new Error(`unknown part ${what}`);
}
JS
}

echo "== deployment: the Dockerfile's steps, run here"
mapfile -t build_runs < <(dockerfile runs build)
mapfile -t image_env < <(dockerfile env runtime)
mapfile -d '' -t image_cmd < <(dockerfile cmd runtime)
mapfile -d '' -t image_health < <(dockerfile healthcheck runtime)
image_user=$(dockerfile user runtime)
[ ${#build_runs[@]} -gt 0 ] || fail "the Dockerfile's build stage has no RUN step"
[ ${#image_cmd[@]} -gt 0 ] || fail "the Dockerfile's runtime stage has no CMD"
case "$image_user" in root | 0 | 0:*) fail "the image runs as root (USER $image_user)" ;; esac
printf '%s\n' "${image_env[@]}" | grep -qx 'NODE_ENV=production' || fail "the runtime stage does not set NODE_ENV=production"
say "build steps: $(printf '[%s] ' "${build_runs[@]}")"
say "runtime: USER $image_user, ENV ${image_env[*]}, CMD ${image_cmd[*]}"

bash scripts/services.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/famichat-deploy.XXXXXX")
chmod 755 "$work"
database="famichat_deploy_$(date +%s)_$$"
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  psql "$admin_url" -qtAc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The build context: the repository minus .dockerignore (plain names and paths only, as that file says).
excludes=()
while IFS= read -r pattern; do
  pattern=${pattern%%#*}
  pattern=$(echo "$pattern" | xargs)
  [ -n "$pattern" ] || continue
  case "$pattern" in '!'*) fail ".dockerignore exceptions (!$pattern) are not supported by this check" ;; esac
  pattern=${pattern#\*\*/}
  excludes+=("--exclude=${pattern#/}")
done <.dockerignore
mkdir "$work/app"
tar -C "$root" "${excludes[@]}" -cf - . | tar -C "$work/app" -xf -
[ ! -e "$work/app/node_modules" ] && [ ! -e "$work/app/.env" ] && [ ! -e "$work/app/.git" ] ||
  fail ".dockerignore lets node_modules, .env or .git into the build context"
say "build context: $(du -sh "$work/app" | cut -f1) in $work/app"

for step in "${build_runs[@]}"; do
  say "RUN $step"
  (cd "$work/app" && env -u NODE_ENV bash -euo pipefail -c "$step") || fail "build step failed: $step"
done
[ -f "$work/app/${image_cmd[-1]}" ] || fail "the build did not produce ${image_cmd[-1]}"
for dev in typescript vitest dclint; do
  [ ! -e "$work/app/node_modules/$dev" ] || fail "development dependency $dev is still installed after the build stage"
done
say "built; development dependencies pruned ($(du -sh "$work/app" | cut -f1) to ship)"

# The container's environment: the image's ENV, then what docker-compose.yml adds.
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
psql "$admin_url" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $database" >/dev/null
database_url="${admin_url%/*}/$database"
run_env=(PATH="$PATH" HOME=/nonexistent "${image_env[@]}" PORT="$port" FAMICHAT_DATA_DIR="$work/data" LOG_LEVEL=info)
compose_env=(DATABASE_URL="$database_url" REDIS_URL="$redis_url" FAMICHAT_PUBLIC_URL="http://localhost:$port")
as_user=()
if [ "$(id -u)" = 0 ]; then
  # Like USER in the image: an unprivileged user who can read, not write, the application files.
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  say "running as uid 65534 (nobody), as the image runs as $image_user"
fi
# Runs a command the way the container would (call it in a subshell: it replaces the shell it runs in).
run() {
  cd "$work/app"
  exec env -i "${run_env[@]}" "$@"
}

say "production mode without DATABASE_URL must refuse to start"
set +e
refusal=$(run FAMICHAT_PUBLIC_URL="http://localhost:$port" REDIS_URL="$redis_url" "${as_user[@]}" timeout 30 "${image_cmd[@]}" 2>&1)
code=$?
set -e
[ "$code" -ne 0 ] || fail "the server started in production mode without DATABASE_URL"
grep -q "DATABASE_URL" <<<"$refusal" || fail "the refusal does not name DATABASE_URL:\n$refusal"
say "refused with exit code $code: $(grep DATABASE_URL <<<"$refusal" | head -1 | xargs)"

say "starting: ${image_cmd[*]} (NODE_ENV=production, PostgreSQL database $database, Redis $redis_url, port $port)"
log="$work/server.log"
run "${compose_env[@]}" "${as_user[@]}" "${image_cmd[@]}" >"$log" 2>&1 &
server_pid=$!
deadline=$((SECONDS + start_limit))
until (run "${as_user[@]}" timeout 10 "${image_health[@]}") >/dev/null 2>&1; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$log" >&2
    fail "the server exited before its health check passed"
  fi
  if [ $SECONDS -ge $deadline ]; then
    cat "$log" >&2
    fail "the health check did not pass within $start_limit s"
  fi
  sleep 0.5
done
ready=$(node -e "fetch('http://127.0.0.1:$port/readyz').then((r) => r.text()).then(console.log)")
grep -q '"database":"ok"' <<<"$ready" && grep -q '"bus":"ok"' <<<"$ready" || fail "/readyz does not report database and bus: $ready"
grep -q '"database":"postgresql","bus":"redis"' "$log" || fail "the server did not start on PostgreSQL with Redis:\n$(cat "$log")"
say "HEALTHCHECK passes: /readyz 200 $ready"
if [ -f "$work/app/web/package.json" ]; then
  [ -f "$work/app/web/dist/index.html" ] || fail "the build stage did not build the web client (web/dist/index.html)"
  page=$(node -e "fetch('http://127.0.0.1:$port/', { headers: { accept: 'text/html' } }).then(async (r) => console.log(r.status, r.headers.get('content-type'), (await r.text()).includes('<html')))")
  [[ "$page" == "200 text/html"*" true" ]] || fail "the web client is not served at /: $page"
  say "the web client is built in and served at / ($page)"
fi

say "SIGTERM"
kill -TERM "$server_pid"
stopped_at=$SECONDS
while kill -0 "$server_pid" 2>/dev/null && [ $((SECONDS - stopped_at)) -le 12 ]; do sleep 0.2; done
if kill -0 "$server_pid" 2>/dev/null; then
  cat "$log" >&2
  fail "the server was still running $((SECONDS - stopped_at)) s after SIGTERM"
fi
set +e
wait "$server_pid"
code=$?
set -e
server_pid=
[ "$code" -eq 0 ] || {
  cat "$log" >&2
  fail "the server exited with $code after SIGTERM"
}
grep -q '"msg":"shut down cleanly"' "$log" || fail "no clean shutdown in the log:\n$(cat "$log")"
say "stopped cleanly (exit 0) within $((SECONDS - stopped_at)) s of SIGTERM"
say "all deployment checks passed"
