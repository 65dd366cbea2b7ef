import { EXIT_FAILURE, EXIT_OK, registerSecrets, runCommand } from '../src/cli/run.js';
import { preflight } from '../src/cli/preflight.js';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/logging/logger.js';
import { startWorker } from '../src/worker/worker.js';

const HELP = `Usage: npm run worker

Runs until stopped: syncs each dataset every SYNC_INTERVAL_MS through BullMQ job
schedulers in Redis, sharing the Notion rate limit (NOTION_REQUESTS_PER_SECOND)
with every worker on the same REDIS_URL and QUEUE_PREFIX. Serves /healthz,
/readyz and /metrics (Prometheus) on WORKER_HTTP_HOST:WORKER_HTTP_PORT.

SIGTERM or SIGINT stops taking jobs and lets those in flight finish for up to
WORKER_SHUTDOWN_TIMEOUT_MS; a second signal exits at once. Logs are JSON lines.

Options:
  -h, --help   show this help

Exit codes: 0 stopped by a signal, 1 failed, 2 bad configuration.
`;

await runCommand({
  name: 'worker',
  help: HELP,
  options: {},
  async run() {
    const config = loadConfig();
    registerSecrets(config.secrets);
    const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: config.secrets, name: 'tokensync-worker' });
    // A wrong DATABASE_URL or NOTION_TOKEN stops the worker at start, in one line; later outages are ridden out.
    await preflight(config);
    const worker = await startWorker(config, logger);
    return new Promise<number>((resolve) => {
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: exiting now');
          process.exit(EXIT_FAILURE);
        }
        logger.info({ signal }, 'stopping');
        worker.stop().then(
          () => resolve(EXIT_OK),
          (error: unknown) => {
            logger.error({ err: error }, 'stop failed');
            resolve(EXIT_FAILURE);
          },
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
  },
});
