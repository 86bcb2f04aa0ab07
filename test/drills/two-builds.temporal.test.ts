import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { RESULTS_VERSION } from '../../src/engine/results-version.js';
import { packageInfo } from '../../src/package.js';
import { currentBuildId, deploymentName, pinnedBuildId } from '../../src/temporal/worker-deployment.js';
import { resumeSignal, statisticsWorkflowId } from '../../src/workflows/types.js';
import { workflowsPath } from '../../worker.js';
import { assertRowsExact, DRILL_TIMEOUT_MS, exampleSweep, startDrill, storedRows, waitUntil, type Drill } from './drill-kit.js';

/*
 * Drill: two worker processes of different builds (SWEEPLAB_BUILD_ID) on one task queue, the way a
 * deploy leaves them for a while. A sweep started while build A was current is pinned to A; build B
 * then starts and becomes current, and a second sweep is pinned to B. Both sweeps then run at once,
 * both workers polling the queue: every row of each names its own build, each worker ran exactly
 * its own sweep's operations, and each sweep's continue-as-new runs and statistics child stayed on
 * its build. The server suggests continue-as-new after 40 history events so that both sweeps do.
 */

let drill: Drill;
/** The workflow bundle both workers load, made once rather than by each worker at its start. */
let bundle: string;

before(async () => {
  drill = await startDrill('two-builds', { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  bundle = path.join(path.dirname(drill.executionLog), 'workflow-bundle.js');
  fs.writeFileSync(bundle, (await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') })).code);
});

after(async () => {
  await drill?.stop();
});

/** Engine executions of one worker (its own SWEEPLAB_EXECUTION_LOG). */
function executions(log: string): number {
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).reduce((sum, line) => sum + Number(line), 0) : 0;
}

test('two workers of different builds on one task queue each compute every row of the sweep pinned to their build and none of the other', { timeout: DRILL_TIMEOUT_MS }, async (t) => {
  const started = performance.now();
  const { loaded, spec: example } = exampleSweep();
  // Packs larger than the crash drills' (nothing is killed here), which still makes ~50 activities a sweep.
  const specA = { ...example, parallel: { ...example.parallel, operations_per_activity: 10 } };
  // Another fee, so no operation of one sweep is an operation of the other (no row is reused across them).
  const specB = { ...specA, name: 'sma grid, fees 0.2 %', base: { ...specA.base, environment: { ...specA.base.environment, fees_pct: 0.2 } } };
  const builds = { a: 'drill-build-a', b: 'drill-build-b' };
  const logs = { a: path.join(path.dirname(drill.executionLog), 'a.log'), b: path.join(path.dirname(drill.executionLog), 'b.log') };
  const sweeps = drill.sweeps();
  const current = () => currentBuildId(drill.temporal.connection, drill.temporal.namespace, deploymentName(drill.taskQueue));
  const pinnedBuild = async (workflowId: string) => pinnedBuildId(await drill.temporal.client.workflow.getHandle(workflowId).describe());

  drill.startWorker({ SWEEPLAB_BUILD_ID: builds.a, SWEEPLAB_EXECUTION_LOG: logs.a, SWEEPLAB_WORKFLOW_BUNDLE: bundle });
  await waitUntil('build A is the current version', async () => (await current()) === builds.a);
  const a = await sweeps.submit(specA);
  // Paused until B runs too, so that both workers poll while both sweeps run.
  await sweeps.pause(a.id);
  await waitUntil('sweep A is pinned to build A', async () => (await pinnedBuild(a.id)) === builds.a);

  drill.startWorker({ SWEEPLAB_BUILD_ID: builds.b, SWEEPLAB_EXECUTION_LOG: logs.b, SWEEPLAB_WORKFLOW_BUNDLE: bundle });
  await waitUntil('build B is the current version', async () => (await current()) === builds.b);
  const b = await sweeps.submit(specB);
  // The resume signal itself: `sweeplab resume` would move sweep A onto the current build B (docs/deploy.md, "Upgrades").
  await drill.temporal.client.workflow.getHandle(a.id).signal(resumeSignal);

  const [viewA, viewB] = await Promise.all([sweeps.result(a.id), sweeps.result(b.id)]);
  assert.deepEqual([viewA.status, viewA.done, viewB.status, viewB.done], ['completed', loaded.admissible, 'completed', loaded.admissible]);

  const code = (build: string) => ({ results_version: RESULTS_VERSION, package_version: packageInfo().version, build_id: build });
  for (const [id, build] of [[a.id, builds.a], [b.id, builds.b]] as const) {
    const rows = await storedRows(drill.store, id);
    assertRowsExact(rows, loaded);
    assert.deepEqual(
      rows.filter((row) => row.code?.build_id !== build).map((row) => `${row.idx}: ${row.code?.build_id}`),
      [],
      `every row of sweep ${id} was computed by build ${build}`,
    );
    assert.deepEqual(rows[0]!.code, code(build));
    assert.deepEqual(await drill.store.codeVersionCounts(id), [{ code: code(build), done: loaded.admissible, failed: 0 }]);

    // The last run of the chain (after continue-as-new) and the statistics child are on the same build.
    const description = await drill.temporal.client.workflow.getHandle(id).describe();
    assert.notEqual(description.runId, description.raw.workflowExecutionInfo?.firstRunId, `sweep ${id} continued as new`);
    assert.equal(await pinnedBuild(id), build, `the last run of sweep ${id} is pinned to ${build}`);
    await drill.temporal.client.workflow.getHandle(statisticsWorkflowId(id)).result();
    assert.equal(await pinnedBuild(statisticsWorkflowId(id)), build, `the statistics of sweep ${id} ran on ${build}`);
  }
  // Each worker ran exactly its own sweep's operations: no retries happened, so no operation ran twice.
  assert.deepEqual([executions(logs.a), executions(logs.b)], [loaded.admissible, loaded.admissible]);
  t.diagnostic(`${loaded.admissible} operations per sweep; build A executed ${executions(logs.a)}, build B ${executions(logs.b)}; ${Math.round(performance.now() - started)} ms`);
});
