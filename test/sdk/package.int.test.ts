/**
 * The package as a user gets it: `npm run build` (test/support/build-setup.ts runs it
 * before the suite), then `import … from 'tokensync'`
 * resolved through package.json's exports map from another project (a symlink in
 * its node_modules, as `npm link` or a workspace would make), in plain Node and in
 * a strict TypeScript project.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

let db: TestDatabase;
let consumer: string;
beforeAll(async () => {
  db = await createTestDatabase();
  consumer = await mkdtemp(join(tmpdir(), 'tokensync-consumer-'));
  await mkdir(join(consumer, 'node_modules'));
  await symlink(repo, join(consumer, 'node_modules/tokensync'), 'dir');
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
}, 120_000);
afterAll(async () => {
  await rm(consumer, { recursive: true, force: true });
  await db.drop();
});

it('imports createTracker, checkBudget and computeCost by package name and records a call', async () => {
  const script = `
    import { createTracker, checkBudget, computeCost } from 'tokensync';
    const cost = computeCost({ provider: 'openai', model: 'gpt-4o', promptTokens: 1000, completionTokens: 200 });
    const tracker = createTracker({ databaseUrl: process.argv[2] });
    tracker.record({ requestId: 'from-the-package', serviceType: 'workflow', provider: 'openai', model: 'gpt-4o', promptTokens: 1000, completionTokens: 200 });
    const report = await tracker.close();
    console.log(JSON.stringify({ total: cost.totalMicros, written: report.written, checkBudget: typeof checkBudget }));
  `;
  await writeFile(join(consumer, 'app.mjs'), script);
  const { stdout } = await run(process.execPath, ['app.mjs', db.url], { cwd: consumer, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent' } });
  expect(JSON.parse(stdout)).toEqual({ total: 4500, written: 1, checkBudget: 'function' });
  const { rows } = await db.pool.query(`select total_cost::text from token_usage_logs where request_id = 'from-the-package'`);
  expect(rows).toEqual([{ total_cost: '0.004500' }]);
});

it('ships its types: a strict TypeScript project type-checks against them', async () => {
  await writeFile(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022',
        types: ['node'], typeRoots: [join(repo, 'node_modules/@types')], skipLibCheck: true,
      },
      files: ['app.ts'],
    }),
  );
  await writeFile(
    join(consumer, 'app.ts'),
    `import { createTracker, checkBudget, computeCost, type FlushReport, type UsageEvent } from 'tokensync';
     const event: UsageEvent = { requestId: 'r', serviceType: 's', provider: 'openai', model: 'gpt-4o', promptTokens: 1, completionTokens: 1 };
     const tracker = createTracker({ databaseUrl: 'postgres://localhost/app' });
     tracker.record(event);
     const report: Promise<FlushReport> = tracker.flush();
     const verdict = checkBudget({ userId: 'u', sessionId: null, serviceType: 's', estimatedCost: 0.01 }).then((v) => v.allowed);
     const micros: number | null = (() => { const c = computeCost(event); return c.known ? c.totalMicros : null; })();
     // @ts-expect-error promptTokens is required
     tracker.record({ requestId: 'r', serviceType: 's', provider: 'p', model: 'm', completionTokens: 1 });
     export { report, verdict, micros };
    `,
  );
  const tsc = await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: consumer }).then(
    () => ({ code: 0, stdout: '' }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  expect(tsc).toEqual({ code: 0, stdout: '' });
});
