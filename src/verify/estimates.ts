/**
 * Estimated costs: calls on a model with no price are counted at a fallback
 * price (flagged cost_estimated) until someone prices the model. Not a failure
 * (budgets hold, at a conservative price), but worth a warning until recost has
 * replaced every estimate.
 */
import type { SupabaseSource, UnpricedModel } from '../supabase/source.js';
import { errorMessage, pass, warn, type CheckResult } from './check.js';

/** Models named in the warning; the rest are counted. */
const MODELS_SHOWN = 5;

const usd = (amount: number) => `$${amount.toFixed(2)}`;

const describe = (m: UnpricedModel) =>
  `${m.provider}/${m.model} (${m.calls} ${m.calls === 1 ? 'call' : 'calls'}, ${usd(m.estimated_spend)}, priced as ${m.priced_as ?? 'a fallback'})`;

export function estimatedCostsResult(models: readonly UnpricedModel[]): CheckResult {
  if (models.length === 0) return pass('supabase', 'estimated costs', 'every logged call has its model\'s own price');
  const calls = models.reduce((sum, m) => sum + m.calls, 0);
  const more = models.length > MODELS_SHOWN ? ` and ${models.length - MODELS_SHOWN} more` : '';
  const since = models.map((m) => m.first_seen).sort()[0]!;
  return warn(
    'supabase',
    'estimated costs',
    `${calls} ${calls === 1 ? 'call is' : 'calls are'} counted at a fallback price, their model having none: ${models.slice(0, MODELS_SHOWN).map(describe).join(', ')}${more}`,
    `add their prices to model_pricing (or npm update @pydantic/genai-prices), then npm run recost -- --from ${new Date(since).toISOString().slice(0, 10)}`,
  );
}

export async function checkEstimatedCosts(source: SupabaseSource): Promise<CheckResult> {
  try {
    return estimatedCostsResult(await source.unpricedModels());
  } catch (error) {
    return warn('supabase', 'estimated costs', `could not be read: ${errorMessage(error)}`, 'apply the migrations: npm run db:migrate (or supabase db push)');
  }
}
