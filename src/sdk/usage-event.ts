/**
 * What application code hands to `record()`: checked here with the limits the
 * table enforces, so a bad record is refused with a reason instead of failing a
 * whole batch later; and turned into a token_usage_logs row once priced.
 */
import { z } from 'zod';
import type { JsonValue } from '../supabase/transport.js';
import type { UsageRow } from '../supabase/usage-store.js';
import { exactFromNumber, formatExact } from './money.js';
import type { CostResult } from './pricing/compute.js';

/** Largest token count the integer columns hold. */
const MAX_TOKENS = 2_147_483_647;
/** Largest cost one call may be given: far past any real call, it catches a unit mistake (cents, micros). */
export const MAX_USD = 99_999_999.999999;
/** Metadata travels with every row into Postgres and Notion; keep it small. */
export const MAX_METADATA_BYTES = 32_768;

/**
 * A NUL or half of a surrogate pair: Postgres text and jsonb cannot hold either,
 * and one such record would cost its batch a split to be found.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired surrogates (Postgres cannot store them)';
/** Whether Postgres can store the text (null and undefined can). */
export const storable = (value: string | null | undefined): boolean => value == null || !UNSTORABLE.test(value);

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).refine(storable, UNSTORABLE_MESSAGE);
const optionalText = (max: number) =>
  z.string().max(max, `must be at most ${max} characters`).refine(storable, UNSTORABLE_MESSAGE).nullish().transform((v) => v ?? null);
const tokens = z.number().int('must be a whole number').min(0, 'must be >= 0').max(MAX_TOKENS);
const optionalTokens = tokens.optional().default(0);
const usd = z.number().finite('must be a finite amount').min(0, 'must be >= 0').max(MAX_USD, `must be at most ${MAX_USD}`);

/** Some string in a JSON value (keys included) that Postgres cannot store, if any. */
function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return !storable(value);
  if (Array.isArray(value)) return value.some(hasUnstorableText);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, inner]) => !storable(key) || hasUnstorableText(inner));
  }
  return false;
}

function jsonSize(value: unknown): number | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return undefined;
  }
}

const metadata = z
  .record(z.string(), z.unknown())
  .optional()
  .superRefine((value, ctx) => {
    if (value === undefined) return;
    const size = jsonSize(value);
    if (size === undefined) ctx.addIssue({ code: 'custom', message: 'must be JSON-serialisable' });
    else if (size > MAX_METADATA_BYTES) ctx.addIssue({ code: 'custom', message: `is ${size} bytes as JSON; at most ${MAX_METADATA_BYTES}` });
    else if (hasUnstorableText(value)) ctx.addIssue({ code: 'custom', message: UNSTORABLE_MESSAGE });
  });

const createdAt = z
  .union([z.date(), z.string()])
  .optional()
  .transform((value, ctx) => {
    const date = value === undefined ? new Date() : new Date(value);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'must be a Date or an ISO timestamp' });
      return z.NEVER;
    }
    // A JS date past 9999 is written "+010000-…", which Postgres does not read; Notion dates stop at 9999 too.
    const year = date.getUTCFullYear();
    if (year < 1 || year > 9999) {
      ctx.addIssue({ code: 'custom', message: `must be within the years 0001 to 9999, got ${year}` });
      return z.NEVER;
    }
    return date.toISOString();
  });

export const usageEventSchema = z
  .object({
    requestId: text(255),
    serviceType: text(100),
    provider: text(100),
    model: text(200),
    promptTokens: tokens,
    completionTokens: tokens,
    cachedTokens: optionalTokens,
    cacheWriteTokens: optionalTokens,
    /** Of cacheWriteTokens, those written with a one-hour TTL (Anthropic); priced at the one-hour rate. */
    cacheWrite1hTokens: optionalTokens,
    reasoningTokens: optionalTokens,
    /** How the provider served the call ('default', 'batch', 'flex', 'priority'…): its price depends on it. */
    serviceTier: optionalText(50),
    userId: optionalText(255),
    sessionId: optionalText(255),
    organizationId: optionalText(255),
    tier: optionalText(100),
    agentId: optionalText(255),
    agentName: optionalText(255),
    workflowId: optionalText(255),
    workflowStep: optionalText(255),
    /** The product feature that made the call: budgets may guard it, tiers may gate it. */
    feature: optionalText(255),
    latencyMs: z.number().finite().min(0, 'must be >= 0').max(MAX_TOKENS).nullish().transform((v) => (v == null ? null : Math.round(v))),
    success: z.boolean().optional().default(true),
    errorType: optionalText(255),
    metadata,
    inputCost: usd.optional(),
    outputCost: usd.optional(),
    totalCost: usd.optional(),
    /** When the call happened (default: when record() was called). */
    createdAt,
  })
  .superRefine((e, ctx) => {
    if (e.cachedTokens + e.cacheWriteTokens > e.promptTokens) {
      ctx.addIssue({ code: 'custom', path: ['cachedTokens'], message: 'cachedTokens + cacheWriteTokens exceed promptTokens, which counts every input token' });
    }
    if (e.cacheWrite1hTokens > e.cacheWriteTokens) {
      ctx.addIssue({ code: 'custom', path: ['cacheWrite1hTokens'], message: 'exceed cacheWriteTokens, which counts every cache write' });
    }
    if (e.reasoningTokens > e.completionTokens) {
      ctx.addIssue({ code: 'custom', path: ['reasoningTokens'], message: 'exceed completionTokens, which counts every output token' });
    }
    if (e.inputCost !== undefined && e.outputCost !== undefined && e.totalCost !== undefined
        && exactFromNumber(e.inputCost)! + exactFromNumber(e.outputCost)! !== exactFromNumber(e.totalCost)) {
      ctx.addIssue({ code: 'custom', path: ['totalCost'], message: 'differs from inputCost + outputCost' });
    }
  });

/** What record() accepts. Token counts follow OpenAI's convention: see computeCost. */
export type UsageEvent = z.input<typeof usageEventSchema>;
/** A checked event, waiting in the buffer to be priced and written. */
export type ValidUsageEvent = z.output<typeof usageEventSchema>;

export type EventCheck = { ok: true; event: ValidUsageEvent } | { ok: false; reason: string };

/** Never throws, whatever it is given. */
export function checkUsageEvent(input: unknown): EventCheck {
  const parsed = usageEventSchema.safeParse(input);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join('.') : 'record';
  return { ok: false, reason: `${where}: ${issue.message}` };
}

export function hasGivenCost(event: ValidUsageEvent): boolean {
  return event.inputCost !== undefined || event.outputCost !== undefined || event.totalCost !== undefined;
}

/** A cost the caller gave, stored exactly as written (a number's shortest decimal form). */
const decimal = (usdAmount: number | undefined) => (usdAmount === undefined ? null : formatExact(exactFromNumber(usdAmount)!));

/**
 * The metadata.pricing note of a row: where its cost came from, or why it is
 * unknown. An estimate says which model priced it, by which rule, and why the
 * model itself has no price.
 */
export function pricingNote(cost: CostResult | 'given'): { [key: string]: JsonValue } {
  if (cost === 'given') return { source: 'given' };
  if (!cost.known) return { source: 'unknown', reason: cost.reason };
  return {
    source: cost.estimate ? 'estimated' : cost.source,
    priced_as: cost.pricedAs,
    ...(cost.estimate ? { fallback: cost.estimate.rule, reason: cost.estimate.reason } : {}),
    ...(cost.effectiveFrom ? { effective_from: cost.effectiveFrom } : {}),
    ...(cost.longContext ? { long_context: true } : {}),
    ...(cost.tierRule ? { service_tier_rule: cost.tierRule } : {}),
  };
}

/** Whether the row's cost is a stand-in: never for a cost the caller gave. */
export const isEstimated = (cost: CostResult | 'given'): boolean => cost !== 'given' && cost.known && cost.estimate !== null;

/** Whether the event's token counts were estimated from its text (metadata.usage_estimated, set by the adapters). */
export function hasEstimatedUsage(event: Pick<ValidUsageEvent, 'metadata'>): boolean {
  const note = event.metadata?.usage_estimated;
  return note !== undefined && note !== null && note !== false;
}

/**
 * Whether the row's cost is not the provider's bill: priced at a fallback, or
 * priced from estimated tokens. A cost the caller gave is the caller's.
 */
export const isCostEstimated = (event: Pick<ValidUsageEvent, 'metadata'>, cost: CostResult | 'given'): boolean =>
  isEstimated(cost) || (cost !== 'given' && cost.known && hasEstimatedUsage(event));

/** The row to write: costs as given by the caller, else as priced. */
export function toUsageRow(event: ValidUsageEvent, cost: CostResult | 'given'): UsageRow {
  const costs =
    cost === 'given'
      ? { input_cost: decimal(event.inputCost), output_cost: decimal(event.outputCost), total_cost: decimal(event.totalCost) }
      : cost.known
        ? { input_cost: cost.inputUsd, output_cost: cost.outputUsd, total_cost: cost.totalUsd }
        : { input_cost: null, output_cost: null, total_cost: null };
  return {
    request_id: event.requestId,
    created_at: event.createdAt,
    organization_id: event.organizationId,
    user_id: event.userId,
    session_id: event.sessionId,
    tier: event.tier,
    service_type: event.serviceType,
    agent_id: event.agentId,
    agent_name: event.agentName,
    workflow_id: event.workflowId,
    workflow_step: event.workflowStep,
    feature: event.feature,
    provider: event.provider,
    model: event.model,
    prompt_tokens: event.promptTokens,
    completion_tokens: event.completionTokens,
    cached_tokens: event.cachedTokens,
    cache_write_tokens: event.cacheWriteTokens,
    reasoning_tokens: event.reasoningTokens,
    ...costs,
    cost_estimated: isCostEstimated(event, cost),
    latency_ms: event.latencyMs,
    success: event.success,
    error_type: event.errorType,
    // The pricing note is ours: it replaces a caller's key of the same name; so do
    // the tier and the one-hour writes, which recost reads back to price the row again.
    metadata: {
      ...(event.metadata as { [key: string]: JsonValue } | undefined),
      ...(event.serviceTier ? { service_tier: event.serviceTier } : {}),
      ...(event.cacheWrite1hTokens > 0 ? { cache_write_1h_tokens: event.cacheWrite1hTokens } : {}),
      pricing: pricingNote(cost),
    },
  };
}
