# The mainspring worker/bridge image used by docker-compose.yml, in two stages:
#   build    all dependencies (TypeScript, types) and the sources; compiles dist/
#   runtime  production dependencies only (`--omit=dev`: no compiler, test tools, or the local stack's PostgreSQL
#            binaries), the compiled dist/ without the bench, the SQL migrations, bin/; runs as the non-root `node`.
# onnxruntime-node's install step only fetches GPU (CUDA) libraries; the CPU runtime ships in the package.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: the lockfile lacks other platforms' optional packages (see scripts/bootstrap.sh).
RUN npm install --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY schemas schemas
COPY src src
COPY workflows workflows
COPY activities activities
COPY workers workers
COPY stack stack
COPY cli cli
COPY bench bench
# The CLI reaches the bench only through `await import()` when `mainspring bench` runs: it is compiled (type-checked
# with the rest) but left out of the image.
RUN npx tsc -p tsconfig.build.json && rm -rf dist/bench dist/.tsbuildinfo

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force
COPY --from=build /app/dist dist
COPY bin bin
# The migrator reads the SQL from src/db/migrations (src/db/migrate.ts) at run time.
COPY src/db/migrations src/db/migrations
USER node
ENTRYPOINT []
CMD ["node", "bin/mainspring", "run"]
