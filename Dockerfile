# syntax=docker/dockerfile:1
# tokensync worker image. Build: docker build -t tokensync .
# Run:   docker run --init --env-file .env -p 127.0.0.1:9464:9464 -e WORKER_HTTP_HOST=0.0.0.0 tokensync
# The worker is node running compiled JavaScript, no npm or tsx in between: SIGTERM
# (docker stop) reaches it and it shuts down in order within WORKER_SHUTDOWN_TIMEOUT_MS
# + 5 s. --init (compose: init: true) makes node PID 1's direct child; without it node
# is PID 1 and still handles SIGTERM itself once started.
# Other commands run the same way: docker run --rm --env-file .env tokensync node dist/scripts/verify.js

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: every dependency, TypeScript compiled to dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/notion-sandbox/package.json ./packages/notion-sandbox/
COPY packages/pglite-server/package.json ./packages/pglite-server/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json tsconfig.build.json ./
COPY packages/notion-sandbox/tsconfig.build.json ./packages/notion-sandbox/
COPY packages/notion-sandbox/src ./packages/notion-sandbox/src
COPY packages/pglite-server/tsconfig.build.json ./packages/pglite-server/
COPY packages/pglite-server/src ./packages/pglite-server/src
COPY src ./src
COPY scripts ./scripts
RUN npm run build

# --- dependencies: production only ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/notion-sandbox/package.json ./packages/notion-sandbox/
COPY packages/pglite-server/package.json ./packages/pglite-server/
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime: compiled code and production dependencies, not root ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    WORKER_HTTP_PORT=9464
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The workspace's packages (the demo's Notion and PostgreSQL): node_modules links to them.
COPY --from=build --chown=node:node /app/packages/notion-sandbox/package.json ./packages/notion-sandbox/
COPY --from=build --chown=node:node /app/packages/notion-sandbox/dist ./packages/notion-sandbox/dist
COPY --from=build --chown=node:node /app/packages/pglite-server/package.json ./packages/pglite-server/
COPY --from=build --chown=node:node /app/packages/pglite-server/dist ./packages/pglite-server/dist
# package.json says "type": "module": node needs it to load dist/ as ES modules.
COPY --chown=node:node package.json ./
COPY --chown=node:node supabase ./supabase
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.WORKER_HTTP_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The heap cap keeps RSS low through a backlog (see docs/operations.md, Memory).
CMD ["node", "--max-old-space-size=256", "dist/scripts/worker.js"]
