import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import {
  assertExecutionsBounded,
  assertRowsExact,
  DRILL_TIMEOUT_MS,
  exampleSweep,
  killChild,
  startDrill,
  storedCount,
  storedRows,
  waitUntil,
  watchStored,
  type Drill,
} from './drill-kit.js';

/*
 * Drill: three worker processes share a sweep; the one running most of its packs is SIGKILLed, then
 * again, and the last one finishes the sweep. Each kill loses at most the activities in flight at that moment;
 * their retries reuse what was stored and run only the rest. The sweep runs with the default
 * heartbeat timeout, so the longest stall after a kill is what an operator would see (docs/deploy.md).
 */

/** Generous against the 6–10 s a kill costs (the 5 s heartbeat timeout, the retry's 1 s backoff, the server's timers on a busy machine). */
const STALL_BOUND_MS = 15_000;
/** How long a kill waits for a moment when one worker runs every pack in flight. */
const SOLE_WAIT_MS = 1_500;

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

  // Three workers poll from the start, so a worker's start-up (15–25 s) is no part of a stall. Kill
  // points: a sixth and about half of the way, each at a moment when one worker runs every pack in flight
  // (the worker that runs the workflow takes most of them), so the survivors find the window full of
  // lost packs and wait out their heartbeat timeout: the stall a lost worker can cost a sweep.
  const workers = await Promise.all([drill.startWorkerReady(), drill.startWorkerReady(), drill.startWorkerReady()]);
  const { id } = await sweeps.submit(spec);
  const watch = watchStored(drill.store, id);
  // A moment when one worker runs every pack may not come before a 480-operation sweep ends on a
  // quiet machine: after SOLE_WAIT_MS the worker running the most packs is taken instead.
  const killSole = async (): Promise<void> => {
    let victim: ChildProcess | null = null;
    const deadline = performance.now() + SOLE_WAIT_MS;
    while (!(victim = await drill.soleWorker(id, workers)) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!victim) await waitUntil('a worker running a pack of the sweep', async () => (victim = await drill.busiestWorker(id, workers)) !== null);
    await killChild(victim!);
    workers.splice(workers.indexOf(victim!), 1);
  };
  await waitUntil('80 operations stored', async () => (await storedCount(drill.store, id)) >= 80);
  await killSole();
  const firstKill = performance.now();
  const atFirstKill = await storedCount(drill.store, id);

  await waitUntil('200 operations stored', async () => (await storedCount(drill.store, id)) >= 200);
  await killSole();
  const atSecondKill = await storedCount(drill.store, id);
  assert.ok(atSecondKill < loaded.admissible, `the second kill hit mid-sweep (${atSecondKill} of ${loaded.admissible} stored)`);

  const view = await sweeps.result(id);
  await watch.stop();
  // From the first kill to the end: the longer of the two kills' stalls.
  const stall = Math.round(watch.longestGapAfter(firstKill));
  assert.equal(view.status, 'completed');
  assert.equal(view.done, loaded.admissible);
  assert.equal(view.failed, 0);

  assertRowsExact(await storedRows(drill.store, id), loaded);
  const executions = drill.executions();
  assertExecutionsBounded(executions, loaded.admissible, { workerKills: 2, serverKills: 0 });
  t.diagnostic(
    `killed at ${atFirstKill} and ${atSecondKill} stored; longest stall in stored rows after a kill ${stall} ms; ${executions} engine executions for ${loaded.admissible} operations; ${Math.round(performance.now() - started)} ms`,
  );
  assert.ok(stall < STALL_BOUND_MS, `the sweep stored nothing for ${stall} ms after a kill (bound ${STALL_BOUND_MS} ms)`);
});
