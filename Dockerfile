# syntax=docker/dockerfile:1.7
# crypto-ingest image: the worker by default; the same image runs the migrations and the simulator
# (docker-compose.yml overrides `command:`):
#   worker     node dist/ingest-worker.mjs                    (= npm run worker)
#   migrate    node --import tsx workers/migrate.ts           (= npm run migrate)
#   simulator  node --import tsx simulator/main.ts            (= npm run simulator)
#   CLI        node bin/crypto-ingest.mjs …                   (= npm run cli -- …)
# The build runs the README's own commands (npm ci, npm run build:bundle, npm run build:worker),
# nothing of its own.
# No secret is ever copied in (.dockerignore drops secrets/, .data/, .env*): keys and passwords come
# at run time as files (<NAME>_FILE, see the entrypoint below).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The prebuilt workflow bundle (dist/workflow-bundle.js, used through WORKFLOW_BUNDLE_PATH): the
# worker starts without webpack, and every replica runs byte-identical workflow code.
RUN npm run build:bundle
# The worker as one JavaScript file (dist/ingest-worker.mjs, workers/build-worker.ts): no TypeScript
# runtime in the worker process. Dev dependencies go: tsx (the TypeScript runtime) is a production
# dependency, so migrations, the simulator and the CLI run their .ts sources as npm's scripts do.
RUN npm run build:worker
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# MALLOC_*: the worker's allocator settings (WORKER_MALLOC_ENV in workers/build-worker.ts: fewer
# malloc arenas, large buffers mapped and returned; ~60 MiB less peak RSS under load).
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    INGEST_METRICS_PORT=9464 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
# Owned by root, read-only for the user the processes run as.
COPY --from=build /app /app
# Secrets as files (Docker/Compose secrets, Kubernetes secret volumes): <NAME>_FILE=/path sets NAME
# to the file's content (trailing newlines dropped) for NAME = PGPASSWORD (read by node-postgres when
# DATABASE_URL has no password) or any *_KEY (DATA_API_KEY, MIN_API_KEY, TEMPORAL_API_KEY…), which
# is all the worker reads. An empty file leaves NAME empty, i.e. unset for the worker (keyless).
COPY --chmod=0755 <<'EOF' /usr/local/bin/crypto-ingest-entrypoint
#!/bin/sh
set -eu
for name in $(env | sed -n 's/^\(PGPASSWORD\|[A-Z][A-Z0-9_]*_KEY\)_FILE=.*$/\1/p'); do
  eval "file=\${${name}_FILE}"
  eval "current=\${${name}:-}"
  if [ -n "$current" ]; then
    echo "crypto-ingest: both $name and ${name}_FILE are set; set one of them" >&2
    exit 1
  fi
  if [ ! -r "$file" ]; then
    echo "crypto-ingest: ${name}_FILE: cannot read $file" >&2
    exit 1
  fi
  value="$(cat "$file")"
  export "$name=$value"
  unset "${name}_FILE"
done
exec "$@"
EOF
USER node
EXPOSE 9464
# The worker answers GET /metrics on INGEST_METRICS_PORT once it runs (compose disables this check
# for migrate and replaces it for the simulator).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.INGEST_METRICS_PORT || 9464) + '/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/crypto-ingest-entrypoint"]
CMD ["node", "dist/ingest-worker.mjs"]
