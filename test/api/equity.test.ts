import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignCurves, sampleIndices } from '../../src/api/equity.js';

const curve = (t: number[], v: number[]) => ({ t, v });

test('sampleIndices spreads the samples evenly and keeps the first and last index', () => {
  // length 10, count 4: k·9/3 = 0, 3, 6, 9.
  assert.deepEqual(sampleIndices(10, 4), [0, 3, 6, 9]);
  // length 6, count 3: k·5/2 = 0, 2.5 → 3 (Math.round rounds .5 up), 5.
  assert.deepEqual(sampleIndices(6, 3), [0, 3, 5]);
});

test('sampleIndices keeps every index when there are no more than asked for', () => {
  assert.deepEqual(sampleIndices(3, 5), [0, 1, 2]);
});

test('series on the same bars are thinned at the same indices', () => {
  const t = [10, 20, 30, 40, 50];
  const aligned = alignCurves(
    [
      { key: 'a', equity: curve(t, [1, 2, 3, 4, 5]), drawdown: curve(t, [0, 0, 0, 0, 0]) },
      { key: 'b', equity: curve(t, [5, 4, 3, 2, 1]), drawdown: curve(t, [0, -0.2, -0.4, -0.6, -0.8]) },
    ],
    3,
  );
  // sampleIndices(5, 3) = 0, 2, 4.
  assert.deepEqual(aligned.t, [10, 30, 50]);
  assert.deepEqual(aligned.series[0]!.equity, [1, 3, 5]);
  assert.deepEqual(aligned.series[1]!.equity, [5, 3, 1]);
  assert.deepEqual(aligned.series[1]!.drawdown, [0, -0.4, -0.8]);
});

test('series on different bars share the union of timestamps, holding their last value, null before the first', () => {
  const aligned = alignCurves(
    [
      { key: 'a', equity: curve([1, 2, 4], [10, 11, 13]), drawdown: curve([1, 2, 4], [0, 0, 0]) },
      { key: 'b', equity: curve([2, 3], [20, 19]), drawdown: curve([2, 3], [0, -0.05]) },
    ],
    10,
  );
  // union 1, 2, 3, 4; a lacks 3 (holds 11); b starts at 2 (null at 1) and ends at 3 (holds 19 at 4).
  assert.deepEqual(aligned.t, [1, 2, 3, 4]);
  assert.deepEqual(aligned.series[0]!.equity, [10, 11, 11, 13]);
  assert.deepEqual(aligned.series[1]!.equity, [null, 20, 19, 19]);
  assert.deepEqual(aligned.series[1]!.drawdown, [null, 0, -0.05, -0.05]);
});
