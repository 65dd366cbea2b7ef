# syntax=docker/dockerfile:1
# tokensync worker image. Build: docker build -t tokensync .
# Run:   docker run --init --env-file .env -p 127.0.0.1:9464:9464 -e WORKER_HTTP_HOST=0.0.0.0 tokensync
# (--init forwards SIGTERM to the worker so it stops gracefully.)

# --- dependencies: production only (tsx, which runs the TypeScript, is one) ---
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime: no build tools, no dev dependencies, not root ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    WORKER_HTTP_PORT=9464
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json package-lock.json tsconfig.json ./
COPY --chown=node:node src ./src
COPY --chown=node:node scripts ./scripts
COPY --chown=node:node supabase ./supabase
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.WORKER_HTTP_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["npm", "run", "worker"]
