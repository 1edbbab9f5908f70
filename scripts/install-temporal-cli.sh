#!/usr/bin/env bash
# Prints the absolute path of a usable Temporal CLI (v1.5.1) on its last stdout line.
# Progress and diagnostics go to stderr.
#
# Resolution order:
#   1. $TEMPORAL_CLI_PATH (must be an executable file; used as given, a version mismatch is only a warning)
#   2. `temporal` on PATH, only if `temporal --version` reports 1.5.1
#   3. <repo>/.tools/bin/temporal, if its version is 1.5.1 (the cached build)
#   4. build it with `go install` into <repo>/.tools/bin (several minutes on a cold module cache);
#      if that fails, retry once with GOTOOLCHAIN=go1.27.3
#
# Why v1.5.1: it is the newest CLI that `go install` accepts (v1.6.0+ carry a `replace` directive);
# see docs/temporal-cli.md (and the design notes' temporal-notes.md §A1).
#
# Options:
#   --no-build   resolve only; exit 3 (and print nothing on stdout) if a build would be needed
#
# Exit codes: 0 ok, 1 error (message on stderr), 3 build needed but --no-build given.
set -euo pipefail

WANT_VERSION=1.5.1
MODULE=github.com/temporalio/cli/cmd/temporal
FALLBACK_TOOLCHAIN=go1.27.3

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="$REPO_ROOT/.tools/bin"
CACHED="$TOOLS_BIN/temporal"

NO_BUILD=0
for arg in "$@"; do
  case "$arg" in
    --no-build) NO_BUILD=1 ;;
    -h | --help)
      sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 0
      ;;
    *)
      echo "install-temporal-cli: unknown argument '$arg' (try --help)" >&2
      exit 1
      ;;
  esac
done

log() { printf 'install-temporal-cli: %s\n' "$*" >&2; }
die() {
  printf 'install-temporal-cli: error: %s\n' "$*" >&2
  exit 1
}

# `temporal --version` prints "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)".
version_of() {
  local out
  out="$("$1" --version 2>/dev/null)" || return 0
  printf '%s\n' "$out" | sed -n 's/^temporal version \([^ ]*\).*/\1/p' | head -n 1
}

abs_path() {
  local p="$1"
  case "$p" in
    /*) ;;
    *) p="$PWD/$p" ;;
  esac
  printf '%s/%s\n' "$(cd "$(dirname "$p")" && pwd)" "$(basename "$p")"
}

# 1. explicit override
if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  if [[ ! -f "$TEMPORAL_CLI_PATH" || ! -x "$TEMPORAL_CLI_PATH" ]]; then
    die "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file: fix the path or unset TEMPORAL_CLI_PATH to use/build .tools/bin/temporal"
  fi
  resolved="$(abs_path "$TEMPORAL_CLI_PATH")"
  v="$(version_of "$resolved")"
  if [[ "$v" != "$WANT_VERSION" ]]; then
    log "warning: TEMPORAL_CLI_PATH=$resolved reports version '${v:-unknown}', the project pins $WANT_VERSION; using it anyway"
  fi
  log "using TEMPORAL_CLI_PATH=$resolved"
  printf '%s\n' "$resolved"
  exit 0
fi

# 2. temporal on PATH, only the pinned version
if on_path="$(command -v temporal 2>/dev/null)" && [[ -n "$on_path" ]]; then
  on_path="$(abs_path "$on_path")"
  v="$(version_of "$on_path")"
  if [[ "$v" == "$WANT_VERSION" ]]; then
    log "using $on_path from PATH (version $v)"
    printf '%s\n' "$on_path"
    exit 0
  fi
  log "ignoring $on_path on PATH: version '${v:-unknown}', need $WANT_VERSION"
fi

# 3. cached build
cached_ok() { [[ -x "$CACHED" && "$(version_of "$CACHED")" == "$WANT_VERSION" ]]; }
if cached_ok; then
  log "using cached $CACHED (version $WANT_VERSION)"
  printf '%s\n' "$CACHED"
  exit 0
fi

# 4. build
if [[ "$NO_BUILD" == 1 ]]; then
  log "no Temporal CLI $WANT_VERSION found (TEMPORAL_CLI_PATH unset, none on PATH, no $CACHED) and --no-build given"
  exit 3
fi

GO="$(command -v go 2>/dev/null || true)"
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then
  GO=/usr/local/go/bin/go
fi
if [[ -z "$GO" ]]; then
  die "Go is not installed (no 'go' on PATH or in /usr/local/go/bin): install Go >= 1.25 to build the Temporal CLI $WANT_VERSION, or set TEMPORAL_CLI_PATH to an existing Temporal CLI binary"
fi

mkdir -p "$TOOLS_BIN"

# Serialize concurrent builds (parallel test workers, two terminals): the second waits, then
# finds the cached binary.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$REPO_ROOT/.tools/.install-temporal-cli.lock"
  if ! flock -n 9; then
    log "another build of the Temporal CLI is running; waiting for it"
    flock 9
  fi
  if cached_ok; then
    log "using cached $CACHED (built by a concurrent run)"
    printf '%s\n' "$CACHED"
    exit 0
  fi
fi

if [[ -e "$CACHED" ]]; then
  log "$CACHED reports version '$(version_of "$CACHED")', need $WANT_VERSION: rebuilding"
fi

build() {
  local toolchain="$1"
  log "building Temporal CLI $WANT_VERSION with $("$GO" version 2>/dev/null || echo go) (GOTOOLCHAIN=$toolchain) into $TOOLS_BIN"
  log "a cold build downloads ~1000 modules and compiles server + UI: expect several minutes"
  CGO_ENABLED=0 GOTOOLCHAIN="$toolchain" GOBIN="$TOOLS_BIN" \
    "$GO" install -trimpath \
    -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$WANT_VERSION" \
    "$MODULE@v$WANT_VERSION" >&2
}

start=$(date +%s)
if ! build local; then
  log "build with the local Go toolchain failed after $(($(date +%s) - start))s; retrying once with GOTOOLCHAIN=$FALLBACK_TOOLCHAIN"
  if ! build "$FALLBACK_TOOLCHAIN"; then
    die "go install $MODULE@v$WANT_VERSION failed with the local toolchain and with GOTOOLCHAIN=$FALLBACK_TOOLCHAIN (see the go output above); set TEMPORAL_CLI_PATH to an existing Temporal CLI binary to skip the build"
  fi
fi
elapsed=$(($(date +%s) - start))

v="$(version_of "$CACHED")"
if [[ "$v" != "$WANT_VERSION" ]]; then
  die "built $CACHED but '$CACHED --version' reports '${v:-nothing}', expected $WANT_VERSION"
fi
log "built Temporal CLI $WANT_VERSION in ${elapsed}s: $CACHED"
printf '%s\n' "$CACHED"
