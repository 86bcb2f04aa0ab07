import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OperationOutcome } from '../../src/activities/backtest-thread.js';
import { createBacktestPool, type BacktestPool, type PoolTask } from '../../src/activities/pool.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { optimizationSpec } from '../../src/config/sweep.js';
import { makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from '../user-plugins/workspace.js';

/*
 * The backtest pool with user plugin code: an operation whose plugin never returns is stopped after
 * its time limit while the other slot keeps working, its thread is replaced, and a plugin's own
 * error comes back as that operation's failure with the plugin's file and line.
 */

let root: string;
let pool: BacktestPool;
let task: (period: number) => PoolTask;

/** One operation as a batch of one (as sweeps with user code run), and its outcome. */
async function runOne(period: number, timeoutMs: number): Promise<OperationOutcome> {
  const outcome = await pool.runOperations(task(period), { timeoutMs });
  assert.ok(outcome.ok, 'the batch itself loads');
  return outcome.operations[0]!;
}

const LOOP_SOURCE = signalPlugin('moody', `if (p.period === 40) for (;;) {}\n    if (p.period === 30) throw new Error('thirty');\n    ${MOMENTUM}`);

before(() => {
  root = makeWorkspace({ 'plugins/moody.ts': LOOP_SOURCE, ...sweepFiles('moody', [10, 20, 30, 40]) });
  const loaded = loadOptimizationFile(path.join(root, 'opt-moody.yaml'), { dataRoot: root });
  const spec = optimizationSpec(loaded);
  task = (period) => {
    const idx = spec.grid.axes[0].values.indexOf(period);
    return { spec, indices: [idx], dataRoot: root, plugins: loaded.plugins.bundle };
  };
  pool = createBacktestPool(2);
});

after(async () => {
  await pool?.destroy();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('the backtest pool', () => {
  test('stops an operation that never returns after its time limit, while the other slot keeps working', async () => {
    const started = performance.now();
    const finished: number[] = [];
    const stuck = runOne(40, 2_000).then((outcome) => ({ outcome, ms: performance.now() - started }));
    const others = await Promise.all(
      Array.from({ length: 8 }, (_, k) => runOne(k % 2 ? 10 : 20, 2_000).then((outcome) => (finished.push(performance.now() - started), outcome))),
    );
    assert.ok(others.every((o) => o.ok), 'every other operation ran');
    const { outcome, ms } = await stuck;
    assert.ok(Math.max(...finished) < ms, 'the others finished on the free slot before the stuck one was stopped');
    assert.ok(ms >= 2_000, `stopped after its limit, not before (${Math.round(ms)} ms)`);
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.field, 'parallel_config.max_operation_seconds');
    assert.equal(outcome.error.reason, 'stopped after 2 s without finishing (a plugin that never returns?); its backtest slot was restarted');
  });

  test('runs operations on both slots again after a stuck one was stopped', async () => {
    const outcomes = await Promise.all([10, 20, 10, 20].map((period) => runOne(period, 5_000)));
    assert.ok(outcomes.every((o) => o.ok));
  });

  test("returns a plugin's error as the operation's failure with the plugin's file and line", async () => {
    const outcome = await runOne(30, 5_000);
    assert.ok(!outcome.ok);
    const line = LOOP_SOURCE.split('\n').findIndex((l) => l.includes("new Error('thirty')")) + 1;
    assert.match(outcome.error.message, new RegExp(`^plugins/moody\\.ts:${line}:\\d+: plugin "moody" threw Error: thirty$`));
  });
});
