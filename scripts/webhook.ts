import { EXIT_OK, EXIT_USAGE, registerSecrets, runCommand } from '../src/cli/run.js';
import { loadConfig } from '../src/config/env.js';
import { takeVerificationTokens, type ArrivedToken } from '../src/inbound/webhook-memory.js';
import { connectOrExplain } from '../src/worker/redis-tools.js';

const HELP = `Usage: npm run webhook -- --show-token

Notion's webhook subscriptions: when you create one pointed at the worker's
POST /notion/webhook, Notion sends a verification token there. The worker keeps
it in Redis for a day and writes it nowhere: anyone who can reach the endpoint
can send one, so only you decide which token to trust.

Options:
  --show-token   print the verification tokens the worker received (newest
                 first, with when and from where), and forget them: each is
                 shown once. Paste the right one into the subscription in
                 Notion (Verify), set NOTION_WEBHOOK_SECRET to it, and restart
                 the worker. More than one token means someone else sent one
                 too: trust the one Notion shows as pending.
  -h, --help     show this help

Environment:
  REDIS_URL and QUEUE_PREFIX of the worker that received the token (see .env.example)

Exit codes: 0 done (also when no token is waiting), 1 Redis cannot be reached,
2 bad usage or configuration.
`;

function describe(tokens: readonly ArrivedToken[]): string {
  if (tokens.length === 0) {
    return 'No verification token is waiting. Create (or resend) the subscription in Notion, pointed at the worker\'s POST /notion/webhook, then run this again.\n';
  }
  const lines = tokens.map((t, i) => `  ${t.token}   arrived ${t.at} from ${t.from}${i === 0 ? '   (newest)' : ''}`);
  const warning = tokens.length > 1 ? '\nMore than one token arrived: only one came from your subscription. Trust the one Notion accepts.\n' : '';
  return `Verification token${tokens.length > 1 ? 's' : ''} received by the worker (shown once, now forgotten):\n${lines.join('\n')}\n${warning}
Next: paste it into the subscription in Notion, set NOTION_WEBHOOK_SECRET to it, and restart the worker.\n`;
}

await runCommand({
  name: 'webhook',
  help: HELP,
  options: { 'show-token': { type: 'boolean', default: false } },
  async run(values) {
    if (!values['show-token']) {
      process.stderr.write('webhook: say what to do: --show-token\nRun with --help for usage.\n');
      return EXIT_USAGE;
    }
    const config = loadConfig();
    registerSecrets(config.secrets);
    const redis = await connectOrExplain(config.redisUrl);
    try {
      process.stdout.write(describe(await takeVerificationTokens(redis, config.worker.queuePrefix)));
      return EXIT_OK;
    } finally {
      redis.disconnect();
    }
  },
});
