import { registerSecrets, runCommand } from '../src/cli/run.js';
import { serveUntilStopped } from '../src/cli/service.js';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/logging/logger.js';
import { startApi } from '../src/api/start.js';

const HELP = `Usage: npm run api

Serves the usage API until stopped, on API_HOST:API_PORT (default
127.0.0.1:8787): budget decisions with the SDK's semantics (/v1/budget/...),
budget administration for the service role (/v1/admin/...), usage figures
(/v1/usage/..., /v1/pricing/estimate: a user's own, the installation's for the
service role), the OpenAPI
document at /openapi.json and a browsable reference at /docs (served locally),
and /healthz, /readyz and /metrics (Prometheus) like the worker.

Callers send Authorization: Bearer with a Supabase user's access token (acts
as that user only) or the service_role key (everything, admin included).
Each caller gets a token bucket of API_RATE_LIMIT_BURST requests refilled at
API_RATE_LIMIT_PER_SECOND; past it, 429 with Retry-After. See docs/api.md.

SIGTERM or SIGINT stops taking requests, lets those in flight finish (up to
API_SHUTDOWN_TIMEOUT_MS), writes buffered settles and closes the database
pool; a second signal exits at once. Logs are JSON lines.

Options:
  -h, --help   show this help

Environment:
  DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY; SUPABASE_JWT_SECRET
  or SUPABASE_JWKS_URL; API_* (see .env.example)

Exit codes: 0 stopped by a signal, 1 failed, 2 bad configuration.
`;

await runCommand({
  name: 'api',
  help: HELP,
  options: {},
  async run() {
    const config = loadConfig();
    registerSecrets(config.secrets);
    const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: config.secrets, name: 'tokensync-api' });
    const starting = startApi(config, logger);
    return serveUntilStopped(starting, { shutdownTimeoutMs: config.api.shutdownTimeoutMs, logger });
  },
});
