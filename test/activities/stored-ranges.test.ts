import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatchFold } from '../../src/activities/batch-fold.js';
import { MAX_SKIP_RANGES, storedRanges } from '../../src/activities/stored-ranges.js';
import { buildGrid } from '../../src/config/grid.js';
import type { SweepSpec } from '../../src/config/sweep.js';
import type { OperationSummary } from '../../src/workflows/types.js';

/** A 4 × 4 grid (a, b in 1..4, idx = 4(a−1) + (b−1)) with `where` as given. */
function spec(where: string | null, min_trades = 0): SweepSpec {
  const grid = buildGrid([
    { worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'sma_cross', parameters: { a: { values: [1, 2, 3, 4] }, b: { values: [1, 2, 3, 4] } } },
  ] as never);
  return { kind: 'optimization', grid, where, min_trades, primary_metric: 'sharpe_ratio', file: 'test.yaml' } as unknown as SweepSpec;
}

describe('stored ranges', () => {
  test('cover runs of done indices, and indices the constraint excludes never break a run', () => {
    // a < b admits 1, 2, 3, 6, 7, 11 of 0..15.
    const done = new Set([1, 2, 6, 7, 11]);
    assert.deepEqual(storedRanges(spec('a < b'), done, 0, 16), { skip: [[1, 3], [6, 16]], to: 16 });
    assert.deepEqual(storedRanges(spec(null), done, 0, 16), { skip: [[1, 3], [6, 8], [11, 12]], to: 16 });
  });

  test('stop before opening one range too many, where the next scan picks up', () => {
    const every = new Set(Array.from({ length: 2 * MAX_SKIP_RANGES + 2 }, (_, i) => i).filter((i) => i % 2 === 0));
    const big = { ...spec(null), grid: { axes: [], size: 10 * MAX_SKIP_RANGES } } as unknown as SweepSpec;
    const out = storedRanges(big, every, 0, 10 * MAX_SKIP_RANGES);
    assert.equal(out.skip.length, MAX_SKIP_RANGES);
    assert.equal(out.to, 2 * MAX_SKIP_RANGES, 'the first done index left out');
  });
});

describe('batch fold', () => {
  const summary = (idx: number, value: number | null, extra: Partial<OperationSummary> = {}): OperationSummary => ({
    idx,
    hash: `h${idx}`,
    status: 'done',
    value,
    total_trades: 10,
    reused: false,
    error: null,
    ...extra,
  });

  test('reports counts, the best k that rank (ties by lower idx) and distinct failures', () => {
    const fold = new BatchFold(spec(null, 5), 2);
    fold.add(summary(4, 1));
    fold.add(summary(2, 3, { reused: true }));
    fold.add(summary(9, 3));
    fold.add(summary(1, 9, { total_trades: 4 }));
    fold.add(summary(3, null));
    fold.add(summary(5, null, { status: 'failed', error: 'bad' }));
    fold.add(summary(6, null, { status: 'failed', error: 'bad' }));
    const out = fold.outcome();
    assert.deepEqual([out.done, out.failed, out.reused], [5, 2, 1]);
    assert.deepEqual(out.summaries.map((s) => s.idx), [2, 9, 5], 'best two that rank, then the one distinct failure');
  });

  test('keeps the exact best k of a large batch while holding only a few', () => {
    const fold = new BatchFold(spec(null), 3);
    for (let idx = 0; idx < 10_000; idx++) fold.add(summary(idx, Math.sin(idx)));
    const expected = Array.from({ length: 10_000 }, (_, idx) => idx).sort((a, b) => Math.sin(b) - Math.sin(a) || a - b).slice(0, 3);
    assert.deepEqual(fold.outcome().summaries.map((s) => s.idx), expected);
  });
});
