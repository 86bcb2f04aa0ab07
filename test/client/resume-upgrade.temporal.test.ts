import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { codeVersion } from '../../src/code-version.js';
import { loadVariantFile } from '../../src/intake/load.js';
import { variantTestSpec } from '../../src/config/sweep.js';
import { openStore, type OperationRecord } from '../../src/store/index.js';
import { deploymentName } from '../../src/temporal/worker-deployment.js';
import { variantTestWorkflow } from '../../src/workflows/variant-test.js';
import { metrics } from '../store/fixtures.js';
import { repoRoot, startStack, type Stack } from '../helpers/stack.js';
import { uniqueId } from '../helpers/temporal.js';
import { workflowsPath } from '../../worker.js';

/*
 * `resume` after an upgrade (docs/deploy.md, "Upgrades"): a cancelled sweep whose rows were stored
 * by other builds continues on the current build, keeps the rows of the current results version and
 * computes the others again, and says so; an open sweep pinned to a build whose workers are gone is
 * stopped and started again on the current build.
 */

let stack: Stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.stop();
});

test('resume of a sweep run by other builds continues on the current build, keeping only rows of its results version', async () => {
  const spec = variantTestSpec(loadVariantFile(path.join(repoRoot, 'examples/variant.yaml'), { dataRoot: repoRoot }));
  const id = uniqueId('var-upgrade');
  const here = codeVersion();
  const old = { results_version: here.results_version - 1, package_version: '0.0.9', build_id: `0.0.9+r${here.results_version - 1}+0123456789ab` };
  const sibling = { ...here, build_id: `${here.package_version}+r${here.results_version}+ba9876543210` };
  const row = (idx: number, sharpe: number): OperationRecord => ({
    sweep_id: id,
    idx,
    hash: `stored-${idx}`,
    params: { variant: spec.variants[idx]!.name },
    status: 'done',
    error: null,
    metrics: metrics({ sharpe_ratio: sharpe, total_trades: 7 }),
    duration_ms: 1,
    blocks: null,
  });
  // The sweep as an earlier install left it: rows 0 and 1 from an older results version, row 2 from a build of this one.
  await stack.store.createSweep({ id, kind: spec.kind, name: spec.name, spec, total: 3, primary_metric: spec.primary_metric, param_names: ['variant'] });
  await stack.store.setSweepStatus(id, 'cancelled');
  for (const [code, rows] of [[old, [row(0, 90), row(1, 91)]], [sibling, [row(2, 92)]]] as const) {
    const store = await openStore({ url: `sqlite:${path.join(stack.dir, 'store.db')}`, code });
    await store.recordOperations([...rows]);
    await store.close();
  }

  const resumed = await stack.sweeps.resume(id);
  assert.equal(resumed.restarted, true);
  assert.deepEqual(resumed.code_change, {
    from: [old.build_id, sibling.build_id],
    to: here.build_id,
    results_version: here.results_version,
    kept: 1,
    recomputed: 2,
    moved: false,
    message: `sweep ${id} was run by build ${old.build_id}, ${sibling.build_id}; it continues on build ${here.build_id} (results version ${here.results_version}), reusing only results of results version ${here.results_version}: 1 stored row(s) kept, 2 computed again`,
  });

  assert.equal((await stack.sweeps.result(id)).status, 'completed');
  const { rows } = await stack.store.queryResults(id, { sort: 'idx' });
  assert.deepEqual(
    rows.map((r) => [r.idx, r.code?.build_id, r.metrics?.sharpe_ratio === 92]),
    [
      [0, here.build_id, false],
      [1, here.build_id, false],
      [2, sibling.build_id, true],
    ],
    'rows 0 and 1 computed again by this build, row 2 kept as its build stored it',
  );
});

test('resume of an open sweep pinned to a build without workers stops that run and starts it again on the current build', async () => {
  const spec = variantTestSpec(loadVariantFile(path.join(repoRoot, 'examples/variant.yaml'), { dataRoot: repoRoot }));
  const id = uniqueId('var-moved');
  const gone = { deploymentName: deploymentName(stack.sweeps.taskQueue), buildId: '0.0.9+r0+0123456789ab' };
  // What an upgraded install leaves: the sweep's run pinned to the old build, whose workers are gone.
  // The server pins only to a version it has seen poll: a worker of that build polls for a moment.
  const connection = await NativeConnection.connect({ address: stack.temporal.server.address });
  const old = await Worker.create({
    connection,
    namespace: stack.temporal.namespace,
    taskQueue: stack.sweeps.taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') }),
    workerDeploymentOptions: { useWorkerVersioning: true, version: gone, defaultVersioningBehavior: 'PINNED' },
  });
  await old.runUntil(async () => {
    const seen = async () => {
      const { workerDeploymentInfo } = await stack.temporal.client.workflowService.describeWorkerDeployment({ namespace: stack.temporal.namespace, deploymentName: gone.deploymentName });
      return (workerDeploymentInfo?.versionSummaries ?? []).some((v) => v.deploymentVersion?.buildId === gone.buildId);
    };
    while (!(await seen())) await sleep(100);
  });
  await connection.close();
  await stack.store.createSweep({ id, kind: spec.kind, name: spec.name, spec, total: 3, primary_metric: spec.primary_metric, param_names: ['variant'] });
  const first = await stack.temporal.client.workflow.start(variantTestWorkflow, { workflowId: id, taskQueue: stack.sweeps.taskQueue, args: [{ spec }], versioningOverride: { pinnedTo: gone } });

  const resumed = await stack.sweeps.resume(id);
  const here = codeVersion();
  assert.equal(resumed.restarted, true);
  assert.deepEqual(resumed.code_change && { ...resumed.code_change, message: undefined }, {
    from: [gone.buildId],
    to: here.build_id,
    results_version: here.results_version,
    kept: 0,
    recomputed: 0,
    moved: true,
    message: undefined,
  });
  assert.equal((await stack.temporal.client.workflow.getHandle(id, first.firstExecutionRunId).describe()).status.name, 'TERMINATED');
  assert.equal((await stack.sweeps.result(id)).status, 'completed');
  const { rows } = await stack.store.queryResults(id, { sort: 'idx' });
  assert.deepEqual(rows.map((r) => r.code?.build_id), [here.build_id, here.build_id, here.build_id]);
});
