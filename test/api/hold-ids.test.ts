import { expect, it } from 'vitest';
import { createHoldIds } from '../../src/api/hold-ids.js';

const HOLD = '0b3c8a1e-5f2d-4c6b-9a7e-1d2c3b4a5f60';
const ids = createHoldIds('a-deployment-secret-of-some-length');
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'opened';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

it('opens a hold id for the user it was issued for, and for the service', () => {
  const issued = ids.issue(HOLD, 'alice');
  expect(ids.open(issued, { kind: 'user', userId: 'alice' })).toBe(HOLD);
  expect(ids.open(issued, { kind: 'service' })).toBe(HOLD);
  expect(ids.open(HOLD, { kind: 'service' })).toBe(HOLD);
});

it('refuses another user\'s hold, a bare or altered id, and what is not a hold id at all', () => {
  const issued = ids.issue(HOLD, 'alice');
  expect(codeOf(() => ids.open(issued, { kind: 'user', userId: 'bob' }))).toBe('hold_not_yours');
  expect(codeOf(() => ids.open(HOLD, { kind: 'user', userId: 'alice' }))).toBe('hold_not_yours');
  expect(codeOf(() => ids.open(`${issued.slice(0, -1)}A`, { kind: 'user', userId: 'alice' }))).toMatch(/hold_not_yours/);
  expect(codeOf(() => ids.open(ids.issue(HOLD, null), { kind: 'user', userId: 'alice' }))).toBe('hold_not_yours');
  expect(codeOf(() => ids.open('not-a-hold', { kind: 'service' }))).toBe('hold_not_found');
  // Another deployment's key issues ids this one does not accept.
  expect(codeOf(() => ids.open(createHoldIds('another-secret').issue(HOLD, 'alice'), { kind: 'user', userId: 'alice' }))).toBe('hold_not_yours');
});
