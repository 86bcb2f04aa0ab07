import assert from 'node:assert/strict';
import { test } from 'node:test';
import { viewFromProgress } from '../../src/client/sweeps.js';
import type { SweepProgress } from '../../src/workflows/types.js';

/** 600 of 1,000 done, 100 s after the start. */
function progress(over: Partial<SweepProgress>): SweepProgress {
  return {
    sweep_id: 's', kind: 'optimization', name: 'n', phase: 'running', primary_metric: 'sharpe_ratio', space: 1_000, total: 1_000,
    done: 600, failed: 0, reused: 0, executed: 600, running: 0, pack: 10, started_at: 0, now: 100_000, paused_ms: 0, paused_since: null,
    generation: 0, best: null, top: [], errors: [], ...over,
  };
}

test('the rate counts the time since the start: 600 ops in 100 s is 6/s, 400 left is 66.7 s', () => {
  const view = viewFromProgress(progress({}), 'RUNNING');
  assert.equal(view.rate, 6);
  assert.ok(Math.abs(view.eta_s! - 400 / 6) < 1e-9);
});

test('after a resume the rate leaves the paused time out: 600 ops in 100 − 40 s is 10/s', () => {
  const view = viewFromProgress(progress({ paused_ms: 40_000 }), 'RUNNING');
  assert.equal(view.rate, 10);
  assert.equal(view.eta_s, 40);
});

test('while paused there is neither a rate nor an ETA', () => {
  const view = viewFromProgress(progress({ phase: 'paused', paused_since: 90_000 }), 'RUNNING');
  assert.equal(view.status, 'paused');
  assert.equal(view.rate, null);
  assert.equal(view.eta_s, null);
});
