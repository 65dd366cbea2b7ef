import { describe, expect, it } from 'vitest';
import {
  agreeToTheMicro, exactFromNumber, exactFromScaled, formatExact, formatMicros, microsFromExact, parseExactUsd, parseRate, parseScaledDecimal, parseUsdText, usdToMicros,
} from '../../src/sdk/money.js';

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

  it('keeps tokens × rate exact, a halving included, and rounds only for display', () => {
    // 1 token at $1.50/MTok is $0.0000015: 1.5 µ$, 1,500,000,000,000 atto-dollars.
    const oneToken = exactFromScaled(1n * parseRate('1.50')!);
    expect(oneToken).toBe(1_500_000_000_000n);
    expect(formatExact(oneToken)).toBe('0.0000015');
    // Batch: half of 1 token at $0.075/MTok is $0.0000000375.
    expect(formatExact(exactFromScaled(parseRate('0.075')!, 1n, 2n))).toBe('0.0000000375');
    // A million such calls are $1.50, not the $2.00 that rounding each to 2 µ$ gave.
    expect(formatExact(oneToken * 1_000_000n)).toBe('1.500000');
    expect(microsFromExact(oneToken)).toBe(2);
    expect(microsFromExact(1_499_999_999_999n)).toBe(1);
    expect(microsFromExact(-oneToken)).toBe(-2);
  });

  it('says two amounts agree to the micro-dollar when less than half of one apart', () => {
    const exact = parseExactUsd('1.0000015')!;
    expect(agreeToTheMicro(parseExactUsd('1.0000019999')!, exact)).toBe(true);
    expect(agreeToTheMicro(parseExactUsd('1.000001')!, exact)).toBe(false); // exactly half a micro-dollar apart
    expect(agreeToTheMicro(exact, exact)).toBe(true);
  });

  it('stores a given cost exactly as written and reads stored text back exactly', () => {
    expect(formatExact(exactFromNumber(0.0000015)!)).toBe('0.0000015');
    expect(formatExact(exactFromNumber(12.5)!)).toBe('12.500000');
    expect(parseExactUsd('0.0000000375000000')).toBe(37_500_000_000n);
    expect(parseExactUsd(null)).toBeNull();
    expect(() => parseExactUsd('1,5')).toThrow(/not a decimal amount/);
    expect(formatExact(-1n)).toBe('-0.000000000000000001');
  });

  it('formats micro-dollars as six-decimal text and reads it back', () => {
    expect(formatMicros(2500)).toBe('0.002500');
    expect(formatMicros(12_345_678_901)).toBe('12345.678901');
    expect(formatMicros(0)).toBe('0.000000');
    expect(formatMicros(-5)).toBe('-0.000005');
    expect(parseUsdText('12345.678901')).toBe(12_345_678_901);
    expect(parseUsdText(null)).toBeNull();
  });
});
