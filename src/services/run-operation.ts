import type { MaterializedOperation } from '../config/materialize.js';
import { loadBars } from '../data/load.js';
import { runBacktest, type BarSeries } from '../engine/index.js';
import { BUILTIN_PLUGINS, type PluginSet } from '../engine/plugins/registry.js';
import type { BacktestResult } from '../engine/result.js';

/**
 * The operations service: runs ONE fully defined operation. `sweeplab run-operation` calls it
 * directly, and so does the recomputation of a stored operation's curves; the pool threads load the
 * bars once per batch and run each operation of the batch on them. `file` names the operation in
 * error messages; `plugins` are the plugins it may name (the built-ins and the sweep's own code).
 */
export function runMaterializedOperation(op: MaterializedOperation, opts: { dataRoot: string; file: string; plugins?: PluginSet }): BacktestResult {
  const link = op.strategy_links[0]!;
  return runBacktest(loadOperationBars(op, opts), link.strategy_blueprint.workforce, op.environments[link.execution_environment]!, opts.plugins ?? BUILTIN_PLUGINS);
}

/** The operation's bars: its data source, cut to its environment's dates (cached per process, src/data/load.ts). */
export function loadOperationBars(op: MaterializedOperation, opts: { dataRoot: string; file: string }): BarSeries {
  const link = op.strategy_links[0]!;
  const environment = op.environments[link.execution_environment]!;
  return loadBars(op.data_sources[environment.data_source]!, {
    dataRoot: opts.dataRoot,
    file: opts.file,
    field: `data_sources.${environment.data_source}`,
    start: environment.start,
    end: environment.end,
  });
}
