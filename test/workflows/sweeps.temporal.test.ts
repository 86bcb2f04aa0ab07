import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import { DefaultLogger, Runtime, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { computeSweepStatistics } from '../../src/services/statistics.js';
import { FullResults } from '../../src/services/full-results.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { loadOptimizationFile, loadVariantFile } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, variantTestSpec, type SweepSpec } from '../../src/config/sweep.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { statisticsWorkflowId } from '../../src/workflows/types.js';
import { createWorker, workflowsPath } from '../../worker.js';
import { startTestServer, uniqueId, type TestServer } from '../helpers/temporal.js';

/*
 * The meta workflows end to end on a real `temporal server start-dev`, with a worker in this process
 * (its engine executions counted) and a SQLite results store in a temp dir. The server suggests
 * continue-as-new after 200 history events, so every sweep here exercises it.
 */

const root = path.resolve(import.meta.dirname, '../..');
const dataRoot = root;
const CONTINUE_AS_NEW_AFTER = 200;

let t: TestServer;
let store: Store;
let sweeps: Sweeps;
let worker: Worker;
let closeWorker: () => Promise<void>;
let workerRun: Promise<void>;
let executions = 0;
const taskQueue = uniqueId('sweeps');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-sweeps-'));

function optimization(parallel: Partial<SweepSpec['parallel']> = {}): { spec: SweepSpec; admissible: number } {
  const loaded = loadOptimizationFile(path.join(root, 'examples/optimization.yaml'), { dataRoot });
  const spec = optimizationSpec(loaded);
  spec.parallel = { ...spec.parallel, ...parallel };
  return { spec, admissible: loaded.admissible };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function storedRows(id: string) {
  return (await store.queryResults(id, { sort: 'idx', order: 'asc', limit: 1_000_000 })).rows;
}

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  t = await startTestServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': CONTINUE_AS_NEW_AFTER } });
  const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
  store = await openStore({ url: databaseUrl });
  await store.migrate();
  sweeps = new Sweeps(t.client, store, taskQueue);
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

describe('optimization sweep', () => {
  test('stores every admissible combination once and ranks like a direct engine run', async () => {
    const { spec, admissible } = optimization();
    const { id } = await sweeps.submit(spec);
    const view = await sweeps.result(id);
    assert.equal(view.status, 'completed');
    assert.equal(view.total, admissible, 'total counts only combinations with fast < slow');
    assert.equal(view.done + view.failed, admissible);

    const rows = await storedRows(id);
    assert.equal(rows.length, admissible, 'one stored row per admissible combination');
    assert.equal(new Set(rows.map((r) => r.hash)).size, admissible, 'no operation stored twice');
    assert.ok(rows.every((r) => Number(r.params.fast) < Number(r.params.slow)), 'the where constraint held');

    const [best] = (await store.queryResults(id, { sort: 'sharpe_ratio', order: 'desc', limit: 1, filter: [{ field: 'total_trades', op: '>=', value: 5 }] })).rows;
    assert.ok(best?.metrics);
    const direct = runMaterializedOperation(operationAt(spec, best.idx).op, { dataRoot, file: 'direct' });
    assert.deepEqual(best.metrics, direct.metrics, 'the stored best equals a direct engine run of its combination');
    assert.equal((await t.client.workflow.getHandle(id).result()).best?.idx, best.idx, 'the workflow top-K agrees with the store ranking');

    // The sweep completes first; its statistics follow in a workflow of their own, which outlives it.
    await t.client.workflow.getHandle(statisticsWorkflowId(id)).result();
    const statistics = await store.getStatistics(id);
    assert.ok(statistics, 'the statistics workflow stored the robustness statistics');
    assert.equal(statistics.best?.idx, best.idx);
    assert.ok(!('reason' in statistics.dsr) && !('reason' in statistics.pbo), JSON.stringify(statistics.readings));
    assert.equal(statistics.dsr.trials, admissible, 'every operation that ran is a trial');
    assert.equal(statistics.pbo.operations, rows.filter((r) => r.status === 'done' && (r.metrics?.total_trades ?? 0) >= 5).length);
  });

  test('sizes its first packs by the cost its start record measured, not by a wave of measuring packs', async () => {
    const { spec, admissible } = optimization();
    // Nothing stored to reuse: every pack runs.
    if (spec.kind === 'optimization') spec.base.environment.fees_pct += 0.0001;
    const { id } = await sweeps.submit(spec);
    assert.equal((await sweeps.result(id)).status, 'completed');
    const history = await t.client.workflow.getHandle(id).fetchHistory();
    const events = history.events ?? [];
    const scheduled = new Map(events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [[String(e.eventId), e.activityTaskScheduledEventAttributes]] : [])));
    const start = events.find((e) => scheduled.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId))?.activityType?.name === 'recordSweepStart');
    const measured = defaultPayloadConverter.fromPayload<{ op_ms?: number }>(start!.activityTaskCompletedEventAttributes!.result!.payloads![0]!);
    assert.ok(measured.op_ms !== undefined && measured.op_ms > 0, `the start record measured a cost (${JSON.stringify(measured)})`);
    const packs = [...scheduled.values()].filter((a) => a.activityType?.name === 'runOperations').map((a) => defaultPayloadConverter.fromPayload<{ indices: number[] }>(a.input!.payloads![0]!).indices.length);
    assert.equal(packs.reduce((a, b) => a + b, 0), admissible, 'the packs hold every admissible operation once');
    // A first wave of measuring packs would hold ceil(480 / 32) = 15; a quarter second of these
    // operations is far more than that on any machine that runs this suite.
    assert.ok(packs[0]! > 15, `first pack of ${packs[0]} (packs ${packs.join(', ')})`);
  });

  test('is listed by its search attributes once it completes', async () => {
    const { spec } = optimization();
    spec.name = uniqueId('listed');
    const { id } = await sweeps.submit(spec);
    await sweeps.result(id);
    const query = `SweepKind = "optimization" AND SweepName = "${spec.name}" AND SweepStatus = "completed"`;
    let found: string[] = [];
    await waitFor('visibility to catch up', async () => {
      found = [];
      for await (const w of t.client.workflow.list({ query })) found.push(w.workflowId);
      return found.length > 0;
    });
    assert.deepEqual(found, [id]);
  });

  test('continues as new when the server suggests it and loses nothing', async () => {
    const { spec, admissible } = optimization({ operations_per_activity: 2, max_in_flight: 8 });
    const { id, runId } = await sweeps.submit(spec);
    const view = await sweeps.result(id);
    const description = await t.client.workflow.getHandle(id).describe();
    assert.notEqual(description.runId, runId, 'the sweep ran in more than one workflow run');
    assert.equal(view.done + view.failed, admissible);
    const rows = await storedRows(id);
    assert.equal(rows.length, admissible);
    assert.equal(new Set(rows.map((r) => r.idx)).size, admissible);
  });
});

describe('variant test', () => {
  test("three variants give three rows and curves, each equal to run-operation of its materialized op", async () => {
    const loaded = loadVariantFile(path.join(root, 'examples/variant.yaml'), { dataRoot });
    const spec = variantTestSpec(loaded);
    const { id } = await sweeps.submit(spec);
    const view = await sweeps.result(id);
    assert.equal(view.status, 'completed');
    const rows = await storedRows(id);
    assert.deepEqual(
      rows.map((r) => r.params.variant),
      ['Baseline', 'Hoge RR', 'Andere Exit'],
    );
    const curves = await new FullResults(store, dataRoot).of(id, rows.map((r) => r.hash));
    assert.equal(curves.length, 3);
    for (const c of curves) {
      const direct = runMaterializedOperation(operationAt(spec, c.idx).op, { dataRoot, file: 'direct' });
      assert.deepEqual(c.result, direct, `variant ${c.params.variant} equals its direct run`);
    }
    assert.notDeepEqual(curves[0]!.result.equity.v, curves[2]!.result.equity.v, 'a different exit gives a different equity curve');
  });
});

describe('control', () => {
  test('pause stops new operations from starting; resume completes the sweep', async () => {
    const { spec, admissible } = optimization({ operations_per_activity: 1, max_in_flight: 2 });
    const { id } = await sweeps.submit(spec);
    await waitFor('10 operations', async () => (await sweeps.view(id)).done >= 10);
    await sweeps.pause(id);
    await waitFor('in-flight operations to drain', async () => (await sweeps.view(id)).running === 0);
    const paused = await sweeps.view(id);
    assert.equal(paused.status, 'paused');
    await sleep(1_500);
    assert.equal((await sweeps.view(id)).done, paused.done, 'nothing ran while paused');
    // On demand while it does not run: statistics of the rows so far, marked partial.
    const partial = await computeSweepStatistics({ store, dataRoot }, id);
    assert.equal(partial.partial, true);
    assert.ok(!('reason' in partial.dsr), JSON.stringify(partial.readings));
    assert.equal(partial.dsr.trials, (await storedRows(id)).length, 'the trials are the operations stored so far');
    await sweeps.resume(id);
    const view = await sweeps.result(id);
    assert.equal(view.status, 'completed');
    assert.equal(view.done + view.failed, admissible);
  });

  test('cancel stops the sweep; resume finishes it without recomputing stored operations', async () => {
    // A grid no other test runs, so no stored result of another sweep is reused by accident.
    const { spec, admissible } = optimization({ operations_per_activity: 1, max_in_flight: 2 });
    spec.base.environment.fees_pct = 0.123;
    const atStart = executions;
    const { id } = await sweeps.submit(spec);
    await waitFor('20 operations', async () => (await sweeps.view(id)).done >= 20);
    await sweeps.cancel(id);
    const cancelled = await sweeps.result(id);
    assert.equal(cancelled.status, 'cancelled');
    const storedBefore = (await storedRows(id)).length;
    assert.ok(storedBefore >= 20 && storedBefore < admissible);

    const before = executions;
    const resumed = await sweeps.resume(id);
    assert.equal(resumed.restarted, true);
    const view = await sweeps.result(id);
    assert.equal(view.status, 'completed');
    // Executions are counted as their results are stored, so recomputing a stored operation would
    // push the total past the operation count.
    assert.equal(executions - atStart, admissible, 'every operation ran exactly once over both runs');
    assert.ok(executions - before <= admissible - storedBefore, 'the resumed run ran only what was not stored');
    const rows = await storedRows(id);
    assert.equal(rows.length, admissible);
    assert.equal(new Set(rows.map((r) => r.hash)).size, admissible);
  });
});
