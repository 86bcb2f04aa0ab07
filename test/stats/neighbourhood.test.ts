import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGrid, comboAt, gridIndex, gridPicks } from '../../src/config/grid.js';
import { neighbourhood } from '../../src/stats/index.js';

// fast 5..25 by 5 (5 values) × slow [50, 100, 200]: index = fastPick·3 + slowPick.
const grid = buildGrid([
  {
    worker_category: 'analysis_workers',
    worker_phase: 'signal_generation',
    worker_plugin: 'sma_cross',
    parameters: { fast: { start: 5, end: 25, step: 5 }, slow: { values: [50, 100, 200] } },
  },
]);

describe('grid indexing', () => {
  test('gridIndex inverts gridPicks, last axis fastest', () => {
    assert.deepEqual(gridPicks(grid, 7), [2, 1]);
    assert.equal(gridIndex(grid, [2, 1]), 7);
    assert.deepEqual(comboAt(grid, 7), { fast: 15, slow: 100 });
  });
});

describe('neighbourhood stability', () => {
  test('an inner row has four neighbours, one step along each axis', () => {
    const values = new Map<number, number | null>([
      [4, 1.0], // fast 10, slow 100
      [10, 0.8], // fast 20, slow 100
      [6, 0.9], // fast 15, slow 50
      [8, null], // fast 15, slow 200: ran without a rankable value
      [7, 1.2], // the row itself
    ]);
    const [row] = neighbourhood(grid, [{ idx: 7, value: 1.2 }], (idx) => values.get(idx));
    assert.deepEqual(
      row!.neighbours.map((n) => [n.axis, n.step, n.idx, n.value]),
      [
        ['fast', -1, 4, 1.0],
        ['fast', 1, 10, 0.8],
        ['slow', -1, 6, 0.9],
        ['slow', 1, 8, null],
      ],
    );
    assert.ok(Math.abs(row!.mean! - 0.9) < 1e-12, '(1.0 + 0.8 + 0.9) / 3');
    assert.equal(row!.min, 0.8);
    assert.equal(row!.max, 1.0);
    assert.ok(Math.abs(row!.retained! - 0.75) < 1e-12, '0.9 / 1.2');
    assert.deepEqual(row!.params, { fast: 15, slow: 100 });
  });

  test('a corner has only the neighbours inside the grid, and neighbours not run are left out', () => {
    // idx 0 = fast 5, slow 50: its neighbours are idx 3 (fast 10) and idx 1 (slow 100); 1 was not run.
    const [row] = neighbourhood(grid, [{ idx: 0, value: 2 }], (idx) => (idx === 3 ? -0.5 : undefined));
    assert.deepEqual(row!.neighbours, [{ idx: 3, axis: 'fast', step: 1, value: -0.5 }]);
    assert.equal(row!.retained, -0.25, 'a lone spike: its neighbour loses');
  });

  test('no neighbour with a value gives nulls, not zeros', () => {
    const [row] = neighbourhood(grid, [{ idx: 7, value: -1 }], () => null);
    assert.equal(row!.neighbours.length, 4);
    assert.equal(row!.mean, null);
    assert.equal(row!.retained, null);
  });
});
