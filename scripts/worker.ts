import { registerSecrets, runCommand } from '../src/cli/run.js';
import { preflight } from '../src/cli/preflight.js';
import { createLogger } from '../src/logging/logger.js';
import { startWorker } from '../src/worker/worker.js';
import { serveUntilStopped } from '../src/cli/service.js';
import { requireApiConfig } from '../src/config/api.js';
import { loadConfig, readEnvironment } from '../src/config/env.js';

const HELP = `Usage: npm run worker

Runs until stopped: syncs each dataset every SYNC_INTERVAL_MS through BullMQ job
schedulers in Redis, sharing the Notion rate limit (NOTION_REQUESTS_PER_SECOND)
with every worker on the same REDIS_URL and QUEUE_PREFIX. Serves /healthz,
/readyz and /metrics (Prometheus) on WORKER_HTTP_HOST:WORKER_HTTP_PORT.

SIGTERM or SIGINT stops taking jobs and lets those in flight finish for up to
WORKER_SHUTDOWN_TIMEOUT_MS, then closes queues, Redis and Postgres (the exit is
forced 5 s after that); a second signal, a second or more after the first, exits
at once. Logs are JSON lines.

With --api (or WORKER_API=true) it also serves the usage API, as npm run api
does, on API_HOST:API_PORT (default 127.0.0.1:8787): one process for a small
installation. The API's settings (SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL, see
docs/api.md) are then required at start, and SIGTERM stops the API too: it
takes no new request and those in flight finish (API_SHUTDOWN_TIMEOUT_MS).

Options:
  --api        also serve the usage API (same as WORKER_API=true)
  -h, --help   show this help

Exit codes: 0 stopped by a signal, 1 failed, 2 bad configuration.
`;

await runCommand({
  name: 'worker',
  help: HELP,
  options: { api: { type: 'boolean', default: false } },
  async run(values) {
    const config = loadConfig({ ...readEnvironment(), ...(values.api ? { WORKER_API: 'true' } : {}) });
    registerSecrets(config.secrets);
    // Before the database and Notion are asked anything: a missing API secret is named at once.
    if (config.worker.api) requireApiConfig(config.api, config.supabase?.serviceRoleKey);
    const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: config.secrets, name: 'tokensync-worker' });
    // A wrong DATABASE_URL or NOTION_TOKEN stops the worker at start, in one line; later outages are ridden out.
    const starting = preflight(config).then(() => startWorker(config, logger));
    // Jobs in flight get their shutdown timeout, and requests to the API theirs when it is served here.
    const shutdownTimeoutMs = Math.max(config.worker.shutdownTimeoutMs, config.worker.api ? config.api.shutdownTimeoutMs : 0);
    return serveUntilStopped(starting, { shutdownTimeoutMs, logger });
  },
});
