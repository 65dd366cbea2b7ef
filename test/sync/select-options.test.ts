import { describe, expect, it } from 'vitest';
import { specOf } from '../../src/notion/catalogue/index.js';
import { createSelectOptions, OVERFLOW_OPTION_NAME, SELECT_OPTION_CAPACITY, type DecideOptions } from '../../src/sync/select-options.js';

/** A ledger in memory: the first `room` values of a call get options, the rest overflow; decisions stick. */
function memoryLedger(room: number) {
  const calls: { property: string; values: string[]; live: string[] }[] = [];
  const decided = new Map<string, string | null>();
  const decide: DecideOptions = async (_dataset, property, live, values) => {
    calls.push({ property, values: values.map((v) => v.name), live: live.map((l) => l.name) });
    let left = room;
    for (const v of values) if (!decided.has(v.folded)) decided.set(v.folded, left-- > 0 ? v.name : null);
    return new Map(values.map((v) => [v.folded, decided.get(v.folded)!]));
  };
  return { decide, calls };
}

describe('open select options', () => {
  const spec = specOf('daily_cost_breakdown');

  it('asks the ledger once per select for values not decided yet, and shows overflow as Other', async () => {
    const ledger = memoryLedger(1);
    const selects = createSelectOptions('daily_cost_breakdown', spec, ledger.decide);
    selects.setLive(new Map([['model', ['gpt-4o']]]));
    await selects.admit([{ model: 'o3', provider: 'openai', service_type: 'workflow' }, { model: 'o4', provider: 'openai', service_type: 'workflow' }]);
    expect(ledger.calls.map((c) => c.property)).toEqual(['service_type', 'provider', 'model']);
    expect(ledger.calls[2]).toEqual({ property: 'model', values: ['o3', 'o4'], live: ['gpt-4o', OVERFLOW_OPTION_NAME] });
    expect(selects.choose('model', 'o3')).toBe('o3');
    expect(selects.choose('model', 'O3')).toBe('o3');
    expect(selects.choose('model', 'o4')).toBe(OVERFLOW_OPTION_NAME);

    await selects.admit([{ model: 'O4', provider: 'openai', service_type: 'workflow' }]);
    expect(ledger.calls).toHaveLength(3);
  });

  it('has no overflow option to show when Notion’s select is full without one', async () => {
    const ledger = memoryLedger(0);
    const selects = createSelectOptions('daily_cost_breakdown', spec, ledger.decide);
    selects.setLive(new Map([['model', Array.from({ length: 100 }, (_, i) => `m${i}`)]]));
    await selects.admit([{ model: 'new' }]);
    expect(selects.choose('model', 'new')).toBeNull();
  });

  it('leaves room for people’s own options', () => {
    expect(SELECT_OPTION_CAPACITY).toBeLessThan(100);
  });
});
