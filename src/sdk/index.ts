/** The tracking SDK: what `import … from 'tokensync'` offers application code. */
export { createTracker, type Tracker, type TrackerOptions, type RecordOutcome, type SettleOutcome, type GuardedCall, type Refusal } from './tracker.js';
export type { ReserveRequest, CallEstimate, BudgetDecision, BudgetHold } from './reservations.js';
export type { FlushReport, TrackerStats, Rejection } from './report.js';
export type { UsageEvent } from './usage-event.js';
export { checkBudget, closeBudgetChecks } from './check-budget.js';
export { createBudgetChecker, type BudgetRequest, type BudgetVerdict, type BudgetFailMode, type BudgetCheckerOptions } from './budget.js';
export { computeCost, type CostResult, type KnownCost, type UnknownCost, type TokenUsage, type CostOptions } from './pricing/compute.js';
export type { PriceOverride, OverrideRates } from './pricing/overrides.js';
export { formatMicros } from './money.js';
export { fromOpenAIChatCompletion, fromOpenAIEmbedding, fromOpenAIResponse, type OpenAIChatCompletionLike, type OpenAIEmbeddingLike, type OpenAIResponseLike } from './adapters/openai.js';
export { fromAnthropicMessage, type AnthropicMessageLike } from './adapters/anthropic.js';
export { fromAnthropicBatchResult, fromOpenAIBatchResult, type AnthropicBatchResultLike, type OpenAIBatchOutputLineLike } from './adapters/batch.js';
export { createLangChainHandler, type LangChainHandlerOptions, type LLMResultLike } from './adapters/langchain.js';
export type { CallContext } from './adapters/context.js';
export type { CallText, MessageLike, RequestText, UsageEstimateNote } from './adapters/estimate.js';
export { BudgetDeniedError } from '../errors.js';
