import { setImmediate as nextTurn } from 'node:timers/promises';
import { ConflictError, NotFoundError } from '../config/errors.js';
import { rankedFilter } from './results-query.js';
import { gridNeighbours } from '../config/grid.js';
import type { OptimizationSpec } from '../config/sweep.js';
import { blockReturns, type BlockReturns } from '../engine/block-returns.js';
import type { BacktestResult, Metrics } from '../engine/result.js';
import {
  barReturns,
  BlockMatrix,
  blocksSharpe,
  Cscv,
  deflatedSharpe,
  dsrReading,
  monteCarloReading,
  neighbourhood,
  neighbourhoodReading,
  NOTHING_TRADED,
  pboReading,
  tradeMonteCarlo,
  type SweepStatistics,
} from '../stats/index.js';
import { specBlocks } from '../store/blocks-codec.js';
import type { ResultRow, Store } from '../store/types.js';
import { FullResults } from './full-results.js';

/*
 * The robustness statistics of an optimization (docs/metrics.md, "Robustness statistics"), gathered
 * from the store in one pass over its operations: the trial count and Sharpe ratios for the DSR, the
 * block returns for PBO, the neighbours' metric of the top rows; then the best row is recomputed
 * (deterministic, from spec + index) for its per-bar returns and its trades. Runs in the statistics
 * activity when a sweep completes, and on demand (API, CLI) for a running one.
 */

export interface StatisticsDeps {
  store: Store;
  dataRoot: string;
  /** Called between slices of work (the activity heartbeats here). */
  progress?: (stage: string) => void;
}

/** Rows read from the store per page. */
const PAGE = 1_000;
/** Operation × combination evaluations of CSCV between two progress calls (about 0.1 s). */
const SLICE_OPERATIONS = 2_000_000;
const TOP_ROWS = 5;

export async function computeSweepStatistics(deps: StatisticsDeps, sweepId: string): Promise<SweepStatistics> {
  const started = performance.now();
  const { store } = deps;
  const row = await store.getSweep(sweepId);
  if (!row) throw new NotFoundError('sweep', sweepId, 'no such sweep in the results store (it has not started, or it ran elsewhere)');
  const { spec } = row;
  if (spec.kind !== 'optimization') throw new ConflictError('sweep', sweepId, `robustness statistics are for optimizations; this is a ${spec.kind.replace('_', ' ')}`);
  const metric = spec.primary_metric;
  // Specs stored before `robustness.blocks` existed used the default.
  const blocks = specBlocks(spec);

  const top = (await store.queryResults(sweepId, { sort: metric, order: 'desc', limit: TOP_ROWS, filter: rankedFilter(spec) })).rows.filter(
    (r): r is ResultRow & { metrics: Metrics } => r.metrics?.[metric] != null,
  );
  const wantedNeighbours = new Set(top.flatMap((r) => gridNeighbours(spec.grid, r.idx).map((n) => n.idx)));
  // A neighbour's value: undefined when it was not run (outside `where`, or not yet), null when it ran without a rankable one.
  const neighbourValues = new Map<number, number | null>();
  for (const idx of wantedNeighbours) {
    const [r] = (await store.queryResults(sweepId, { filter: [{ field: 'idx', op: '=', value: idx }], limit: 1 })).rows;
    if (r) neighbourValues.set(idx, r.status === 'done' ? rankedValue(spec, r.metrics) : null);
  }

  // One pass over the done operations: Sharpe ratios and block returns. The failed ones are trials
  // too (each was a combination the researcher could have picked).
  const failed = (await store.queryResults(sweepId, { filter: [{ field: 'status', op: '=', value: 'failed' }], limit: 1 })).total;
  const matrix = new BlockMatrix(blocks);
  const sharpes: number[] = [];
  let trials = failed;
  let recomputed = 0;
  let traded = 0;
  for await (const op of operationBlocks(deps, sweepId, blocks)) {
    trials++;
    if (op.recomputed) recomputed++;
    if ((op.metrics.total_trades ?? 0) > 0) traded++;
    const sharpe = blocksSharpe(op.blocks);
    if (sharpe !== null) sharpes.push(sharpe);
    // PBO compares the operations the sweep could have picked: those with enough trades to be ranked.
    if ((op.metrics.total_trades ?? 0) >= spec.min_trades) matrix.add(op.blocks);
  }

  // Flat curves all tie, and a tie ranks the in-sample winner at the out-of-sample median, which
  // PBO counts as overfit: 1.00 about a sweep that did nothing. Without a trade there is no edge to judge.
  const idle = traded === 0 ? { reason: NOTHING_TRADED } : null;
  const pbo = idle ?? (await probabilityOfOverfitting(deps, matrix));

  const bestRow = top[0];
  let dsr: SweepStatistics['dsr'] = idle ?? { reason: 'no ranked operation yet' };
  let monteCarlo: SweepStatistics['monte_carlo'] = idle ?? { reason: 'no ranked operation yet' };
  if (bestRow) {
    deps.progress?.('best');
    // Recomputed like any curve the page shows (with the sweep's own plugin code, src/services/full-results.ts).
    const [best] = await new FullResults(store, deps.dataRoot, { entries: 1 }).of(sweepId, [bestRow.hash]);
    if (!best) throw new Error(`the best operation ${bestRow.hash} of sweep ${sweepId} is not among its operations`);
    const returns = barReturns(best.result.equity.v);
    dsr = returns ? deflatedSharpe({ trials, trialSharpes: sharpes, returns }) : { reason: 'the best blew its account, so its returns are undefined' };
    // The grid varies the workforce only, so every operation has the base's environment.
    const capital = spec.base.environment.initial_capital;
    monteCarlo = tradeMonteCarlo({ returns: accountReturns(best.result, capital), initialCapital: capital });
  }
  const rows = neighbourhood(
    spec.grid,
    top.map((r) => ({ idx: r.idx, value: r.metrics[metric]! })),
    (idx) => neighbourValues.get(idx),
  );

  return {
    sweep_id: sweepId,
    computed_at: new Date().toISOString(),
    partial: row.status === 'running' || row.status === 'paused',
    primary_metric: metric,
    best: bestRow ? { idx: bestRow.idx, hash: bestRow.hash, params: bestRow.params, value: bestRow.metrics[metric]! } : null,
    dsr,
    pbo,
    neighbourhood: rows,
    monte_carlo: monteCarlo,
    readings: [pboReading(pbo), dsrReading(dsr), neighbourhoodReading(rows[0], metric), monteCarloReading(monteCarlo)],
    elapsed_ms: Math.round(performance.now() - started),
    blocks_recomputed: recomputed,
  };
}

/** CSCV in slices, with the event loop free between them (the activity heartbeats). */
async function probabilityOfOverfitting(deps: StatisticsDeps, matrix: BlockMatrix): Promise<SweepStatistics['pbo']> {
  const run = new Cscv(matrix);
  while (!run.step(Math.max(1, Math.floor(SLICE_OPERATIONS / Math.max(1, matrix.operations))))) {
    deps.progress?.(`pbo ${run.evaluated}/${run.count}`);
    await nextTurn();
  }
  return run.result();
}

interface OperationBlocks {
  idx: number;
  metrics: Metrics;
  blocks: BlockReturns;
  /** True when the store had no usable block returns and they were recomputed here. */
  recomputed: boolean;
}

/**
 * Every done operation of the sweep, in index order, with its block returns as the store keeps them.
 * A row without usable ones (stored before the store kept them and without a full result, or reused
 * from a sweep that cut its curves into another number of blocks) is recomputed from spec + index,
 * which is deterministic, just slower.
 */
async function* operationBlocks(deps: StatisticsDeps, sweepId: string, blocks: number): AsyncGenerator<OperationBlocks> {
  const recompute = new FullResults(deps.store, deps.dataRoot, { entries: 1 });
  for (let offset = 0; ; offset += PAGE) {
    const rows = await deps.store.blockReturns(sweepId, { limit: PAGE, offset });
    for (const r of rows) {
      if (r.blocks && r.blocks.n.length === blocks) {
        yield { idx: r.idx, metrics: r.metrics, blocks: r.blocks, recomputed: false };
        continue;
      }
      const [full] = await recompute.of(sweepId, [r.hash]);
      yield { idx: r.idx, metrics: r.metrics, blocks: blockReturns(full!.result.equity.v, blocks), recomputed: true };
    }
    deps.progress?.(`operations ${offset + rows.length}`);
    if (rows.length < PAGE) return;
    await nextTurn();
  }
}

/**
 * What each closed trade did to the account: pnl / equity at the close before its entry bar (the
 * equity its size was planned from). A trade's return_pct is per unit of notional, which a sizer
 * risking 1 % turns into a far smaller move of the account; compounding these instead gives paths
 * on the scale of the strategy's own equity curve (docs/metrics.md, "Monte Carlo of trades").
 */
function accountReturns(result: BacktestResult, initialCapital: number): number[] {
  return result.trades.map((t) => t.pnl / (t.entry_bar > 0 ? result.equity.v[t.entry_bar - 1]! : initialCapital));
}

/** The primary metric as the sweep ranks it: null when undefined or below min_trades (docs/metrics.md). */
function rankedValue(spec: OptimizationSpec, metrics: Metrics | null): number | null {
  if (!metrics || (metrics.total_trades ?? 0) < spec.min_trades) return null;
  return metrics[spec.primary_metric] ?? null;
}
