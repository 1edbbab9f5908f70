#!/usr/bin/env bash
# `npm test`: the whole suite, starting whatever it needs. Static checks first (fast failures),
# then unit tests, then the integration suite (which builds the Temporal CLI on first use and
# starts a private PostgreSQL, the Temporal dev server and the API simulator by itself), a short
# chaos run, and the native cluster profile (a Temporal server built from its Go module, cached in
# .tools/bin, on PostgreSQL). Debian's chromium is installed when absent (the dashboard's browser test).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$1"; }
step "typecheck";        npx tsc --noEmit -p tsconfig.json
step "lint";             npx eslint --max-warnings 0 .
step "workflow bundle";  node --import tsx workers/build-workflow-bundle.ts --check
step "temporal cli";     bash scripts/install-temporal-cli.sh >/dev/null
step "compose";          bash scripts/install-compose.sh >/dev/null
step "temporal server";  bash scripts/install-temporal-server.sh >/dev/null
step "chromium";         bash scripts/install-chromium.sh >/dev/null
step "unit tests";       npx vitest run --project unit
step "integration tests"; npx vitest run --project integration
step "chaos (seed 3, 1 min)"; node --import tsx test/chaos/chaos.ts --seed 3 --minutes 1
step "cluster profile";  node --import tsx test/cluster/cluster.ts
step "bench (smoke)";    node --import tsx test/bench/bench.ts --smoke
