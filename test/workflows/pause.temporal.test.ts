import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, Runtime, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { resolveOptimization } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, type OptimizationSpec } from '../../src/config/sweep.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { progressQuery } from '../../src/workflows/types.js';
import { createWorker, workflowsPath } from '../../worker.js';
import { startTestServer, uniqueId, type TestServer } from '../helpers/temporal.js';

/*
 * Pause with automatic packing (issue 19, item 1): packs of about a second each are in flight when
 * the pause comes; they must stop at their next batch boundary, store what they finished and hand
 * the rest back, so the sweep stops starting backtests within about a second; `resume` runs exactly
 * what is left. A real dev server, a worker with two backtest slots in this process, a SQLite store.
 */

const root = path.resolve(import.meta.dirname, '../..');
const dataRoot = root;
/** How long after the pause stored rows may still appear: "about a second of work" and one batch, on a loaded machine. */
const STOPS_WITHIN_MS = 3_000;
/** How long the count is watched after that for a row that should not come. */
const WATCH_MS = 4_000;
const CONTINUE_AS_NEW_AFTER = 60;

let t: TestServer;
let store: Store;
let worker: Worker;
let closeWorker: () => Promise<void>;
let workerRun: Promise<void>;
let executions = 0;
const taskQueue = uniqueId('pause');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-pause-'));

/**
 * RSI reversion on a year of hourly bars (examples/operation_hourly.yaml): 18 × 4 × 4 × 3 × 4 =
 * 3,456 combinations, no `where`, each a backtest of 8,760 bars, so a pack of a second holds
 * hundreds and the whole sweep takes several seconds on two slots.
 */
function hourlyGrid(): OptimizationSpec {
  const doc = {
    optimization_config: {
      name: 'pause with packs in flight',
      base_operation: 'operation_hourly.yaml',
      parameter_space: [
        {
          worker_category: 'analysis_workers',
          worker_phase: 'signal_generation',
          worker_plugin: 'rsi_reversion',
          parameters: { period: { start: 5, end: 22, step: 1 }, lower: { values: [20, 25, 30, 35] }, upper: { values: [65, 70, 75, 80] } },
        },
        {
          worker_category: 'analysis_workers',
          worker_phase: 'exit_planning',
          worker_plugin: 'fixed_percentage_exit',
          parameters: { stop_pct: { values: [1, 1.5, 2] }, target_pct: { values: [2, 3, 4, 5] } },
        },
      ],
    },
  };
  return optimizationSpec(resolveOptimization(doc, { file: 'pause test', baseDir: path.join(root, 'examples'), dataRoot }));
}

async function storedCount(id: string): Promise<number> {
  return (await store.queryResults(id, { sort: 'idx', limit: 1 })).total;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // Continue-as-new every few packs, so the indices handed back at the pause also travel in the
  // state a sweep carries from run to run.
  t = await startTestServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': CONTINUE_AS_NEW_AFTER } });
  const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
  store = await openStore({ url: databaseUrl });
  await store.migrate();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  ({ worker, close: closeWorker } = await createWorker({
    address: t.server.address,
    taskQueue,
    concurrency: 2,
    databaseUrl,
    dataRoot,
    workflowBundle,
    onExecuted: (n) => (executions += n),
  }));
  workerRun = worker.run();
});

after(async () => {
  worker?.shutdown();
  await workerRun;
  await closeWorker?.();
  await store?.close();
  await t?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a pause with packs in flight stops the stored count within about a second; resume stores exactly the rest', { timeout: 300_000 }, async (ctx) => {
  const spec = hourlyGrid();
  assert.equal(spec.admissible, 3_456);
  const sweeps = new Sweeps(t.client, store, taskQueue);
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const { id } = await sweeps.submit(spec);
  // Shortly after start: the first packs have stored something, and packs of about a second are in flight.
  await waitFor('the first stored rows', async () => (await storedCount(id)) >= 50);
  const beforePause = await t.client.workflow.getHandle(id).query(progressQuery);
  assert.ok(beforePause.running > 0, 'packs are in flight when the pause comes');

  const pausedAt = performance.now();
  const paused = await sweeps.pause(id);
  assert.equal(paused.status, 'paused', `paused from the moment the pause is accepted: ${JSON.stringify({ ...paused, progress: paused.progress && { ...paused.progress, top: [] } })}`);

  // The stored count may grow while running batches finish, then must not.
  let last = await storedCount(id);
  let lastGrowthMs = 0;
  while (performance.now() - pausedAt < STOPS_WITHIN_MS + WATCH_MS) {
    await sleep(100);
    const now = await storedCount(id);
    if (now !== last) {
      lastGrowthMs = performance.now() - pausedAt;
      last = now;
    }
  }
  const stoppedAt = last;
  ctx.diagnostic(`paused with ${beforePause.done} done and ${beforePause.running} in flight; rows stopped at ${stoppedAt} of ${spec.admissible}, last growth ${Math.round(lastGrowthMs)} ms after the pause`);
  assert.ok(lastGrowthMs < STOPS_WITHIN_MS, `rows were still being stored ${Math.round(lastGrowthMs)} ms after the pause`);
  assert.ok(stoppedAt < spec.admissible, 'the pause came while most of the sweep was still to run');
  assert.ok(stoppedAt < beforePause.done + beforePause.running, `packs in flight handed back what they had not started (${stoppedAt} stored of ${beforePause.done} done and ${beforePause.running} in flight)`);

  const progress = await t.client.workflow.getHandle(id).query(progressQuery);
  assert.equal(progress.phase, 'paused');
  assert.equal(progress.running, 0, 'every pack in flight stopped and handed its rest back');
  assert.equal(progress.done + progress.failed, stoppedAt, 'the workflow counts exactly what is stored');
  assert.equal((await sweeps.view(id)).status, 'paused');

  await sweeps.resume(id);
  const view = await sweeps.result(id);
  loop.disable();
  assert.equal(view.status, 'completed');
  assert.equal(view.done, spec.admissible);
  assert.equal(view.failed, 0);
  const final = await t.client.workflow.getHandle(id).query(progressQuery);
  // The first wave alone (64 packs) passes the threshold, so the run the pause came in continues as
  // new after it drains, typically with the handed-back indices in its state.
  assert.ok(final.generation >= 1, `continued as new ${final.generation} times`);

  const rows = (await store.queryResults(id, { sort: 'idx', order: 'asc', limit: 1_000_000 })).rows;
  assert.deepEqual(
    rows.map((r) => r.idx),
    Array.from({ length: spec.admissible }, (_, i) => i),
    'one row per combination, none missing, none twice',
  );
  assert.equal(executions, spec.admissible, 'no operation ran twice: what a pack finished was stored, the rest ran once after resume');
  // Bit-identical to an undisturbed run: every row against its operation run directly by the engine.
  for (const row of rows) {
    const direct = runMaterializedOperation(operationAt(spec, row.idx).op, { dataRoot, file: 'direct' });
    assert.deepEqual(row.metrics, direct.metrics, `row ${row.idx} equals a direct engine run of its combination`);
  }
  ctx.diagnostic(`event loop of the worker's process: longest stall ${Math.round(loop.max / 1e6)} ms (p99 ${Math.round(loop.percentile(99) / 1e6)} ms)`);
});
