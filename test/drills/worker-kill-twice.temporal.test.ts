import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertExecutionsBounded,
  assertRowsExact,
  DRILL_TIMEOUT_MS,
  exampleSweep,
  HEARTBEAT_TIMEOUT_S,
  killChild,
  startDrill,
  storedCount,
  storedRows,
  waitUntil,
  type Drill,
} from './drill-kit.js';

/*
 * Drill: the worker process of a sweep is SIGKILLed, a second one takes over and is SIGKILLed too,
 * and a third finishes the sweep. Each kill loses at most the activities in flight at that moment;
 * their retries reuse what was stored and run only the rest.
 */

let drill: Drill;

before(async () => {
  drill = await startDrill('worker-kill');
});

after(async () => {
  await drill?.stop();
});

test('a sweep whose worker is SIGKILLed twice completes with every operation stored exactly once', { timeout: DRILL_TIMEOUT_MS }, async (t) => {
  const started = performance.now();
  const { loaded, spec } = exampleSweep();
  const sweeps = drill.sweeps();
  const { id } = await sweeps.submit(spec, { options: { heartbeat_timeout_s: HEARTBEAT_TIMEOUT_S } });

  // Kill points: a sixth and a half of the way, so each successor has work left to pick up.
  const first = drill.startWorker();
  await waitUntil('the first worker stored 80 operations', async () => (await storedCount(drill.store, id)) >= 80);
  await killChild(first);
  const atFirstKill = await storedCount(drill.store, id);

  const second = drill.startWorker();
  await waitUntil('the second worker stored up to 240 operations', async () => (await storedCount(drill.store, id)) >= 240);
  await killChild(second);
  const atSecondKill = await storedCount(drill.store, id);
  assert.ok(atSecondKill < loaded.admissible, `the second kill hit mid-sweep (${atSecondKill} of ${loaded.admissible} stored)`);

  drill.startWorker();
  const view = await sweeps.result(id);
  assert.equal(view.status, 'completed');
  assert.equal(view.done, loaded.admissible);
  assert.equal(view.failed, 0);

  assertRowsExact(await storedRows(drill.store, id), loaded);
  const executions = drill.executions();
  assertExecutionsBounded(executions, loaded.admissible, { workerKills: 2, serverKills: 0 });
  t.diagnostic(
    `killed at ${atFirstKill} and ${atSecondKill} stored; ${executions} engine executions for ${loaded.admissible} operations; ${Math.round(performance.now() - started)} ms`,
  );
});
