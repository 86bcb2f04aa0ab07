import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { Sweeps } from '../../src/client/sweeps.js';
import { walkForwardCurves, walkForwardReport } from '../../src/client/walk-forwards.js';
import { loadWalkForwardFile } from '../../src/intake/walk-forward.js';
import { progressQuery } from '../../src/workflows/types.js';
import type { Store } from '../../src/store/types.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { uniqueId } from '../helpers/temporal.js';
import { byHand, WALK_FORWARD_FILE as FILE } from './walk-forward-by-hand.js';

/*
 * The walk-forward workflow end to end on a real dev server, checked against a walk-forward done
 * by hand in this file with runBacktest alone: 8 windows of 2 years in sample, 1 year out of sample,
 * over the example operation's 2014–2023 daily bars; grid sma_cross fast {5, 10, 20} × slow {50, 100}.
 */

let stack: Stack;
let store: Store;
let sweeps: Sweeps;
let t: Stack['temporal'];
let executions = 0;

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await startStack({ concurrency: 2, onExecuted: (n) => (executions += n) });
  ({ store, sweeps, temporal: t } = stack);
});

after(async () => {
  await stack?.stop();
});

describe('walk-forward workflow', () => {
  test('chooses, runs out of sample and stitches exactly as the walk-forward done by hand', async () => {
    const spec = loadWalkForwardFile(FILE, { dataRoot: stack.dataRoot }).spec;
    assert.equal(spec.windows.length, 8);
    assert.equal(spec.warmup_bars, 199);
    const { id } = await sweeps.submit(spec);
    const view = await sweeps.result(id);
    assert.equal(view.status, 'completed');
    assert.deepEqual([view.kind, view.total, view.done], ['walk_forward', 8, 8]);

    const expected = byHand();
    const report = await walkForwardReport(store, id);
    assert.ok(report, 'the walk-forward is in the store');
    assert.deepEqual(report.windows.map((w) => w.params), expected.params, 'the chosen combination of every window');
    assert.ok(expected.params.filter(Boolean).length >= 6, 'most windows chose a combination (the test means something)');
    const curves = await walkForwardCurves(store, id);
    assert.equal(curves.stitched.v.length, expected.stitched.length);
    curves.stitched.v.forEach((v, i) => assert.ok(Math.abs(v - expected.stitched[i]!) <= 1e-9 * expected.stitched[i]!, `stitched equity at bar ${i}: ${v} vs ${expected.stitched[i]}`));
    assert.equal(report.stitched?.metrics.final_equity, curves.stitched.v.at(-1));
    assert.equal(report.stitched?.windows, 8);

    for (const w of report.windows) {
      const child = await sweeps.view(w.sweep_id);
      assert.deepEqual([child.kind, child.status, child.done], ['optimization', 'completed', 6], `window ${w.k}'s in-sample optimization ran the grid`);
    }
    // The Temporal UI: a static summary counting the grid backtests, current details with the windows.
    const description = await t.client.workflow.getHandle(id).describe();
    assert.equal(await description.staticSummary(), 'walk forward · wf test · 48 operations · sharpe_ratio', '8 windows × 6 combinations');
    assert.match((await description.staticDetails())!, /\*\*Windows\*\*: 8, in sample 2y, out of sample 1y, step 1y, rolling/);
    const metadata = await t.client.workflow.getHandle(id).query(workflowMetadataQuery);
    assert.match(metadata.currentDetails ?? '', /- \*\*completed\*\*\n- windows done 8 of 8 · in flight none\n- latest: window 8: fast=20 slow=50/);

    const listed: string[] = [];
    const query = `SweepKind = "walk_forward" AND SweepName = "${spec.name}" AND SweepStatus = "completed"`;
    for (let tries = 0; listed.length === 0 && tries < 100; tries++) {
      for await (const w of t.client.workflow.list({ query })) listed.push(w.workflowId);
      if (listed.length === 0) await sleep(100);
    }
    assert.ok(listed.includes(id), 'the Temporal UI lists it by its search attributes');
  });

  test('cancelled mid-way and resumed, it ends with the by-hand figures and reruns nothing stored', async () => {
    const spec = loadWalkForwardFile(FILE, { dataRoot: stack.dataRoot }).spec;
    // Another capital makes every operation new to the store, so executions count this walk-forward only.
    spec.optimization.base.environment.initial_capital = 25_000;
    spec.max_windows_in_flight = 1;
    const before = executions;
    const { id } = await sweeps.submit(spec);
    for (let tries = 0; (await store.walkForwardWindows(id)).length < 2 && tries < 600; tries++) await sleep(100);
    await sweeps.cancel(id);
    const cancelled = await sweeps.result(id);
    assert.equal(cancelled.status, 'cancelled');
    const storedAtCancel = (await store.walkForwardWindows(id)).length;
    assert.ok(storedAtCancel >= 2 && storedAtCancel < 8, `the cancel hit mid-way (${storedAtCancel} windows stored)`);
    const resumed = await sweeps.resume(id);
    assert.equal(resumed.restarted, true);
    assert.equal((await sweeps.result(id)).status, 'completed');

    // 8 windows × 6 grid operations, and each choosing window's two runs of its choice (in and out
    // of sample): at most the activities in flight at the cancel again.
    const expected = byHand(25_000);
    const chosen = expected.params.filter(Boolean).length;
    const ran = executions - before;
    assert.ok(ran >= 48 + 2 * chosen && ran <= 48 + 2 * chosen + 4 * 2 + 2, `${ran} engine executions for ${48 + 2 * chosen} operations`);
    const report = await walkForwardReport(store, id);
    assert.ok(report, 'the walk-forward is in the store');
    assert.deepEqual(report.windows.map((w) => w.params), expected.params);
    const curves = await walkForwardCurves(store, id);
    curves.stitched.v.forEach((v, i) => assert.ok(Math.abs(v - expected.stitched[i]!) <= 1e-9 * expected.stitched[i]!, `stitched equity at bar ${i}`));
  });

  test('pause holds new windows back and reaches the running window\'s optimization; resume completes it', async () => {
    const spec = loadWalkForwardFile(FILE, { dataRoot: stack.dataRoot }).spec;
    spec.name = uniqueId('paused');
    spec.max_windows_in_flight = 1;
    // One operation per activity, one at a time: window 1's optimization is caught part-way.
    spec.optimization.parallel = { ...spec.optimization.parallel, operations_per_activity: 1, max_in_flight: 1 };
    spec.optimization.base.environment.initial_capital = 30_000;
    const { id } = await sweeps.submit(spec);
    const stored = async (sweepId: string) => (await store.queryResults(sweepId, { sort: 'idx', limit: 1 })).total;
    for (let tries = 0; (await stored(`${id}-w1`)) < 1 && tries < 600; tries++) await sleep(20);
    await sweeps.pause(id);
    assert.equal((await sweeps.view(id)).status, 'paused');
    const atPause = await stored(`${id}-w1`);
    assert.ok(atPause < 6, `the pause reached window 1 part-way (${atPause} of 6 stored)`);
    await sleep(3000);
    assert.equal((await sweeps.view(`${id}-w1`)).status, 'paused', "the window's optimization was paused too");
    assert.ok((await stored(`${id}-w1`)) <= atPause + 1, 'at most the operation in flight finished while paused');
    assert.equal((await store.walkForwardWindows(id)).length, 0, 'no window finished while paused');
    await sweeps.resume(id);
    assert.equal((await sweeps.result(id)).status, 'completed');
    assert.equal((await store.walkForwardWindows(id)).length, 8);
  });

  test("a window's optimization cancelled by itself fails the walk-forward, which resumes to completion", async () => {
    const spec = loadWalkForwardFile(FILE, { dataRoot: stack.dataRoot }).spec;
    spec.max_windows_in_flight = 1;
    spec.optimization.parallel = { ...spec.optimization.parallel, operations_per_activity: 1, max_in_flight: 1 };
    spec.optimization.base.environment.initial_capital = 40_000;
    const { id } = await sweeps.submit(spec);
    const stored = async (sweepId: string) => (await store.queryResults(sweepId, { sort: 'idx', limit: 1 })).total;
    for (let tries = 0; (await stored(`${id}-w1`)) < 1 && tries < 600; tries++) await sleep(20);
    await sweeps.cancel(`${id}-w1`);
    const failed = await sweeps.result(id);
    assert.equal(failed.status, 'failed', 'a walk-forward missing a window never reads as completed');
    assert.equal((await store.getSweep(id))?.status, 'failed');
    // Its progress counts the failed window (the first), as a sweep counts failed operations.
    const progress = await t.client.workflow.getHandle(id).query(progressQuery);
    assert.deepEqual(
      { phase: progress.phase, done: progress.done, failed: progress.failed, running: progress.running, errors: progress.errors.length },
      { phase: 'finishing', done: 0, failed: 1, running: 0, errors: 1 },
    );
    await sweeps.resume(id);
    assert.equal((await sweeps.result(id)).status, 'completed');
    assert.equal((await store.walkForwardWindows(id)).length, 8);
  });
});
