/**
 * What `npm run demo` prints once everything is synced: where to look, and
 * what to try while it runs (a row into Postgres, verify, and the usage API
 * with one curl line that works as printed).
 */
import { DATASETS, type Dataset } from '../datasets.js';
import { CATALOGUE } from '../notion/catalogue/index.js';
import { DEMO_REQUESTS_PER_SECOND, type RunningDemo } from './run-demo.js';

const TITLES = Object.fromEntries(CATALOGUE.map((spec) => [spec.dataset, spec.title])) as Record<Dataset, string>;
const count = (n: number) => n.toLocaleString('en-US');

/** A database URL fit to print: its password, if any, masked. */
export function shownUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password) url.password = '****';
  return url.toString();
}

/** The curl line of the summary: a budget check, as the demo's user, with the demo's own token. */
export function apiCurl(demo: Pick<RunningDemo, 'api'>): string {
  const body = JSON.stringify({ serviceType: 'workflow', estimatedCost: 0.05 });
  return `curl -s ${demo.api.url}/v1/budget/check -H 'authorization: Bearer ${demo.api.token}' -H 'content-type: application/json' -d '${body}'`;
}

export function summaryLines(demo: RunningDemo, options: { days: number; keepsRunning: boolean; envFile: string }): string[] {
  const { summary } = demo;
  return [
    '',
    'Synced. Everything below runs on this machine.',
    '',
    ...DATASETS.map((d) => `  ${TITLES[d].padEnd(30)} ${count(summary.pages[d]).padStart(6)} pages`),
    '',
    `  Usage          ${count(summary.calls)} calls over the last ${options.days} days, priced by the tracking SDK`,
    `  Alerts         ${count(summary.alerts)} raised (${count(summary.criticalAlerts)} critical)`,
    `  Dashboards     ${demo.sandboxUrl}/`,
    `  Report         ${demo.reportUrl ?? '(not published yet)'}`,
    '',
    `  Postgres       ${demo.database}`,
    `                 ${shownUrl(demo.databaseUrl)}`,
    `  Redis          ${demo.redisUrl} (queue prefix tokensync-demo)`,
    `  Worker         ${demo.healthUrl}`,
    `  Usage API      ${demo.api.url} (served by the worker: WORKER_API=true)`,
    `  API reference  ${demo.api.docsUrl}`,
    '',
    `The sandbox allows ${DEMO_REQUESTS_PER_SECOND} requests/s so the demo is quick; Notion allows 3 (see docs/limits.md).`,
    ...(options.keepsRunning
      ? [
          '',
          'The worker keeps running: a new row is in the sandbox within a few seconds. Try:',
          `  psql ${shownUrl(demo.databaseUrl)} -c "insert into token_usage_logs (request_id, service_type, provider, model, prompt_tokens, completion_tokens, total_cost) values ('hello-' || now(), 'workflow', 'openai', 'gpt-4o', 1000, 200, 0.5)"`,
          'and check it as CI would, in another terminal:',
          `  npm run verify -- --env-file ${options.envFile}`,
          '',
          `Ask the usage API whether ${demo.api.user} may spend $0.05 on a workflow call (${demo.api.user} has a blocking limit of its own).`,
          `The token is ${demo.api.user}'s, signed with a throwaway JWT secret the demo made for this run (there is no`,
          `Supabase project here); it works only against this demo and expires in ${demo.api.tokenHours} h:`,
          `  ${apiCurl(demo)}`,
          '',
          'Press Ctrl-C to stop.',
        ]
      : []),
  ];
}
