import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, Runtime, bundleWorkflowCode, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createApp } from '../../src/api/app.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { buildGrid } from '../../src/config/grid.js';
import { loadOptimizationFile, loadVariantFile } from '../../src/intake/load.js';
import { optimizationSpec, variantTestSpec, type OptimizationSpec } from '../../src/config/sweep.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { progressQuery } from '../../src/workflows/types.js';
import { createWorker, workflowsPath } from '../../worker.js';
import { startTestServer, uniqueId, type TestServer } from '../helpers/temporal.js';

/*
 * Issue 9 on a real dev server: status with no worker at all (item 6), rate and ETA across a pause
 * (item 9), and a grid whose `where` admits only its very last combination (item 2). Each test
 * starts the worker it needs on a task queue of its own, so "no worker" means none.
 */

const root = path.resolve(import.meta.dirname, '../..');
const dataRoot = root;
/** "Answers at once": far below Temporal's own ~30 s query timeout, generous for a loaded machine. */
const ANSWER_MS = 5_000;

let t: TestServer;
let store: Store;
let bundle: WorkflowBundleWithSourceMap;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-hardening-'));
const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  t = await startTestServer();
  store = await openStore({ url: databaseUrl });
  await store.migrate();
  bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
});

after(async () => {
  await store?.close();
  await t?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function withWorker<T>(taskQueue: string, fn: (worker: Worker) => Promise<T>): Promise<T> {
  const { worker, close } = await createWorker({ address: t.server.address, taskQueue, concurrency: 2, databaseUrl, dataRoot, workflowBundle: bundle });
  try {
    return await worker.runUntil(fn(worker));
  } finally {
    await close();
  }
}

function variantSpec() {
  return variantTestSpec(loadVariantFile(path.join(root, 'examples/variant.yaml'), { dataRoot }));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe('status with no worker running', () => {
  test('a new sweep is listed at once and its status answers from the store and Temporal', async (ctx) => {
    const sweeps = new Sweeps(t.client, store, uniqueId('nobody-polls'));
    const spec = variantSpec();
    const { id } = await sweeps.submit(spec);
    const app = createApp({ sweeps, store, dataRoot });

    const list = await timed(async () => app.request('/api/sweeps'));
    assert.equal(list.value.status, 200);
    const { rows } = (await list.value.json()) as { rows: Array<{ id: string; status: string; total: number }> };
    const listed = rows.find((r) => r.id === id);
    assert.ok(listed, 'listed before any worker picked it up');
    assert.equal(listed.total, 3);
    assert.ok(list.ms < ANSWER_MS, `the list answered after ${Math.round(list.ms)} ms`);

    const status = await timed(async () => app.request(`/api/sweeps/${id}`));
    assert.ok(status.ms < ANSWER_MS, `status answered after ${Math.round(status.ms)} ms`);
    ctx.diagnostic(`list answered in ${Math.round(list.ms)} ms, status in ${Math.round(status.ms)} ms, with no worker`);
    const view = (await status.value.json()) as { status: string; total: number; done: number; rate: number | null; errors: string[]; note: string | null };
    assert.equal(view.status, 'running');
    assert.equal(view.total, 3);
    assert.equal(view.done, 0);
    assert.equal(view.rate, null);
    assert.deepEqual(view.errors, [], 'no worker is a fact about the figures, not an error of the sweep');
    assert.match(view.note ?? '', /^live figures unavailable: no worker answered the progress query within 0\.5 s/);
    await t.client.workflow.getHandle(id).terminate('test over');
  });
});

describe('pause and resume', () => {
  test('while paused there is no rate or ETA, and paused time is left out of the rate', async () => {
    const taskQueue = uniqueId('pause');
    const sweeps = new Sweeps(t.client, store, taskQueue);
    const { id } = await sweeps.submit(variantSpec());
    // Paused before any worker runs it: the first workflow task sees the signal, nothing is dispatched.
    await t.client.workflow.getHandle(id).signal('pause');
    await withWorker(taskQueue, async () => {
      const handle = t.client.workflow.getHandle(id);
      let progress = await handle.query(progressQuery);
      assert.equal(progress.phase, 'paused');
      await sleep(1_500);
      const paused = await sweeps.view(id);
      assert.equal(paused.status, 'paused');
      assert.equal(paused.rate, null, 'no rate while paused');
      assert.equal(paused.eta_s, null, 'no ETA while paused');
      assert.equal(typeof paused.progress!.paused_since, 'number', 'the pause has a start');

      await sweeps.resume(id);
      await handle.result();
      // A closed workflow still answers queries (the worker replays it): the pause is on the books.
      progress = await handle.query(progressQuery);
      assert.equal(progress.done, 3);
      assert.ok(progress.paused_ms >= 1_500, `paused ${progress.paused_ms} ms in all`);
      const elapsed = progress.now - progress.started_at;
      assert.ok(progress.paused_ms < elapsed, 'paused time is part of the elapsed time');
    });
  });
});

describe('a sparse admissible set', () => {
  test('a 10,000,000-combination grid whose where admits only the last combination completes', async () => {
    const loaded = loadOptimizationFile(path.join(root, 'examples/optimization.yaml'), { dataRoot });
    const range = (start: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => start + i * step);
    const grid = buildGrid([
      { worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'sma_cross', parameters: { fast: { values: range(2, 100) }, slow: { values: range(102, 100) } } },
      {
        worker_category: 'analysis_workers',
        worker_phase: 'exit_planning',
        worker_plugin: 'atr_exit',
        parameters: { atr_period: { values: range(5, 10) }, atr_multiplier: { values: range(1, 10, 0.25) }, risk_reward_ratio: { values: range(1, 10, 0.5) } },
      },
    ]);
    assert.equal(grid.size, 10_000_000);
    const spec: OptimizationSpec = {
      ...optimizationSpec(loaded),
      grid,
      where: 'fast == 101 and slow == 201 and atr_period == 14 and atr_multiplier == 3.25 and risk_reward_ratio == 5.5',
      admissible: 1,
      min_trades: 0,
    };
    const taskQueue = uniqueId('sparse');
    const sweeps = new Sweeps(t.client, store, taskQueue);
    const { id } = await sweeps.submit(spec);
    const view = await withWorker(taskQueue, () => sweeps.result(id));
    assert.equal(view.status, 'completed');
    assert.equal(view.done, 1);
    const { rows } = await store.queryResults(id, { sort: 'idx', order: 'asc', limit: 10 });
    assert.deepEqual(rows.map((r) => r.idx), [9_999_999], 'the one admissible combination, the last');
  });

  test('a long where is tested within a budget per workflow task, so the walk yields as often as its cost asks', async () => {
    // Issue 19 item 2: 250,000 tests of a long `where` in one task ran for seconds and the SDK failed
    // every attempt as a deadlock. Now a task spends at most 1,000,000 node evaluations: 217 terms
    // of 3 nodes, a last one of 7 and the `or` make 659 nodes (3,500 characters), 660 evaluations a
    // combination with the step, so 1,515 combinations a task and 66 tasks for the 100,000 below,
    // each ending with a 1 ms timer.
    const loaded = loadOptimizationFile(path.join(root, 'examples/optimization.yaml'), { dataRoot });
    const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);
    const grid = buildGrid([
      { worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'sma_cross', parameters: { fast: { values: range(2, 100) }, slow: { values: range(102, 1000) } } },
    ]);
    const never = Array.from({ length: 217 }, (_, i) => `fast == ${1000 + i}`);
    const where = [...never, 'fast == 101 and slow == 1101'].join(' or ');
    assert.ok(where.length > 3_400 && where.length <= 4_000, `${where.length} characters`);
    const spec: OptimizationSpec = { ...optimizationSpec(loaded), grid, where, admissible: 1, min_trades: 0 };
    const taskQueue = uniqueId('long-where');
    const sweeps = new Sweeps(t.client, store, taskQueue);
    const { id } = await sweeps.submit(spec);
    const view = await withWorker(taskQueue, () => sweeps.result(id));
    assert.equal(view.status, 'completed');
    assert.equal(view.done, 1);
    const { rows } = await store.queryResults(id, { sort: 'idx', order: 'asc', limit: 10 });
    assert.deepEqual(rows.map((r) => r.idx), [99_999], 'the one admissible combination, the last');
    const history = await t.client.workflow.getHandle(id).fetchHistory();
    const yields = (history.events ?? []).filter((e) => e.timerStartedEventAttributes).length;
    assert.ok(yields >= 60, `the walk yielded ${yields} times; one task held 250,000 tests before`);
  });
});
