import { paramText } from '../engine/format.js';
import { BUILTIN_PLUGINS, type PluginSet } from '../engine/plugins/registry.js';
import type { Combo } from './grid.js';
import type { MaterializedOperation } from './materialize.js';
import { operationAt } from './operation-at.js';
import { windowOptimization, type WalkForwardSpec } from './walk-forward-spec.js';

// Kept apart from walk-forward-spec.ts, which workflow code imports: materializing needs zod.

/** Window k's in-sample run of grid combination `idx`: the operation its child optimization ran. */
export function inSampleOperation(spec: WalkForwardSpec, k: number, idx: number, plugins: PluginSet = BUILTIN_PLUGINS): { op: MaterializedOperation; params: Combo } {
  return operationAt(windowOptimization(spec, k), idx, plugins);
}

/**
 * Window k's out-of-sample run of combination `idx`: the same workforce on the bars from the
 * warm-up start to the piece's end, trading and measured from the piece's start (trade_from), the
 * last trade closed at the piece's end, because the next window starts flat with its own choice.
 * No bar after the piece is read, and the bars before it only warm the indicators up.
 */
export function outOfSampleOperation(spec: WalkForwardSpec, k: number, idx: number, plugins: PluginSet = BUILTIN_PLUGINS): { op: MaterializedOperation; params: Combo } {
  const window = spec.windows[k - 1]!;
  const { op, params } = operationAt(spec.optimization, idx, plugins);
  const [link] = op.strategy_links;
  const environment = op.environments[link.execution_environment]!;
  return {
    op: {
      ...op,
      display_name: `${spec.name} w${k} out-of-sample ${paramText(params)}`,
      environments: {
        [link.execution_environment]: { ...environment, start: window.warmup_start, end: window.oos_end, trade_from: window.oos_start, close_at_end: true },
      },
    },
    params,
  };
}
