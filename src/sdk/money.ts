/**
 * Exact money. Costs are integer micro-dollars (the precision of numeric(14,6) in
 * token_usage_logs); rates are integer nano-dollars per million tokens. Because
 * a rate in USD per million tokens times a token count is a cost in
 * micro-dollars, a call's cost is one integer product per token kind, summed,
 * then rounded once: no float ever accumulates.
 */

/** Decimal places kept of a rate in USD per million tokens (numeric(16,9) in model_pricing). */
export const RATE_DECIMALS = 9;
const RATE_SCALE = 10n ** BigInt(RATE_DECIMALS);
export const MICROS_PER_USD = 1_000_000;

/** USD per million tokens, scaled by 10^RATE_DECIMALS. */
export type Rate = bigint;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * The exact value of a decimal text ("2.5", "0.075", "1e-7") scaled by 10^decimals,
 * rounded half up beyond that. Undefined for anything that is not a finite decimal.
 */
export function parseScaledDecimal(text: string, decimals: number): bigint | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const digits = BigInt(`${whole}${fraction}` || '0');
  // value = digits * 10^(exponent - fraction.length); scaled = value * 10^decimals
  const shift = Number(exponent) - fraction.length + decimals;
  let scaled: bigint;
  if (shift >= 0) {
    scaled = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    scaled = (digits + divisor / 2n) / divisor;
  }
  return sign === '-' ? -scaled : scaled;
}

/**
 * A JavaScript number as the decimal it was written as: String(n) is the shortest
 * text that reads back as the same double, so 0.075 is 0.075, not 0.07499999….
 */
export function scaledFromNumber(value: number, decimals: number): bigint | undefined {
  return Number.isFinite(value) ? parseScaledDecimal(String(value), decimals) : undefined;
}

/** A rate in USD per million tokens, from the catalogue (number) or the database (numeric as text). */
export function parseRate(value: number | string): Rate | undefined {
  const rate = typeof value === 'number' ? scaledFromNumber(value, RATE_DECIMALS) : parseScaledDecimal(value, RATE_DECIMALS);
  return rate !== undefined && rate >= 0n ? rate : undefined;
}

/** tokens × rate, in micro-dollars scaled by 10^RATE_DECIMALS (exact). */
export function scaledCostOf(tokens: number, rate: Rate): bigint {
  return BigInt(tokens) * rate;
}

/** Rounds a scaled micro-dollar amount to whole micro-dollars, half up. */
export function roundScaledMicros(scaled: bigint): number {
  return Number((scaled + RATE_SCALE / 2n) / RATE_SCALE);
}

/** Rounds scaled × numerator / denominator to whole micro-dollars, half up, exactly (a service-tier discount). */
export function roundScaledMicrosTimes(scaled: bigint, numerator: bigint, denominator: bigint): number {
  return Number((2n * scaled * numerator + denominator * RATE_SCALE) / (2n * denominator * RATE_SCALE));
}

/** A USD amount given as a number (e.g. by a caller) in whole micro-dollars, half up. */
export function usdToMicros(usd: number): number | undefined {
  const micros = scaledFromNumber(usd, 6);
  return micros === undefined ? undefined : Number(micros);
}

/** A numeric(14,6) value as text (or null) in micro-dollars. */
export function parseUsdText(text: string | null): number | null {
  if (text === null) return null;
  const micros = parseScaledDecimal(text, 6);
  if (micros === undefined) throw new TypeError(`not a decimal amount: ${JSON.stringify(text)}`);
  return Number(micros);
}

/** Micro-dollars as the decimal text Postgres stores exactly, e.g. 2500 → "0.002500". */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  const fraction = String(abs % MICROS_PER_USD).padStart(6, '0');
  return `${sign}${whole}.${fraction}`;
}

/** Micro-dollars as a number of dollars (exact for display: the nearest double to the decimal). */
export function microsToUsd(micros: number): number {
  return micros / MICROS_PER_USD;
}
