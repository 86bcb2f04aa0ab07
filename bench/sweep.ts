import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities/index.js';
import { createBacktestPool, defaultSlots } from '../src/activities/pool.js';
import { compileWhere } from '../src/config/expression.js';
import { comboAt } from '../src/config/grid.js';
import type { OptimizationSpec } from '../src/config/sweep.js';
import { openStore } from '../src/store/index.js';
import { loadBenchGrid, repoRoot, startBenchStack, unshared } from './stack.js';

/*
 * What Temporal costs a sweep. The same ~3,500-operation grid runs
 *   (a) straight through the thread pool and into the store, no Temporal: the activity's own code
 *       called once with every operation (MockActivityEnvironment), and
 *   (b) as a sweep on the dev server with a running worker, from submit to completed,
 * with automatic packing, and once more with one activity per operation. The ratio b/a is the share
 * of raw throughput a durable sweep keeps (target ≥ 0.9 with packing).
 */

const GRID = 'bench/optimization-3500.yaml';

function admissibleIndices(spec: OptimizationSpec): number[] {
  const where = spec.where ? compileWhere(spec.where, spec.grid, spec.file, 'where') : () => true;
  const out: number[] = [];
  for (let i = 0; i < spec.grid.size; i++) if (where(comboAt(spec.grid, i))) out.push(i);
  return out;
}

async function straightThroughPool(spec: OptimizationSpec, slots: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-bench-pool-'));
  const store = await openStore({ url: `sqlite:${path.join(dir, 'store.db')}` });
  await store.migrate();
  const pool = createBacktestPool(slots);
  try {
    const { runOperations } = createActivities({ store, pool, dataRoot: repoRoot });
    const indices = admissibleIndices(spec);
    const started = performance.now();
    await new MockActivityEnvironment().run(runOperations, { sweep_id: 'bench-pool', spec, indices });
    return indices.length / ((performance.now() - started) / 1000);
  } finally {
    await pool.destroy();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSweep(): Promise<Record<string, number | string>> {
  const { spec, admissible } = loadBenchGrid(GRID);
  const slots = defaultSlots();
  const poolOps = await straightThroughPool(spec, slots);

  const stack = await startBenchStack({ concurrency: slots });
  try {
    const timed = async (s: OptimizationSpec) => {
      const started = performance.now();
      const { id } = await stack.sweeps.submit(s);
      const view = await stack.sweeps.result(id);
      if (view.status !== 'completed' || view.done + view.failed !== admissible) throw new Error(`bench sweep ${id} ended ${view.status} with ${view.done}/${admissible}`);
      return admissible / ((performance.now() - started) / 1000);
    };
    const packed = await timed(unshared(spec, 1e-6));
    const onePerOp = await timed(unshared({ ...spec, parallel: { ...spec.parallel, operations_per_activity: 1 } }, 2e-6));
    return {
      grid: GRID,
      operations: admissible,
      slots,
      pool_ops_per_s: round(poolOps),
      sweep_ops_per_s: round(packed),
      ratio: round(packed / poolOps, 3),
      one_per_activity_ops_per_s: round(onePerOp),
      one_per_activity_ratio: round(onePerOp / poolOps, 3),
    };
  } finally {
    await stack.stop();
  }
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await benchSweep());
}
