import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OperationOutcome } from '../../src/activities/backtest-thread.js';
import { createBacktestPool, type BacktestPool, type PoolTask } from '../../src/activities/pool.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { optimizationSpec } from '../../src/config/sweep.js';
import { bundleWorkspacePlugins } from '../../src/user-plugins/index.js';
import { chaosPlugin, EXITED, makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from '../user-plugins/workspace.js';

/*
 * Plugin code that ends, floods or throws oddly in a backtest slot fails its own operation with the
 * reason, and the slot runs the next operation: the pool's threads for plugin code have a heap
 * ceiling (here 64 MB), no environment, and one task each.
 */

let root: string;
let pool: BacktestPool;
let task: (period: number) => PoolTask;

async function runOne(period: number): Promise<OperationOutcome> {
  const outcome = await pool.runOperations(task(period), { timeoutMs: 2_000 });
  assert.ok(outcome.ok, 'the batch itself loads');
  return outcome.operations[0]!;
}

async function failure(period: number): Promise<string> {
  const outcome = await runOne(period);
  assert.ok(!outcome.ok, `period ${period} fails`);
  return outcome.error.message.replace(`${root}/`, '');
}

before(() => {
  root = makeWorkspace({ 'plugins/chaos.ts': chaosPlugin('chaos'), ...sweepFiles('chaos', [10, 11, 12, 13, 14], 'max_operation_seconds: 2, max_operation_memory_mb: 64') });
  const loaded = loadOptimizationFile(path.join(root, 'opt-chaos.yaml'), { dataRoot: root });
  const spec = optimizationSpec(loaded);
  task = (period) => ({ spec, indices: [spec.grid.axes[0].values.indexOf(period)], dataRoot: root, plugins: loaded.plugins.bundle });
  pool = createBacktestPool(1);
});

after(async () => {
  await pool?.destroy();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('plugin code in a backtest slot', () => {
  test('process.exit in create fails that operation alone, and the slot runs the next one', async () => {
    assert.match(await failure(11), EXITED);
    assert.ok((await runOne(10)).ok);
  });

  test('an allocation loop fails that operation at the memory ceiling, and the slot runs the next one', async () => {
    assert.equal(
      await failure(12),
      'opt-chaos.yaml: parallel_config.max_operation_memory_mb: plugin "chaos" exceeded the memory ceiling of 64 MB (parallel_config.max_operation_memory_mb); its backtest slot was restarted',
    );
    assert.ok((await runOne(10)).ok);
  });

  test('a thrown string fails that operation, naming the plugin and the value', async () => {
    assert.equal(await failure(13), 'plugins/chaos.ts: plugin "chaos" threw "a string", which is not an Error (throw new Error(…) to say where and why)');
  });

  test("a sweep's plugin file that never finishes loading fails the pack's hashing after the time limit, not the worker", async () => {
    const spinning = makeWorkspace({ 'plugins/spin.ts': signalPlugin('spin', MOMENTUM, 'for (;;) {}') }, { plugins: false });
    try {
      // As if it had slipped past the submission's checks: this process never loads it.
      const { spec } = task(10);
      const outcome = await pool.hashOperations({ spec, indices: [0, 1], plugins: bundleWorkspacePlugins(spinning) });
      assert.ok(!outcome.ok);
      assert.equal(
        outcome.error.message.replace(`${root}/`, ''),
        "opt-chaos.yaml: parallel_config.max_operation_seconds: loading the sweep's plugin code did not finish within 2 s (does a plugin file's top level never return?)",
      );
      assert.ok((await runOne(10)).ok, 'the slot runs the next operation');
    } finally {
      fs.rmSync(spinning, { recursive: true, force: true });
    }
  });

  test('plugin code sees an empty environment', async () => {
    process.env.SWEEPLAB_CONTAINMENT_SECRET = 'secret';
    try {
      const probe = makeWorkspace({ 'plugins/env.ts': chaosPlugin('env').replace('if (p.period === 13)', "if (p.period === 15 && Object.keys(process.env).length > 0) throw new Error('sees ' + Object.keys(process.env).join());\n    if (p.period === 13)"), ...sweepFiles('env', [10, 15]) });
      try {
        const loaded = loadOptimizationFile(path.join(probe, 'opt-env.yaml'), { dataRoot: probe });
        const outcome = await pool.runOperations({ spec: optimizationSpec(loaded), indices: [1], dataRoot: probe, plugins: loaded.plugins.bundle }, { timeoutMs: 2_000 });
        assert.ok(outcome.ok);
        const op = outcome.operations[0]!;
        assert.ok(op.ok || /process is not defined/.test(op.error.message), op.ok ? '' : op.error.message);
      } finally {
        fs.rmSync(probe, { recursive: true, force: true });
      }
    } finally {
      delete process.env.SWEEPLAB_CONTAINMENT_SECRET;
    }
  });
});
