#!/usr/bin/env bash
# Runs before `npm start`, `npm run demo` and `npm test` (npm pre-scripts): installs the locked
# node modules when they are missing or older than package-lock.json, so a fresh clone needs no
# separate install step. A no-op (milliseconds) when they are current.
set -euo pipefail
cd "$(dirname "$0")/.."
marker=node_modules/.package-lock.json
if [[ ! -f "$marker" || package-lock.json -nt "$marker" ]]; then
  echo "installing node modules (npm ci)…" >&2
  npm ci --no-audit --no-fund >&2
fi
