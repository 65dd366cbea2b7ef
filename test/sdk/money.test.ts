import { describe, expect, it } from 'vitest';
import { formatMicros, parseRate, parseScaledDecimal, parseUsdText, roundScaledMicros, usdToMicros } from '../../src/sdk/money.js';

describe('exact decimals', () => {
  it.each([
    ['2.5', 9, 2_500_000_000n],
    ['0.075', 9, 75_000_000n],
    ['1e-7', 9, 100n],
    ['3.75E+1', 0, 38n], // 37.5 rounds half up
    ['.5', 0, 1n],
    ['7.', 2, 700n],
    ['-0.0000015', 6, -2n],
  ])('%s scaled by 10^%i is %s', (text, decimals, expected) => {
    expect(parseScaledDecimal(text, decimals)).toBe(expected);
  });

  it.each(['', '.', 'abc', '1.2.3', '1e', 'NaN', 'Infinity'])('%j is not a decimal', (text) => {
    expect(parseScaledDecimal(text, 6)).toBeUndefined();
  });

  it('reads numbers as the decimal they print as, not their binary expansion', () => {
    // 0.1 + 0.2 is 0.30000000000000004 as a double; as written, each is exact.
    expect(usdToMicros(0.1)! + usdToMicros(0.2)!).toBe(usdToMicros(0.3));
    expect(parseRate(0.075)).toBe(75_000_000n);
    expect(parseRate(-1)).toBeUndefined();
    expect(parseRate(Number.NaN)).toBeUndefined();
  });

  it('rounds scaled micro-dollars half up', () => {
    expect(roundScaledMicros(1_499_999_999n)).toBe(1);
    expect(roundScaledMicros(1_500_000_000n)).toBe(2);
    expect(roundScaledMicros(0n)).toBe(0);
  });

  it('formats micro-dollars as numeric(14,6) text and reads it back', () => {
    expect(formatMicros(2500)).toBe('0.002500');
    expect(formatMicros(12_345_678_901)).toBe('12345.678901');
    expect(formatMicros(0)).toBe('0.000000');
    expect(formatMicros(-5)).toBe('-0.000005');
    expect(parseUsdText('12345.678901')).toBe(12_345_678_901);
    expect(parseUsdText(null)).toBeNull();
  });
});
