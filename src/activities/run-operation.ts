import type { MaterializedOperation } from '../config/materialize.js';
import { loadBars } from '../data/load.js';
import { runBacktest, type BarSeries } from '../engine/index.js';
import type { BacktestResult } from '../engine/result.js';

/**
 * The seed's Operations-service: runs ONE fully defined operation. `sweeplab run-operation` calls it
 * directly, and so does the recomputation of a stored operation's curves; the pool threads load the
 * bars once per batch and run each operation of the batch on them. `file` names the operation in
 * error messages.
 */
export function runMaterializedOperation(op: MaterializedOperation, opts: { dataRoot: string; file: string }): BacktestResult {
  return runOnBars(op, loadOperationBars(op, opts));
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

/** The operation on bars loaded for it (or for another operation with the same data source and dates). */
export function runOnBars(op: MaterializedOperation, bars: BarSeries): BacktestResult {
  const link = op.strategy_links[0]!;
  return runBacktest(bars, link.strategy_blueprint.workforce, op.environments[link.execution_environment]!);
}
