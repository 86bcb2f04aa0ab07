import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities/index.js';
import { createBacktestPool, defaultSlots, type BacktestPool } from '../src/activities/pool.js';
import { loadOperationBars } from '../src/services/run-operation.js';
import { loadOptimizationFile } from '../src/intake/load.js';
import { applyCombo } from '../src/config/overrides.js';
import { comboAt } from '../src/config/grid.js';
import { operationAt } from '../src/config/operation-at.js';
import { optimizationSpec, paramNames, type OptimizationSpec } from '../src/config/sweep.js';
import { runBacktest, type PluginSet } from '../src/engine/index.js';
import { openStore, type Store } from '../src/store/index.js';
import { threadEntry } from '../src/user-plugins/containment.js';
import { bareEngineOpsPerSecond } from './bare-engine.js';
import { hostEvaluated } from './host-evaluated.js';
import { repoRoot, unshared } from './stack.js';
import { round } from './sweep.js';

/*
 * What running user plugins as guests costs (docs/plugins.md, "What isolation costs"), on the example
 * plugin sweep (examples/optimization_momentum.yaml: roc_momentum beside built-ins, 20 operations on
 * the example daily bars), two ways:
 *
 *   sweep   the sweep's operations as a worker runs them: the activity's runOperations into a real
 *           SQLite store through the backtest pool, isolated as sweeplab runs it (contained threads,
 *           one task each, the plugin in its realm, every output checked), and unisolated (the same
 *           bundle evaluated in ordinary threads unchecked, bench/unisolated-thread.ts), beside the
 *           bare engine (runBacktest in a loop on all cores, the bundle unisolated); ROUNDS triples
 *           back to back (each in turn first), each of SWEEPS fresh sweeps of the grid (fees nudged:
 *           nothing is reused), and the median of each, in operations per second of wall time and
 *           in CPU time of the process per operation (isolation's cost as a share of throughput
 *           either way). This is the figure the promise is about.
 *   engine  runBacktest alone in this thread, the plugin in its realm or evaluated in the host;
 *           rounds alternate, and the fastest round of each is the engine's cost, as the medians on
 *           a shared machine move with its load.
 */

const ENGINE_ROUNDS = 300;
const ROUNDS = 6;
const SWEEPS = 15;

export async function benchIsolation(): Promise<Record<string, number>> {
  const root = path.join(repoRoot, 'examples');
  const loaded = loadOptimizationFile(path.join(root, 'optimization_momentum.yaml'), { dataRoot: root });
  const spec = optimizationSpec(loaded);
  const bundle = loaded.plugins.bundle!;
  return { ...(await sweepFigures(spec, bundle, root)), ...engineFigures(spec, loaded.plugins.set, hostEvaluated(bundle.text), root) };
}

async function sweepFigures(spec: OptimizationSpec, bundle: { hash: string; text: string }, root: string): Promise<Record<string, number>> {
  const slots = defaultSlots();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-bench-isolation-'));
  const store = await openStore({ url: `sqlite:${path.join(dir, 'store.db')}` });
  await store.migrate();
  await store.savePluginBundle(bundle);
  const isolated = createBacktestPool(slots);
  const unisolated = createBacktestPool(slots, threadEntry(new URL('./unisolated-thread.ts', import.meta.url).href, 'unisolated-thread'));
  const indices = Array.from({ length: spec.grid.size }, (_, i) => i);
  let sweeps = 0;
  const cpu = { unisolated: [] as number[], isolated: [] as number[] };
  const opsPerSecond = async (pool: BacktestPool, cpuTimes?: number[]): Promise<number> => {
    const { runOperations } = createActivities({ store, pool, dataRoot: root });
    const runs = Array.from({ length: SWEEPS }, () => ({ id: `bench-${++sweeps}`, spec: unshared(spec, sweeps * 1e-7) }));
    for (const run of runs) await createSweep(store, run.id, run.spec, indices.length);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const run of runs) await new MockActivityEnvironment().run(runOperations, { sweep_id: run.id, spec: run.spec, indices });
    const seconds = (performance.now() - started) / 1000;
    // CPU time of the whole process (this thread, the store, every pool thread): on a shared machine
    // the wall clock also counts other processes' turns, CPU time much less so.
    const used = process.cpuUsage(cpuBefore);
    cpuTimes?.push((used.user + used.system) / 1000 / (SWEEPS * indices.length));
    return (SWEEPS * indices.length) / seconds;
  };
  const repeated = Array.from({ length: SWEEPS }, () => indices).flat();
  try {
    // Threads started, the bundle loaded in each (a worker's threads are long-lived).
    for (const pool of [isolated, unisolated]) await opsPerSecond(pool);
    const times = { bare: [] as number[], unisolated: [] as number[], isolated: [] as number[] };
    const measure = {
      bare: () => bareEngineOpsPerSecond(spec, repeated, slots, { dataRoot: root, bundleText: bundle.text }),
      unisolated: () => opsPerSecond(unisolated, cpu.unisolated),
      isolated: () => opsPerSecond(isolated, cpu.isolated),
    };
    const order = ['unisolated', 'isolated', 'bare'] as const;
    // The three back to back, each round starting one further along: none always follows the same one.
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < order.length; k++) {
        const which = order[(r + k) % order.length]!;
        times[which].push(await measure[which]());
      }
    }
    const bare = median(times.bare);
    const plain = median(times.unisolated);
    const guarded = median(times.isolated);
    return {
      sweep_operations: repeated.length,
      slots,
      sweep_bare_engine_ops_per_s: round(bare),
      sweep_unisolated_ops_per_s: round(plain),
      sweep_isolated_ops_per_s: round(guarded),
      sweep_unisolated_share_of_bare: round(plain / bare, 3),
      sweep_isolated_share_of_bare: round(guarded / bare, 3),
      sweep_isolation_cost_pct: round((1 - guarded / plain) * 100),
      sweep_unisolated_cpu_ms_per_op: round(median(cpu.unisolated), 3),
      sweep_isolated_cpu_ms_per_op: round(median(cpu.isolated), 3),
      sweep_isolation_cost_pct_cpu: round((1 - median(cpu.unisolated) / median(cpu.isolated)) * 100),
    };
  } finally {
    await Promise.all([isolated.destroy(), unisolated.destroy()]);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function createSweep(store: Store, id: string, spec: OptimizationSpec, total: number): Promise<void> {
  await store.createSweep({ id, kind: spec.kind, name: spec.name, total, primary_metric: spec.primary_metric, spec, param_names: paramNames(spec) });
}

function engineFigures(spec: OptimizationSpec, isolated: PluginSet, unisolated: PluginSet, root: string): Record<string, number> {
  const bars = loadOperationBars(operationAt(spec, 0, isolated).op, { dataRoot: root, file: spec.file });
  const workforces = Array.from({ length: spec.admissible }, (_, idx) => applyCombo(spec.base.blueprint.workforce, spec.grid, comboAt(spec.grid, idx)));
  const timed = (plugins: PluginSet) => {
    const started = performance.now();
    for (const workforce of workforces) runBacktest(bars, workforce, spec.base.environment, plugins);
    return (performance.now() - started) / workforces.length;
  };
  for (let i = 0; i < 20; i++) {
    timed(isolated);
    timed(unisolated);
  }
  const times = { isolated: [] as number[], unisolated: [] as number[] };
  for (let i = 0; i < ENGINE_ROUNDS; i++) {
    times.unisolated.push(timed(unisolated));
    times.isolated.push(timed(isolated));
  }
  const fastest = (t: number[]) => Math.min(...t);
  return {
    engine_operations: workforces.length,
    engine_unisolated_ms_per_op_fastest: round(fastest(times.unisolated), 4),
    engine_isolated_ms_per_op_fastest: round(fastest(times.isolated), 4),
    engine_isolation_cost_pct_fastest: round((fastest(times.isolated) / fastest(times.unisolated) - 1) * 100),
    engine_unisolated_ms_per_op_median: round(median(times.unisolated), 4),
    engine_isolated_ms_per_op_median: round(median(times.isolated), 4),
    engine_isolation_cost_pct_median: round((median(times.isolated) / median(times.unisolated) - 1) * 100),
  };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
