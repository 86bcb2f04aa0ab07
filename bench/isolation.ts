import path from 'node:path';
import vm from 'node:vm';
import { loadOptimizationFile } from '../src/intake/load.js';
import { applyCombo } from '../src/config/overrides.js';
import { comboAt } from '../src/config/grid.js';
import { optimizationSpec } from '../src/config/sweep.js';
import { loadOperationBars } from '../src/services/run-operation.js';
import { operationAt } from '../src/config/operation-at.js';
import { BUILTIN_PLUGINS, runBacktest, type PluginDefinition, type PluginSet } from '../src/engine/index.js';
import * as hostPublicModule from '../src/plugin/index.js';
import type { BundledFile } from '../src/user-plugins/bundle.js';
import { repoRoot } from './stack.js';

/*
 * What running user plugins as guests costs (docs/plugins.md, "What isolation costs"): the example
 * plugin sweep (examples/optimization_momentum.yaml, roc_momentum beside built-ins, 20 operations on
 * the example daily bars) in this thread, once with the plugin in its realm as sweeplab runs it,
 * once with the same bundle evaluated in the host with the host's sweeplab/plugin and no checks (as
 * before isolation). Rounds alternate; the fastest round of each is the engine's cost, as the
 * medians on a shared machine move with its load.
 */

const ROUNDS = 300;

export async function benchIsolation(): Promise<Record<string, number>> {
  const root = path.join(repoRoot, 'examples');
  const loaded = loadOptimizationFile(path.join(root, 'optimization_momentum.yaml'), { dataRoot: root });
  const spec = optimizationSpec(loaded);
  const isolated = loaded.plugins.set;
  const unisolated = hostEvaluated(loaded.plugins.bundle!.text);
  const bars = loadOperationBars(operationAt(spec, 0, isolated).op, { dataRoot: root, file: spec.file });
  const workforces = Array.from({ length: spec.admissible }, (_, idx) => applyCombo(spec.base.blueprint.workforce, spec.grid, comboAt(spec.grid, idx)));
  const round = (plugins: PluginSet) => {
    const started = performance.now();
    for (const workforce of workforces) runBacktest(bars, workforce, spec.base.environment, plugins);
    return (performance.now() - started) / workforces.length;
  };
  for (let i = 0; i < 20; i++) {
    round(isolated);
    round(unisolated);
  }
  const times = { isolated: [] as number[], unisolated: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    times.unisolated.push(round(unisolated));
    times.isolated.push(round(isolated));
  }
  const fastest = (t: number[]) => Math.min(...t);
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  return {
    operations: workforces.length,
    unisolated_ms_per_op_fastest: +fastest(times.unisolated).toFixed(4),
    isolated_ms_per_op_fastest: +fastest(times.isolated).toFixed(4),
    isolation_cost_pct_fastest: +((fastest(times.isolated) / fastest(times.unisolated) - 1) * 100).toFixed(1),
    unisolated_ms_per_op_median: +median(times.unisolated).toFixed(4),
    isolated_ms_per_op_median: +median(times.isolated).toFixed(4),
    isolation_cost_pct_median: +((median(times.isolated) / median(times.unisolated) - 1) * 100).toFixed(1),
  };
}

/** The bundle's plugins evaluated in the host, with the host's sweeplab/plugin: user code unisolated and unchecked. */
function hostEvaluated(text: string): PluginSet {
  const byName = new Map(BUILTIN_PLUGINS.byName);
  for (const file of (JSON.parse(text) as { files: BundledFile[] }).files) {
    const module = { exports: {} as Record<string, unknown> };
    vm.compileFunction(file.code, ['module', 'exports', 'require'])(module, module.exports, () => hostPublicModule);
    for (const value of Object.values(module.exports)) {
      const definition = value as PluginDefinition;
      byName.set(definition.name, { ...definition, source: { file: file.file, code_hash: '' } });
    }
  }
  return { byName, bundle_hash: null };
}
