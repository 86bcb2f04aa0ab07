import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { walkForwardCurves, walkForwardReport } from '../../src/client/walk-forwards.js';
import { windowSweepId } from '../../src/config/walk-forward-spec.js';
import { loadWalkForwardFile } from '../../src/intake/walk-forward.js';
import { byHand, WALK_FORWARD_FILE } from '../workflows/walk-forward-by-hand.js';
import { DRILL_TIMEOUT_MS, HEARTBEAT_TIMEOUT_S, killChild, repoRoot, startDrill, storedCount, waitUntil, type Drill } from './drill-kit.js';

/*
 * Drill: the worker of a walk-forward is SIGKILLed while a window's in-sample optimization runs; a
 * second worker finishes it. The result is the undisturbed one (the walk-forward done by hand), and
 * the retried activities reran at most what was in flight.
 */

let drill: Drill;

before(async () => {
  drill = await startDrill('walk-forward-kill');
});

after(async () => {
  await drill?.stop();
});

test('a walk-forward whose worker is SIGKILLed mid-window ends with the undisturbed result', { timeout: DRILL_TIMEOUT_MS }, async (t) => {
  const spec = loadWalkForwardFile(WALK_FORWARD_FILE, { dataRoot: repoRoot }).spec;
  spec.max_windows_in_flight = 1;
  spec.optimization.parallel = { ...spec.optimization.parallel, operations_per_activity: 1, max_in_flight: 1 };
  const sweeps = drill.sweeps();
  const { id } = await sweeps.submit(spec, { options: { heartbeat_timeout_s: HEARTBEAT_TIMEOUT_S } });

  const first = drill.startWorker();
  // Window 4's optimization has stored an operation of its grid, not all six: the kill lands inside it.
  await waitUntil('window 4 is under way', async () => (await storedCount(drill.store, windowSweepId(id, 4))) >= 1, 120_000);
  await killChild(first);
  const windowsAtKill = (await drill.store.walkForwardWindows(id)).length;
  const opsAtKill = await storedCount(drill.store, windowSweepId(id, 4));

  drill.startWorker();
  const view = await sweeps.result(id);
  assert.equal(view.status, 'completed');
  assert.equal(view.done, 8);

  const expected = byHand();
  const report = await walkForwardReport(drill.store, id);
  assert.ok(report, 'the walk-forward is in the store');
  assert.deepEqual(report.windows.map((w) => w.params), expected.params, 'the same choices as undisturbed');
  const { stitched } = await walkForwardCurves(drill.store, id);
  assert.equal(stitched.v.length, expected.stitched.length);
  stitched.v.forEach((v, i) => assert.ok(Math.abs(v - expected.stitched[i]!) <= 1e-9 * expected.stitched[i]!, `stitched equity at bar ${i}`));

  // 48 grid operations and two runs (in and out of sample) per window that chose; a kill reruns at
  // most the one activity in flight (a grid operation, or a window's two runs).
  const operations = 48 + 2 * expected.params.filter(Boolean).length;
  const executions = drill.executions();
  assert.ok(executions >= operations && executions <= operations + 2, `${executions} engine executions for ${operations} operations`);
  t.diagnostic(`killed with ${windowsAtKill} windows stored and ${opsAtKill} of window 4's 6 operations; ${executions} executions for ${operations} operations`);
});
