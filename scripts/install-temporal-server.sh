#!/usr/bin/env bash
# Resolves (or builds) the native Temporal "cluster profile" binaries and prints their absolute
# paths on stdout as three key=value lines, in this order:
#   temporal-server=/abs/path      (go.temporal.io/server/cmd/server v1.30.4)
#   temporal-sql-tool=/abs/path    (go.temporal.io/server/cmd/tools/sql v1.30.4)
#   temporal-ui-server=/abs/path   (github.com/temporalio/ui-server/v2/cmd/server v2.45.1)
# Split each line at its first '='. Nothing else goes to stdout; progress and diagnostics go to
# stderr.
#
# Resolution order, for each binary on its own:
#   1. $TEMPORAL_SERVER_PATH / $TEMPORAL_SQL_TOOL_PATH / $TEMPORAL_UI_SERVER_PATH (must be an
#      executable file; used as given, a version mismatch is only a warning)
#   2. temporal-server / temporal-sql-tool / temporal-ui-server on PATH, only at the pinned version
#   3. <repo>/.tools/bin/<name>, if its version is the pinned one (the cached build)
#   4. build it with `go install` into <repo>/.tools/bin (server + sql tool: ~7 min on 2 cores with
#      an empty build cache, ~3.5 min after the Temporal CLI build, seconds when cached; the UI
#      server ~30 s, its binary is ~250 MB because the UI assets are embedded); if that fails,
#      retry once with GOTOOLCHAIN=go1.26.10
#
# Why server v1.30.4: the newest 1.30.x that builds with Go 1.26.8 (v1.31.5+ need Go >= 1.26.10),
# no `replace` directive, and it embeds its SQL schemas (temporal-sql-tool --schema-name
# postgresql/v12/temporal). Why UI v2.45.1: released in the server 1.30 era (same go.temporal.io/api
# minor line), builds with Go 1.24+, and its embedded assets are half the size of v2.49.1's.
#
# Options:
#   --no-build   resolve only; exit 3 (and print nothing on stdout) if a build would be needed
#   --no-ui      skip the UI server (prints only the first two lines)
#
# Exit codes: 0 ok, 1 error (message on stderr), 3 build needed but --no-build given.
set -euo pipefail

SERVER_VERSION=1.30.4
UI_VERSION=2.45.1
SERVER_MODULE=go.temporal.io/server
UI_MODULE=github.com/temporalio/ui-server/v2
FALLBACK_TOOLCHAIN=go1.26.10

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="$REPO_ROOT/.tools/bin"

NO_BUILD=0
WITH_UI=1
for arg in "$@"; do
  case "$arg" in
    --no-build) NO_BUILD=1 ;;
    --no-ui) WITH_UI=0 ;;
    -h | --help)
      sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 0
      ;;
    *)
      echo "install-temporal-server: unknown argument '$arg' (try --help)" >&2
      exit 1
      ;;
  esac
done

log() { printf 'install-temporal-server: %s\n' "$*" >&2; }
die() {
  printf 'install-temporal-server: error: %s\n' "$*" >&2
  exit 1
}

# All three are urfave/cli apps: `--version` prints "<app name> version <v>", e.g.
# "temporal version 1.30.4", "temporal-sql-tool version 1.30.4", "Temporal UI version 2.45.1".
version_of() {
  local out
  out="$("$1" --version 2>/dev/null)" || return 0
  printf '%s\n' "$out" | sed -n 's/^.* version v\{0,1\}\([0-9][^ ]*\).*/\1/p' | head -n 1
}

abs_path() {
  local p="$1"
  case "$p" in
    /*) ;;
    *) p="$PWD/$p" ;;
  esac
  printf '%s/%s\n' "$(cd "$(dirname "$p")" && pwd)" "$(basename "$p")"
}

# component table: key | binary name | env override | pinned version | module | package | ldflags
KEYS=(temporal-server temporal-sql-tool)
if [[ "$WITH_UI" == 1 ]]; then KEYS+=(temporal-ui-server); fi

env_var_of() {
  case "$1" in
    temporal-server) echo TEMPORAL_SERVER_PATH ;;
    temporal-sql-tool) echo TEMPORAL_SQL_TOOL_PATH ;;
    temporal-ui-server) echo TEMPORAL_UI_SERVER_PATH ;;
  esac
}
want_of() {
  case "$1" in
    temporal-ui-server) echo "$UI_VERSION" ;;
    *) echo "$SERVER_VERSION" ;;
  esac
}
package_of() {
  case "$1" in
    temporal-server) echo "$SERVER_MODULE/cmd/server@v$SERVER_VERSION" ;;
    temporal-sql-tool) echo "$SERVER_MODULE/cmd/tools/sql@v$SERVER_VERSION" ;;
    temporal-ui-server) echo "$UI_MODULE/cmd/server@v$UI_VERSION" ;;
  esac
}
# `go install` names a binary after its package's last element: server, sql, server.
built_name_of() {
  case "$1" in
    temporal-sql-tool) echo sql ;;
    *) echo server ;;
  esac
}

declare -A RESOLVED=()
NEED_BUILD=()

cached_ok() { [[ -x "$TOOLS_BIN/$1" && "$(version_of "$TOOLS_BIN/$1")" == "$(want_of "$1")" ]]; }

for key in "${KEYS[@]}"; do
  want="$(want_of "$key")"
  var="$(env_var_of "$key")"
  # 1. explicit override
  if [[ -n "${!var:-}" ]]; then
    given="${!var}"
    if [[ ! -f "$given" || ! -x "$given" ]]; then
      die "$var=$given is not an executable file: fix the path or unset $var to use/build .tools/bin/$key"
    fi
    resolved="$(abs_path "$given")"
    v="$(version_of "$resolved")"
    if [[ "$v" != "$want" ]]; then
      log "warning: $var=$resolved reports version '${v:-unknown}', the project pins $want; using it anyway"
    fi
    log "using $var=$resolved"
    RESOLVED[$key]="$resolved"
    continue
  fi
  # 2. on PATH, only the pinned version
  if on_path="$(command -v "$key" 2>/dev/null)" && [[ -n "$on_path" ]]; then
    on_path="$(abs_path "$on_path")"
    v="$(version_of "$on_path")"
    if [[ "$v" == "$want" ]]; then
      log "using $on_path from PATH (version $v)"
      RESOLVED[$key]="$on_path"
      continue
    fi
    log "ignoring $on_path on PATH: version '${v:-unknown}', need $want"
  fi
  # 3. cached build
  if cached_ok "$key"; then
    log "using cached $TOOLS_BIN/$key (version $want)"
    RESOLVED[$key]="$TOOLS_BIN/$key"
    continue
  fi
  NEED_BUILD+=("$key")
done

print_all() {
  local key
  for key in "${KEYS[@]}"; do printf '%s=%s\n' "$key" "${RESOLVED[$key]}"; done
}

if [[ ${#NEED_BUILD[@]} -eq 0 ]]; then
  print_all
  exit 0
fi

# 4. build
if [[ "$NO_BUILD" == 1 ]]; then
  log "not found at the pinned version (no override, none on PATH, no cached build in $TOOLS_BIN): ${NEED_BUILD[*]}; --no-build given"
  exit 3
fi

GO="$(command -v go 2>/dev/null || true)"
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then
  GO=/usr/local/go/bin/go
fi
if [[ -z "$GO" ]]; then
  die "Go is not installed (no 'go' on PATH or in /usr/local/go/bin): install Go >= 1.25.8 to build ${NEED_BUILD[*]}, or set $(env_var_of "${NEED_BUILD[0]}") to an existing binary"
fi

mkdir -p "$TOOLS_BIN"

# Serialize concurrent builds (parallel test workers, two terminals): the second waits, then
# finds the cached binaries.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$REPO_ROOT/.tools/.install-temporal-server.lock"
  if ! flock -n 9; then
    log "another build of the Temporal server binaries is running; waiting for it"
    flock 9
  fi
  still=()
  for key in "${NEED_BUILD[@]}"; do
    if cached_ok "$key"; then
      log "using cached $TOOLS_BIN/$key (built by a concurrent run)"
      RESOLVED[$key]="$TOOLS_BIN/$key"
    else
      still+=("$key")
    fi
  done
  NEED_BUILD=("${still[@]+"${still[@]}"}")
  if [[ ${#NEED_BUILD[@]} -eq 0 ]]; then
    print_all
    exit 0
  fi
fi

# Each binary is built into its own scratch GOBIN (the server and the UI server would both be
# called `server`), then moved into place under its real name; a failed build leaves no partial file.
SCRATCH="$(mktemp -d "$REPO_ROOT/.tools/.build-temporal-server.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT

build_one() {
  local key="$1" toolchain="$2"
  local pkg out
  pkg="$(package_of "$key")"
  out="$SCRATCH/$key"
  rm -rf "$out"
  mkdir -p "$out"
  log "building $key ($pkg) with $("$GO" version 2>/dev/null || echo go) (GOTOOLCHAIN=$toolchain)"
  CGO_ENABLED=0 GOTOOLCHAIN="$toolchain" GOBIN="$out" \
    "$GO" install -trimpath -ldflags "-s -w" "$pkg" >&2 || return 1
  mv -f "$out/$(built_name_of "$key")" "$TOOLS_BIN/$key"
}

for key in "${NEED_BUILD[@]}"; do
  want="$(want_of "$key")"
  if [[ -e "$TOOLS_BIN/$key" ]]; then
    log "$TOOLS_BIN/$key reports version '$(version_of "$TOOLS_BIN/$key")', need $want: rebuilding"
  fi
  case "$key" in
    temporal-server) log "a cold build compiles the whole server (and downloads its modules if not cached): expect ~7 minutes on 2 cores" ;;
    temporal-ui-server) log "the UI server embeds ~235 MB of UI assets: expect a ~250 MB binary" ;;
  esac
  start=$(date +%s)
  if ! build_one "$key" local; then
    log "build of $key with the local Go toolchain failed after $(($(date +%s) - start))s; retrying once with GOTOOLCHAIN=$FALLBACK_TOOLCHAIN"
    if ! build_one "$key" "$FALLBACK_TOOLCHAIN"; then
      die "go install $(package_of "$key") failed with the local toolchain and with GOTOOLCHAIN=$FALLBACK_TOOLCHAIN (see the go output above); set $(env_var_of "$key") to an existing binary to skip the build"
    fi
  fi
  elapsed=$(($(date +%s) - start))
  v="$(version_of "$TOOLS_BIN/$key")"
  if [[ "$v" != "$want" ]]; then
    die "built $TOOLS_BIN/$key but '$key --version' reports '${v:-nothing}', expected $want"
  fi
  log "built $key $want in ${elapsed}s: $TOOLS_BIN/$key"
  RESOLVED[$key]="$TOOLS_BIN/$key"
done

print_all
