import { parentPort, workerData } from 'node:worker_threads';
import { loadOperationBars } from '../src/services/run-operation.js';
import { operationAt } from '../src/config/operation-at.js';
import type { SweepSpec } from '../src/config/sweep.js';
import { BUILTIN_PLUGINS, runBacktest } from '../src/engine/index.js';
import { hostEvaluated } from './host-evaluated.js';

/*
 * One thread of the bare-engine limit (bench/bare-engine.ts): its share of the grid's operations
 * materialized and their bars loaded up front, then only runBacktest in a loop, timed.
 */

const { spec, indices, dataRoot, bundleText } = workerData as { spec: SweepSpec; indices: number[]; dataRoot: string; bundleText?: string };
const plugins = bundleText === undefined ? BUILTIN_PLUGINS : hostEvaluated(bundleText);
const ops = indices.map((idx) => operationAt(spec, idx, plugins).op);
const bars = loadOperationBars(ops[0]!, { dataRoot, file: spec.file });
const runs = ops.map((op) => ({ workforce: op.strategy_links[0].strategy_blueprint.workforce, environment: op.environments[op.strategy_links[0].execution_environment]! }));
// One warm-up pass over a few, so the loop measures the engine, not the JIT.
for (const run of runs.slice(0, 50)) runBacktest(bars, run.workforce, run.environment, plugins);
parentPort!.once('message', () => {
  const started = performance.now();
  for (const run of runs) runBacktest(bars, run.workforce, run.environment, plugins);
  parentPort!.postMessage({ ms: performance.now() - started, operations: runs.length });
});
parentPort!.postMessage('ready');
