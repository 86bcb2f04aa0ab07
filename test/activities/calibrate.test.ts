import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { operationCost } from '../../src/activities/calibrate.js';
import { createBacktestPool, type BacktestPool } from '../../src/activities/pool.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { optimizationSpec, type OptimizationSpec } from '../../src/config/sweep.js';
import type { PluginBundle } from '../../src/user-plugins/index.js';
import { makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from '../user-plugins/workspace.js';

/*
 * The cost a sweep's start record measures for automatic packing (src/activities/calibrate.ts): one
 * operation run unstored in a backtest slot. A plugin that throws or never returns gives no cost (the
 * sweep then measures its first packs), and the slot it blocked is free again within the time limit.
 */

let root: string;
let pool: BacktestPool;
let spec: OptimizationSpec;
let plugins: PluginBundle | null;
const at = (period: number) => spec.grid.axes[0].values.indexOf(period);
const cost = (period: number) => operationCost(pool, { spec, idx: at(period), dataRoot: root, plugins });

before(() => {
  const source = signalPlugin('moody', `if (p.period === 40) for (;;) {}\n    if (p.period === 30) throw new Error('thirty');\n    ${MOMENTUM}`);
  root = makeWorkspace({ 'plugins/moody.ts': source, ...sweepFiles('moody', [10, 20, 30, 40]) });
  const loaded = loadOptimizationFile(path.join(root, 'opt-moody.yaml'), { dataRoot: root });
  spec = optimizationSpec(loaded);
  plugins = loaded.plugins.bundle;
  pool = createBacktestPool(2);
});

after(async () => {
  await pool?.destroy();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('operationCost', () => {
  test("is one operation's engine time spread over the pool's threads", async () => {
    const ms = await cost(10);
    assert.ok(ms !== null && ms > 0 && ms < 1_000, `a cost in ms per operation (${ms})`);
    // Warm, the same operation measures about the same; never an order of magnitude apart.
    const again = (await cost(10))!;
    assert.ok(again < ms * 10 && ms < again * 10, `${ms} then ${again}`);
  });

  test('is null for an operation that fails', async () => {
    assert.equal(await cost(30), null);
  });

  test('is null for an operation still running after a second, whose slot is then free again', async () => {
    const started = performance.now();
    assert.equal(await cost(40), null);
    const waited = performance.now() - started;
    assert.ok(waited >= 1_000 && waited < 10_000, `stopped after its first run's limit (${Math.round(waited)} ms)`);
    assert.ok((await cost(20)) !== null, 'the pool runs the next operation');
  });
});
