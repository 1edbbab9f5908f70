#!/usr/bin/env bash
# Prints the path of a Compose implementation the tests can run `config` with
# (test/unit/compose.test.ts), installing Debian's `docker-compose` (1.29.x) when none is there.
# Idempotent. Order: $DOCKER_COMPOSE (an executable), `docker-compose` on PATH, Debian's package
# via apt-get (only as root). `docker compose` (the v2 plugin) is not used: its output differs.
# Exit codes: 0 ok (path on stdout, nothing else), 3 none found and cannot install (not root, or
# apt-get failed); messages go to stderr.
set -euo pipefail

log() { printf 'install-compose: %s\n' "$*" >&2; }

if [[ -n "${DOCKER_COMPOSE:-}" ]]; then
  if [[ -x "$DOCKER_COMPOSE" ]]; then
    printf '%s\n' "$DOCKER_COMPOSE"
    exit 0
  fi
  log "DOCKER_COMPOSE=$DOCKER_COMPOSE is not an executable file"
  exit 3
fi

if found="$(command -v docker-compose 2>/dev/null)"; then
  printf '%s\n' "$found"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  log "no docker-compose on PATH and not root: install it (apt-get install docker-compose) or set DOCKER_COMPOSE"
  exit 3
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "no docker-compose on PATH and no apt-get: install a Compose implementation or set DOCKER_COMPOSE"
  exit 3
fi

log "installing Debian's docker-compose package"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  if ! apt-get install -y -qq --no-install-recommends docker-compose >&2; then
    log "apt-get install docker-compose failed"
    exit 3
  fi
fi
if found="$(command -v docker-compose 2>/dev/null)"; then
  printf '%s\n' "$found"
  exit 0
fi
log "docker-compose installed but not on PATH"
exit 3
