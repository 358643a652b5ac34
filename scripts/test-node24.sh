#!/usr/bin/env bash
# The server test suite on Node.js 24 LTS (what the Docker image runs), beside `npm test` on the machine's
# Node. Coverage thresholds are enforced by `npm test`; this run checks behaviour only.
set -euo pipefail
cd "$(dirname "$0")/.."
node24=$(bash scripts/node24.sh)
export PATH="$(dirname "$node24"):$PATH"
echo "test:node24: $(node --version)"
cd server && exec node ../node_modules/vitest/vitest.mjs run --coverage.enabled=false "$@"
