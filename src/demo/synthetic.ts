/**
 * Thirty days of plausible LLM usage for the demo: four services on their own
 * models, a few dozen users in three tiers, two multi-step workflows and a panel
 * of agents, weekday rhythm and growth, a few percent of failed calls, and two
 * incidents that break budgets (a runaway workflow loop, a heavy user). Seeded,
 * so every run tells the same story; priced by the SDK like real calls.
 */
import type { UsageEvent } from '../sdk/usage-event.js';

export interface SyntheticOptions {
  /** Days of history, ending now. */
  days: number;
  now: Date;
  /** Same seed, same calls. */
  seed?: number;
}

/** Budget limits the demo adds to the seed's eight, so user and agent alerts show too. */
export const DEMO_LIMITS = [
  { entity_type: 'user', entity_id: 'user-007', daily_limit: 2, monthly_limit: 30, breach_action: 'block', description: 'Heavy tester, capped' },
  { entity_type: 'agent', entity_id: 'panel-moderator', daily_limit: 4, monthly_limit: 80, breach_action: 'alert', description: 'Virtual panel moderator' },
] as const;

const DAY_MS = 86_400_000;
const USERS = 36;
const WEEKDAY_CALLS = 110;
const WEEKEND_CALLS = 45;
const DAILY_GROWTH = 0.015;
const FAILURE_RATE = 0.03;
const ERRORS = ['rate_limit_exceeded', 'timeout', 'context_length_exceeded', 'server_error'] as const;
/** Days before `now` of the incidents. */
const RUNAWAY_LOOP_DAYS_AGO = [19, 4];
const HEAVY_USER_DAYS_AGO = [11, 2];

export type Random = () => number;

/** mulberry32: small, fast, and good enough to scatter demo data (and a benchmark's load and faults). */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (random: Random, low: number, high: number) => Math.round(low + random() * (high - low));

interface Call {
  service: string;
  provider: string;
  model: string;
  prompt: [number, number];
  completion: [number, number];
  cachedShare?: number;
  agent?: { id: string; name: string };
  workflow?: { id: string; step: string };
}

const PANEL_AGENTS = [
  { id: 'panel-moderator', name: 'Moderator' },
  { id: 'panel-skeptic', name: 'Skeptic' },
  { id: 'panel-expert', name: 'Domain expert' },
];
const WORKFLOWS = [
  { id: 'onboarding-pack', steps: ['extract', 'plan', 'draft', 'review'] },
  { id: 'market-brief', steps: ['search', 'summarise', 'write'] },
];

/** One call of a service, as that service makes them. */
function callOf(service: string, random: Random): Call {
  switch (service) {
    case '1:1_conversation':
      return random() < 0.6
        ? { service, provider: 'openai', model: 'gpt-4o', prompt: [3_000, 16_000], completion: [150, 900], cachedShare: 0.5 }
        : { service, provider: 'anthropic', model: 'claude-haiku-4-5', prompt: [2_000, 12_000], completion: [150, 800], cachedShare: 0.4 };
    case 'virtual_panel':
      return { service, provider: 'anthropic', model: 'claude-sonnet-4-5', prompt: [8_000, 30_000], completion: [300, 1_400], cachedShare: 0.3, agent: pick(random, PANEL_AGENTS) };
    case 'workflow': {
      const workflow = pick(random, WORKFLOWS);
      const step = pick(random, workflow.steps);
      const planning = step === 'plan' || step === 'search';
      return planning
        ? { service, provider: 'openai', model: 'o3-mini', prompt: [3_000, 12_000], completion: [800, 4_000], workflow: { id: workflow.id, step } }
        : { service, provider: 'openai', model: 'gpt-4.1', prompt: [10_000, 48_000], completion: [500, 2_500], workflow: { id: workflow.id, step } };
    }
    default:
      return random() < 0.6
        ? { service, provider: 'anthropic', model: 'claude-sonnet-4-5', prompt: [20_000, 60_000], completion: [1_000, 4_000] }
        : { service, provider: 'google', model: 'gemini-2.5-pro', prompt: [20_000, 80_000], completion: [1_000, 5_000] };
  }
}

const SERVICE_MIX: readonly [string, number][] = [
  ['1:1_conversation', 0.45],
  ['virtual_panel', 0.2],
  ['workflow', 0.25],
  ['solution_builder', 0.1],
];

function serviceOf(random: Random): string {
  let roll = random();
  for (const [service, share] of SERVICE_MIX) {
    roll -= share;
    if (roll < 0) return service;
  }
  return SERVICE_MIX[0]![0];
}

const tierOf = (user: number) => (user < 6 ? 'tier_1' : user < 18 ? 'tier_2' : 'tier_3');
const userName = (user: number) => `user-${String(user).padStart(3, '0')}`;

function toEvent(call: Call, random: Random, at: Date, user: number, sequence: string): UsageEvent {
  const promptTokens = between(random, ...call.prompt);
  const failed = random() < FAILURE_RATE;
  const completionTokens = failed ? 0 : between(random, ...call.completion);
  return {
    requestId: `demo-${sequence}`,
    createdAt: at,
    organizationId: 'mvp',
    userId: userName(user),
    sessionId: `${userName(user)}-${at.toISOString().slice(0, 10)}-${Math.floor(random() * 3)}`,
    tier: tierOf(user),
    serviceType: call.service,
    provider: call.provider,
    model: call.model,
    promptTokens,
    completionTokens,
    cachedTokens: call.cachedShare ? Math.round(promptTokens * call.cachedShare * random()) : 0,
    latencyMs: failed ? between(random, 200, 30_000) : 350 + completionTokens * 9 + between(random, 0, 900),
    success: !failed,
    errorType: failed ? pick(random, ERRORS) : null,
    agentId: call.agent?.id ?? null,
    agentName: call.agent?.name ?? null,
    workflowId: call.workflow?.id ?? null,
    workflowStep: call.workflow?.step ?? null,
    metadata: { source: 'tokensync demo' },
  };
}

/** A moment of the day, busier in working hours; never after `limit`. */
function momentIn(day: Date, random: Random, limit: Date): Date | undefined {
  const hour = random() < 0.8 ? 8 + random() * 10 : random() * 24;
  const at = new Date(day.getTime() + hour * 3_600_000);
  return at <= limit ? at : undefined;
}

/** Every call of the demo's history, oldest first. */
export function syntheticUsage(options: SyntheticOptions): UsageEvent[] {
  const random = seeded(options.seed ?? 20261128);
  const today = new Date(Date.UTC(options.now.getUTCFullYear(), options.now.getUTCMonth(), options.now.getUTCDate()));
  const events: UsageEvent[] = [];
  for (let daysAgo = options.days - 1; daysAgo >= 0; daysAgo--) {
    const day = new Date(today.getTime() - daysAgo * DAY_MS);
    const weekend = day.getUTCDay() === 0 || day.getUTCDay() === 6;
    const growth = (1 + DAILY_GROWTH) ** (options.days - daysAgo);
    const calls = Math.round((weekend ? WEEKEND_CALLS : WEEKDAY_CALLS) * growth);
    const add = (call: Call, user: number) => {
      const at = momentIn(day, random, options.now);
      if (at) events.push(toEvent(call, random, at, user, `${day.toISOString().slice(0, 10)}-${events.length}`));
    };
    for (let i = 0; i < calls; i++) add(callOf(serviceOf(random), random), Math.floor(random() ** 1.6 * USERS));
    if (RUNAWAY_LOOP_DAYS_AGO.includes(daysAgo)) {
      // An agent loop retrying a review step on the most expensive model.
      for (let i = 0; i < 45; i++) {
        add({ service: 'workflow', provider: 'anthropic', model: 'claude-opus-4-1', prompt: [14_000, 26_000], completion: [800, 2_000], workflow: { id: 'onboarding-pack', step: 'review' } }, 3);
      }
    }
    if (HEAVY_USER_DAYS_AGO.includes(daysAgo)) {
      for (let i = 0; i < 30; i++) add(callOf('solution_builder', random), 7);
    }
  }
  return events.sort((a, b) => (a.createdAt as Date).getTime() - (b.createdAt as Date).getTime());
}
