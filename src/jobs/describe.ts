/**
 * What a task's result means, for a person reading `npm run job`'s output; and
 * what in it is a failure although the task ran (the command then exits 1).
 */
import type { ScheduledTask } from './tasks.js';

type Result = Record<string, any>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const counts = (c: { changed: number; deleted: number }) => `${c.changed} written, ${c.deleted} removed`;

function rollups(r: Result): string[] {
  const span = r.days.count > 0 ? ` (${r.days.from}${r.days.to !== r.days.from ? ` to ${r.days.to}` : ''})` : '';
  return [
    `rollups: ${plural(r.days.count, 'day')} brought up to date${span}, from ${plural(r.hours, 'changed hour')}`,
    `  service performance  ${counts(r.services)}`,
    `  workflow analytics   ${counts(r.workflows)}`,
    `  daily costs          ${counts(r.dailyCosts)}`,
    `  spend buckets merged ${r.spendBucketsMerged}`,
    ...(r.skippedClosedDays > 0 ? [`  ${plural(r.skippedClosedDays, 'day')} past retention left as they are`] : []),
    ...(r.pending ? ['  more days are pending: run it again (or let the worker go on)'] : []),
  ];
}

function budgets(r: Result): string[] {
  const webhook = r.webhook as { delivered: number; failed: number } | undefined;
  return [
    `budgets: spend refreshed, ${plural(r.spendChanged, 'limit')} changed; ${plural(r.raised, 'alert')} raised (${r.critical} critical${r.late > 0 ? `, ${r.late} late: their period had ended` : ''})`,
    ...(r.expiredHolds > 0 || r.liftedPauses > 0 || r.pausedAgents > 0
      ? [
          `  housekeeping: ${plural(r.expiredHolds, 'expired hold')} dropped, ${plural(r.liftedPauses, 'ended pause')} lifted, ` +
            `${plural(r.pausedAgents, 'agent')} over budget paused`,
        ]
      : []),
    ...(webhook ? [`  webhook: ${webhook.delivered} delivered, ${webhook.failed} failed`] : []),
    ...(r.raised > 0 ? ['  Notion gets them on the next sync pass (npm run sync -- --once, or the worker)'] : []),
  ];
}

function report(r: Result): string[] {
  const state = !r.pageId ? 'no report page: none could be created' : r.created ? 'created' : r.written ? 'updated' : 'unchanged: nothing written';
  const views = r.monthViews as { monthStart: string; moved: string[]; skipped: string[] } | undefined;
  return [
    `report: ${state}${r.pageId ? ` (page ${r.pageId})` : ''}`,
    ...(r.written ? [`  blocks: ${r.blocksCreated} created, ${r.blocksUpdated} updated in place`] : []),
    ...(r.truncated ? ['  some lines were left out: Notion creates no more blocks in this workspace'] : []),
    ...(views ? [`  month-to-date views from ${views.monthStart}: ${views.moved.length} moved${views.skipped.length ? `, skipped: ${views.skipped.join('; ')}` : ''}`] : []),
  ];
}

function notionEdits(r: Result): string[] {
  const line = (dataset: string, c: Record<string, number>) =>
    `  ${dataset.padEnd(14)} ${['applied', 'unchanged', 'superseded', 'rejected', 'gone'].map((k) => `${c[k] ?? 0} ${k}`).join(', ')}`;
  return ['notion-edits: edits made in Notion since the last poll', ...Object.entries(r).map(([dataset, c]) => line(dataset, c as Record<string, number>))];
}

function retention(r: Result): string[] {
  if (!r.enabled) return ['retention: off (LOG_RETENTION_DAYS=0 keeps raw logs for ever); nothing deleted'];
  return [
    `retention: ${plural(r.deleted, 'raw log')} created before ${r.cutoff} deleted in ${plural(r.batches, 'batch', 'batches')}`,
    ...(r.tombstones > 0 ? [`  ${plural(r.tombstones, 'page')} of them still in Notion: the next sync moves them to trash`] : []),
    ...(r.pending ? ['  older rows remain (batch limit): run it again'] : []),
  ];
}

const DESCRIBE: Readonly<Record<ScheduledTask, (r: Result) => string[]>> = {
  rollups,
  budgets,
  report,
  'notion-edits': notionEdits,
  retention,
};

export function describeResult(task: ScheduledTask, result: Result): string[] {
  return DESCRIBE[task](result);
}

/** Failures inside a run that completed: alerts raised but not delivered. */
export function problemsOf(task: ScheduledTask, result: Result): string[] {
  const failed = task === 'budgets' ? ((result.webhook as { failed: number } | undefined)?.failed ?? 0) : 0;
  return failed > 0 ? [`${plural(failed, 'alert')} could not be delivered to ALERT_WEBHOOK_URL`] : [];
}
