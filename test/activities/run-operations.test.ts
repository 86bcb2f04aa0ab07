import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import { createBacktestPool, type BacktestPool } from '../../src/activities/pool.js';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { operationHash } from '../../src/config/hash.js';
import { loadOptimizationFile, resolveOptimization } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, paramNames, type OptimizationSpec } from '../../src/config/sweep.js';
import { blockReturns } from '../../src/engine/block-returns.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { SqlStore } from '../../src/store/store.js';
import { exampleSpecs } from '../store/fixtures.js';
import type { RunOperationsOutput } from '../../src/workflows/types.js';

/*
 * The activity's own code with a real thread pool and store, no Temporal: what it stores per
 * operation is exactly what the engine gives for the materialized operation, and a second sweep of
 * the same operations runs none of them.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
let dir: string;
let store: Store;
let pool: BacktestPool;
let spec: OptimizationSpec;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-run-ops-'));
  store = await openStore({ url: `sqlite:${path.join(dir, 'store.db')}` });
  await store.migrate();
  pool = createBacktestPool(2);
  spec = optimizationSpec(loadOptimizationFile(path.join(repoRoot, 'examples/optimization.yaml'), { dataRoot: repoRoot }));
});

after(async () => {
  await pool.destroy();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The sweep's row, as submission (or the workflow's start record) writes it before any pack runs. */
async function createSweep(id: string): Promise<void> {
  await store.createSweep({ id, kind: spec.kind, name: spec.name, total: spec.admissible, primary_metric: spec.primary_metric, spec, param_names: paramNames(spec) });
}

test('a pack stores each operation with the hash, metrics and block returns of its materialized operation; a repeat runs none', async () => {
  const { runOperations } = createActivities({ store, pool, dataRoot: repoRoot });
  await createSweep('a');
  await createSweep('b');
  const indices = [1, 2, 3, 5, 6, 7, 40, 41, 42, 90, 200, 333, 599];
  const first: RunOperationsOutput = await new MockActivityEnvironment().run(runOperations, { sweep_id: 'a', spec, indices, top_k: 3 });
  assert.deepEqual([first.done + first.failed, first.executed, first.reused], [indices.length, indices.length, 0]);
  assert.ok(first.summaries.filter((s) => s.status === 'done').length <= 3, 'only the pack\'s best three come back');

  const rows = await store.blockReturns('a');
  const { rows: results } = await store.queryResults('a', { sort: 'idx', order: 'asc' });
  assert.deepEqual(results.map((r) => r.idx), indices);
  results.forEach((row, i) => {
    const { op, params } = operationAt(spec, row.idx);
    const direct = runMaterializedOperation(op, { dataRoot: repoRoot, file: 'direct' });
    assert.equal(row.hash, operationHash(op));
    assert.deepEqual(row.params, params);
    assert.deepEqual(row.metrics, direct.metrics, `#${row.idx}: the metrics of a direct run`);
    assert.deepEqual(rows[i]!.blocks, blockReturns(direct.equity.v, 16), `#${row.idx}: the block returns of a direct run`);
  });

  const repeat: RunOperationsOutput = await new MockActivityEnvironment().run(runOperations, { sweep_id: 'b', spec, indices });
  assert.deepEqual([repeat.done, repeat.executed, repeat.reused], [first.done, 0, first.done]);
  assert.deepEqual(
    (await store.queryResults('b', { sort: 'idx', order: 'asc' })).rows.map((r) => r.metrics),
    results.map((r) => r.metrics),
  );
});

test("a pack of a sweep this worker's store does not have fails for good, naming the store, and stores nothing", async () => {
  // The worker was given another DATABASE_URL than the client that submitted the sweep.
  const { runOperations } = createActivities({ store, pool, dataRoot: repoRoot });
  await assert.rejects(new MockActivityEnvironment().run(runOperations, { sweep_id: 'elsewhere', spec, indices: [1, 2, 3] }), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.nonRetryable, true);
    assert.equal(err.message, `sweep elsewhere is not in this worker's results store (the SQLite file "${path.join(dir, 'store.db')}"); the worker and the client must use the same DATABASE_URL`);
    return true;
  });
  assert.equal((await store.queryResults('elsewhere', { limit: 1 })).total, 0);
});

test("the start of a sweep its client never wrote to this worker's store waits for the row, then fails for good", async () => {
  const { recordSweepStart } = createActivities({ store, pool, dataRoot: repoRoot });
  const started = performance.now();
  await assert.rejects(new MockActivityEnvironment().run(recordSweepStart, { sweep_id: 'submitted-elsewhere', spec, total: spec.admissible }), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /^sweep submitted-elsewhere is not in this worker's results store \(the SQLite file ".*store\.db"\); the worker and the client must use the same DATABASE_URL$/);
    return true;
  });
  assert.ok(performance.now() - started >= 3_000, 'it gave the client 3 s to write the row');
  assert.equal(await store.getSweep('submitted-elsewhere'), null, 'no row was made up in the wrong store');
});

test("a walk-forward's window starts without a row of its own, and a sweep whose id only looks like a window's starts on its own row", async () => {
  const { recordSweepStart } = createActivities({ store, pool, dataRoot: repoRoot });
  await store.createSweep({ id: 'wf', kind: 'walk_forward', name: 'wf', total: 2, primary_metric: spec.primary_metric, spec: exampleSpecs().walk_forward, param_names: paramNames(spec) });
  await new MockActivityEnvironment().run(recordSweepStart, { sweep_id: 'wf-w1', spec, total: spec.admissible });
  assert.equal((await store.getSweep('wf-w1'))?.kind, 'optimization');
  await createSweep('plain-w1');
  await new MockActivityEnvironment().run(recordSweepStart, { sweep_id: 'plain-w1', spec, total: spec.admissible });
});

/** RSI reversion on a year of hourly bars: a pack of 600 is about a second of work on two slots. */
function hourlySpec(): OptimizationSpec {
  const doc = {
    optimization_config: {
      name: 'hourly pack',
      base_operation: 'operation_hourly.yaml',
      parameter_space: [
        {
          worker_category: 'analysis_workers',
          worker_phase: 'signal_generation',
          worker_plugin: 'rsi_reversion',
          parameters: { period: { start: 5, end: 54, step: 1 }, lower: { values: [20, 25, 30] }, upper: { values: [65, 70, 75, 80] } },
        },
      ],
    },
  };
  return optimizationSpec(resolveOptimization(doc, { file: 'hourly', baseDir: path.join(repoRoot, 'examples'), dataRoot: repoRoot }));
}

/**
 * Runs a 600-operation pack and cancels it as its first batch comes back from the pool: the batch
 * the other slot is running then finishes and is stored, the rest is never started. (Cancelling at a
 * heartbeat depended on the machine's speed: a quiet one had taken every batch by then.)
 */
async function cancelledPack(sweep_id: string, hand_back: boolean): Promise<{ out: Promise<RunOperationsOutput>; indices: number[]; spec: OptimizationSpec }> {
  const env = new MockActivityEnvironment();
  let cancelled = false;
  const cancelling: BacktestPool = {
    ...pool,
    async runOperations(task, opts) {
      const outcome = await pool.runOperations(task, opts);
      if (!cancelled) {
        cancelled = true;
        env.cancel();
      }
      return outcome;
    },
  };
  const { runOperations } = createActivities({ store, pool: cancelling, dataRoot: repoRoot });
  const hourly = hourlySpec();
  await store.createSweep({ id: sweep_id, kind: hourly.kind, name: hourly.name, total: hourly.admissible, primary_metric: hourly.primary_metric, spec: hourly, param_names: paramNames(hourly) });
  const indices = Array.from({ length: 600 }, (_, i) => i);
  return { out: env.run(runOperations, { sweep_id, spec: hourly, indices, hand_back }), indices, spec: hourly };
}

test('a cancelled pack stores the batches it finished and hands back exactly the rest', async () => {
  const { out, indices } = await cancelledPack('cancelled', true);
  const result = await out;
  const stored = (await store.queryResults('cancelled', { sort: 'idx', order: 'asc', limit: 1_000 })).rows.map((r) => r.idx);
  const back = (result.handed_back ?? []).flatMap(([a, b]) => Array.from({ length: b - a }, (_, k) => a + k));
  assert.ok(stored.length > 0 && back.length > 0, `stored ${stored.length}, handed back ${back.length}`);
  assert.deepEqual([...stored, ...back].sort((a, b) => a - b), indices, 'every index either stored or handed back, none both');
  assert.equal(result.done + result.failed, stored.length, 'the outcome counts exactly what was stored');
});

test('a cancelled pack for a workflow that takes nothing back stores what it finished and fails as cancelled', async () => {
  const { out } = await cancelledPack('cancelled-old', false);
  await assert.rejects(out, (error: unknown) => error instanceof CancelledFailure);
  const stored = (await store.queryResults('cancelled-old', { sort: 'idx', limit: 1 })).total;
  assert.ok(stored > 0 && stored < 600, `${stored} of 600 stored`);
});

test('a sweep started before a spec field with a default existed carries on under its id: its input matches its stored spec decoded', async () => {
  const { recordSweepStart } = createActivities({ store, pool, dataRoot: repoRoot });
  const { blocks: _blocks, plugin_bundle: _bundle, ...before } = spec;
  await createSweep('before-blocks');
  await (store as SqlStore).db.updateTable('sweeps').set({ spec: JSON.stringify(before) }).where('id', '=', 'before-blocks').execute();
  await new MockActivityEnvironment().run(recordSweepStart, { sweep_id: 'before-blocks', spec: before as OptimizationSpec, total: spec.admissible });
  await assert.rejects(
    new MockActivityEnvironment().run(recordSweepStart, { sweep_id: 'before-blocks', spec: { ...spec, blocks: 8 }, total: spec.admissible }),
    (err: unknown) => err instanceof ApplicationFailure && /^sweep id "before-blocks" is already the id of another sweep/.test(err.message),
  );
});
