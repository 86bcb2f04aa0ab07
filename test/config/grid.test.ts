import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGrid, comboAt, comboWalker, rangeLength, rangeValues } from '../../src/config/grid.js';
import type { ParameterAxisGroup } from '../../src/config/schemas.js';

const group = (plugin: string, parameters: ParameterAxisGroup['parameters'], phase = 'signal_generation'): ParameterAxisGroup => ({
  worker_category: 'analysis_workers',
  worker_phase: phase,
  worker_plugin: plugin,
  parameters,
});

describe('rangeValues', () => {
  test('includes end when a step lands on it', () => {
    // 5, 10, ..., 30: (30 − 5)/5 + 1 = 6 values.
    assert.deepEqual(rangeValues({ start: 5, end: 30, step: 5 }), [5, 10, 15, 20, 25, 30]);
  });

  test('stops below end when no step lands on it', () => {
    // floor((10 − 1)/4) + 1 = 3 values: 1, 5, 9 (13 would pass 10).
    assert.deepEqual(rangeValues({ start: 1, end: 10, step: 4 }), [1, 5, 9]);
  });

  test('0.1 steps are exact decimals without drift', () => {
    // (1 − 0)/0.1 is 9.999999999999998 in binary; the 1e-9 slack still gives 11 values, each rounded to 1 decimal.
    const values = rangeValues({ start: 0, end: 1, step: 0.1 });
    assert.deepEqual(values, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    assert.equal(values[3], 0.3, '0 + 3 × 0.1 is 0.30000000000000004 unrounded');
  });

  test('rounds to the decimals of start when start has more than step', () => {
    // 0.25 + i × 0.5 → 0.25, 0.75, 1.25 (two decimals from start).
    assert.deepEqual(rangeValues({ start: 0.25, end: 1.3, step: 0.5 }), [0.25, 0.75, 1.25]);
  });

  test('a range with start equal to end has one value', () => {
    assert.deepEqual(rangeValues({ start: 7, end: 7, step: 3 }), [7]);
  });

  test('a values list is kept as written, mixed types included', () => {
    assert.deepEqual(rangeValues({ values: ['long', 'short', 'both'] }), ['long', 'short', 'both']);
    assert.deepEqual(rangeValues({ values: [true, 2, 'x'] }), [true, 2, 'x']);
  });

  test('rangeLength counts without building values', () => {
    // 0..1e6 by 0.5: 2,000,000 intervals + 1.
    assert.equal(rangeLength({ start: 0, end: 1e6, step: 0.5 }), 2_000_001);
  });
});

describe('buildGrid', () => {
  test('size is the product of the axis lengths', () => {
    // fast: 5..30 by 5 → 6 values; slow: 3 values → 18.
    const grid = buildGrid([group('sma_cross', { fast: { start: 5, end: 30, step: 5 }, slow: { values: [20, 50, 100] } })]);
    assert.equal(grid.size, 18);
    assert.deepEqual(
      grid.axes.map((a) => [a.label, a.category, a.phase, a.plugin, a.param]),
      [
        ['fast', 'analysis_workers', 'signal_generation', 'sma_cross', 'fast'],
        ['slow', 'analysis_workers', 'signal_generation', 'sma_cross', 'slow'],
      ],
    );
  });

  test('labels are bare names when unique and plugin.param when two plugins share a name', () => {
    const grid = buildGrid([
      group('sma_cross', { fast: { values: [5] }, slow: { values: [50] } }),
      group('trend_filter', { period: { values: [100] } }, 'regime_context'),
      group('atr_exit', { atr_period: { values: [14] } }, 'exit_planning'),
      group('ema_cross', { fast: { values: [3] } }),
    ]);
    assert.deepEqual(
      grid.axes.map((a) => a.label),
      ['sma_cross.fast', 'slow', 'period', 'atr_period', 'ema_cross.fast'],
    );
  });

  test('labels add the phase when plugin.param alone is ambiguous', () => {
    const grid = buildGrid([
      group('dual', { n: { values: [1] } }, 'entry_planning'),
      group('dual', { n: { values: [2] } }, 'exit_planning'),
    ]);
    assert.deepEqual(
      grid.axes.map((a) => a.label),
      ['entry_planning.dual.n', 'exit_planning.dual.n'],
    );
  });
});

describe('comboAt', () => {
  const grid = buildGrid([group('sma_cross', { fast: { values: [5, 10, 15] }, slow: { values: [20, 50] } })]);

  test('numbers combinations with the last axis fastest', () => {
    // Like nested loops: for fast in [5,10,15]: for slow in [20,50].
    const all = Array.from({ length: grid.size }, (_, i) => comboAt(grid, i));
    assert.deepEqual(all, [
      { fast: 5, slow: 20 },
      { fast: 5, slow: 50 },
      { fast: 10, slow: 20 },
      { fast: 10, slow: 50 },
      { fast: 15, slow: 20 },
      { fast: 15, slow: 50 },
    ]);
  });

  test('index 0 and size − 1 are the first and last combinations', () => {
    assert.deepEqual(comboAt(grid, 0), { fast: 5, slow: 20 });
    assert.deepEqual(comboAt(grid, 5), { fast: 15, slow: 50 });
  });

  test('throws RangeError outside [0, size) and for fractional indices', () => {
    assert.throws(() => comboAt(grid, 6), RangeError);
    assert.throws(() => comboAt(grid, -1), RangeError);
    assert.throws(() => comboAt(grid, 1.5), RangeError);
  });

  test('three axes: index 7 of 2×2×3 is digits (1, 0, 1)', () => {
    // Place values are (2·3, 3, 1) = (6, 3, 1): 7 = 1·6 + 0·3 + 1.
    const g = buildGrid([group('x', { a: { values: ['a0', 'a1'] }, b: { values: ['b0', 'b1'] }, c: { values: ['c0', 'c1', 'c2'] } })]);
    assert.deepEqual(comboAt(g, 7), { a: 'a1', b: 'b0', c: 'c1' });
  });
});

describe('comboWalker', () => {
  const grid = buildGrid([
    group('sma_cross', { fast: { values: [5, 10, 15] }, slow: { values: [20, 50] } }),
    group('atr_exit', { atr_multiplier: { values: [1, 1.5] }, risk_reward_ratio: { values: [1, 2, 3] } }),
  ]);

  test('gives comboAt at every index of an in-order walk, across every carry', () => {
    const walk = comboWalker(grid);
    for (let i = 0; i < grid.size; i++) assert.deepEqual({ ...walk(i) }, comboAt(grid, i), `index ${i}`);
  });

  test('gives comboAt after a jump, and walks on from there', () => {
    const walk = comboWalker(grid);
    for (const i of [7, 8, 3, 35, 0, 1, 20, 21, 22]) assert.deepEqual({ ...walk(i) }, comboAt(grid, i), `index ${i}`);
  });
});
