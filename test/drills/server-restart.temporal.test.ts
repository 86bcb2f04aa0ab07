import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertExecutionsBounded,
  assertRowsExact,
  DRILL_TIMEOUT_MS,
  exampleSweep,
  HEARTBEAT_TIMEOUT_S,
  startDrill,
  storedCount,
  storedRows,
  waitUntil,
  type Drill,
} from './drill-kit.js';

/*
 * Drill: the Temporal dev server is SIGKILLed mid-sweep and started again on the same database file
 * and port. The worker process keeps running and reconnects on its own; the sweep's workflow and its
 * pending activities come back from the database and the sweep completes.
 */

let drill: Drill;

before(async () => {
  drill = await startDrill('server-restart');
});

after(async () => {
  await drill?.stop();
});

test('a sweep survives a SIGKILL of the Temporal server and completes after a restart on the same database', { timeout: DRILL_TIMEOUT_MS }, async (t) => {
  const started = performance.now();
  const { loaded, spec } = exampleSweep();
  const { id } = await drill.sweeps().submit(spec, { options: { heartbeat_timeout_s: HEARTBEAT_TIMEOUT_S } });

  const worker = drill.startWorker();
  await waitUntil('the worker stored 120 operations', async () => (await storedCount(drill.store, id)) >= 120);
  const killedAt = performance.now();
  await drill.temporal.kill();
  const atKill = await storedCount(drill.store, id);
  // While the server is down the worker finishes what it holds but cannot report it or get more.
  await sleep(2_000);
  drill.temporal = await drill.temporal.restart();
  const downMs = Math.round(performance.now() - killedAt);

  const view = await drill.sweeps().result(id);
  assert.equal(worker.exitCode, null, 'the same worker process reconnected and is still running');
  assert.equal(view.status, 'completed');
  assert.equal(view.done, loaded.admissible);
  assert.equal(view.failed, 0);
  assert.ok(atKill < loaded.admissible, `the server died mid-sweep (${atKill} of ${loaded.admissible} stored)`);

  assertRowsExact(await storedRows(drill.store, id), loaded);
  const executions = drill.executions();
  assertExecutionsBounded(executions, loaded.admissible, { workerKills: 0, serverKills: 1 });
  t.diagnostic(
    `server killed at ${atKill} stored, down for ${downMs} ms; ${executions} engine executions for ${loaded.admissible} operations; ${Math.round(performance.now() - started)} ms`,
  );
});
