#!/usr/bin/env bash
# Prints the path of a Chromium the dashboard's browser test drives headless
# (test/integration/dashboard.test.ts, through playwright-core), installing Debian's `chromium`
# when none is there. Idempotent. Order: $CHROMIUM_PATH (an executable), `chromium` /
# `chromium-browser` on PATH, Debian's package via apt-get (only as root).
# Exit codes: 0 ok (path on stdout, nothing else), 3 none found and cannot install (not root, or
# apt-get failed); messages go to stderr.
set -euo pipefail

log() { printf 'install-chromium: %s\n' "$*" >&2; }

if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  if [[ -x "$CHROMIUM_PATH" ]]; then
    printf '%s\n' "$CHROMIUM_PATH"
    exit 0
  fi
  log "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
  exit 3
fi

find_chromium() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null; }

if found="$(find_chromium)"; then
  printf '%s\n' "$found"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  log "no chromium on PATH and not root: install it (apt-get install chromium) or set CHROMIUM_PATH"
  exit 3
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "no chromium on PATH and no apt-get: install Chromium or set CHROMIUM_PATH"
  exit 3
fi

log "installing Debian's chromium package (a few minutes on a cold machine)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  if ! apt-get install -y -qq --no-install-recommends chromium >&2; then
    log "apt-get install chromium failed"
    exit 3
  fi
fi
if found="$(find_chromium)"; then
  printf '%s\n' "$found"
  exit 0
fi
log "chromium installed but not on PATH"
exit 3
