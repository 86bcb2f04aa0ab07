import type { MaterializedOperation } from '../config/materialize.js';
import { loadBars } from '../data/load.js';
import { runBacktest } from '../engine/index.js';
import { BUILTIN_PLUGINS, type PluginSet } from '../engine/plugins/registry.js';
import type { BacktestResult } from '../engine/result.js';

/**
 * The seed's Operations-service: runs ONE fully defined operation. `sweeplab run-operation` calls it
 * directly, the thread pool calls it for every operation of a sweep. `file` names the operation in
 * error messages; `plugins` are the plugins it may name (the built-ins and the sweep's own code).
 */
export function runMaterializedOperation(op: MaterializedOperation, opts: { dataRoot: string; file: string; plugins?: PluginSet }): BacktestResult {
  const link = op.strategy_links[0]!;
  const environment = op.environments[link.execution_environment]!;
  const source = op.data_sources[environment.data_source]!;
  const bars = loadBars(source, {
    dataRoot: opts.dataRoot,
    file: opts.file,
    field: `data_sources.${environment.data_source}`,
    start: environment.start,
    end: environment.end,
  });
  return runBacktest(bars, link.strategy_blueprint.workforce, environment, opts.plugins ?? BUILTIN_PLUGINS);
}
