import assert from 'node:assert/strict';
import { test } from 'node:test';
import { windowOf, windowSweepId } from '../../src/config/walk-forward-spec.js';

test('a window sweep id reads back as its walk-forward and window, the last "-w<k>" being the window', () => {
  assert.deepEqual(windowOf(windowSweepId('wfcoll', 1)), { walkForwardId: 'wfcoll', k: 1 });
  assert.deepEqual(windowOf('wf-2026-w12'), { walkForwardId: 'wf-2026', k: 12 });
  assert.deepEqual(windowOf('a-w1-w2'), { walkForwardId: 'a-w1', k: 2 }, 'a walk-forward may itself have an id like a window\'s');
});

test('ids windowSweepId never makes are no window: no number, window 0, a leading zero, no "-w"', () => {
  for (const id of ['wfcoll', 'wfcoll-w', 'wfcoll-w0', 'wfcoll-w01', 'wfcoll-x1', '-w1', 'wfcoll_w1']) assert.equal(windowOf(id), null, id);
});
