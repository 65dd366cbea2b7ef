/**
 * Exact money. Rates are USD per million tokens with 9 decimals (numeric(16,9) in
 * model_pricing), so a token count times a rate is an exact number of
 * femto-dollars (10^-15 USD), and half of it (a batch discount) an exact number
 * of 10^-16 USD. Costs are therefore kept as integer atto-dollars (10^-18 USD,
 * `Exact`) and stored as exact decimals (the cost columns are unconstrained
 * numeric): a call's cost is never rounded, so a sum of any number of calls is
 * the exact sum of their prices. Micro-dollars are for display only.
 */

/** Decimal places kept of a rate in USD per million tokens (numeric(16,9) in model_pricing). */
export const RATE_DECIMALS = 9;
export const MICROS_PER_USD = 1_000_000;

/** Decimal places of an exact amount: atto-dollars. */
export const EXACT_DECIMALS = 18;
const EXACT_SCALE = 10n ** BigInt(EXACT_DECIMALS);
/** An amount in USD × 10^18 (atto-dollars): what a cost is until it is displayed. */
export type Exact = bigint;
/** tokens × rate is micro-dollars × 10^RATE_DECIMALS; this many atto-dollars make one unit of it. */
const ATTO_PER_SCALED_MICRO = 10n ** BigInt(EXACT_DECIMALS - 6 - RATE_DECIMALS);

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

/**
 * scaled × numerator / denominator (a service-tier discount) in atto-dollars.
 * Exact whenever the denominator divides 1000 (every tier has 1 or 2); any other
 * would be rounded half up at 10^-18 USD.
 */
export function exactFromScaled(scaled: bigint, numerator = 1n, denominator = 1n): Exact {
  const atto = scaled * ATTO_PER_SCALED_MICRO * numerator;
  return (2n * atto + denominator) / (2n * denominator);
}

/** Half a micro-dollar in atto-dollars: two amounts closer than this show the same micro-dollars. */
const HALF_MICRO: Exact = EXACT_SCALE / BigInt(MICROS_PER_USD) / 2n;

/**
 * Whether two exact amounts agree to the micro-dollar: less than half of one
 * apart (a figure Notion holds as a double against the exact sum, say).
 */
export function agreeToTheMicro(a: Exact, b: Exact): boolean {
  return (a > b ? a - b : b - a) < HALF_MICRO;
}

/** Rounds an exact amount to whole micro-dollars, half up: for display, never for storage or sums. */
export function microsFromExact(exact: Exact): number {
  const perMicro = EXACT_SCALE / BigInt(MICROS_PER_USD);
  const sign = exact < 0n ? -1n : 1n;
  return Number((sign * ((sign * exact * 2n + perMicro) / (2n * perMicro))));
}

/** A USD amount given as a number (e.g. by a caller), exactly as written: 0.0000015 stays 0.0000015. */
export function exactFromNumber(usd: number): Exact | undefined {
  return scaledFromNumber(usd, EXACT_DECIMALS);
}

/** A USD amount given as a number in whole micro-dollars, half up (for display and estimates). */
export function usdToMicros(usd: number): number | undefined {
  const micros = scaledFromNumber(usd, 6);
  return micros === undefined ? undefined : Number(micros);
}

/** A decimal USD text (an exact numeric from Postgres) as an exact amount; null stays null. */
export function parseExactUsd(text: string | null): Exact | null {
  if (text === null) return null;
  const exact = parseScaledDecimal(text, EXACT_DECIMALS);
  if (exact === undefined) throw new TypeError(`not a decimal amount: ${JSON.stringify(text)}`);
  return exact;
}

/**
 * An exact amount as the decimal text Postgres stores exactly: at least six
 * decimals, and as many more as it needs (1.5 µ$ → "0.0000015", 2500 µ$ → "0.002500").
 */
export function formatExact(exact: Exact): string {
  const sign = exact < 0n ? '-' : '';
  const abs = exact < 0n ? -exact : exact;
  const whole = abs / EXACT_SCALE;
  const fraction = String(abs % EXACT_SCALE).padStart(EXACT_DECIMALS, '0').replace(/0+$/, '').padEnd(6, '0');
  return `${sign}${whole}.${fraction}`;
}

/** An exact amount as a number of dollars, for display (the nearest double). */
export function exactToUsd(exact: Exact): number {
  return Number(formatExact(exact));
}

/** A decimal USD text (or null) rounded to micro-dollars, half up: for display. */
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
