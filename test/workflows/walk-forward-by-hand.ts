import assert from 'node:assert/strict';
import path from 'node:path';
import { loadOperationFile } from '../../src/intake/load.js';
import { WorkforceSchema } from '../../src/config/schemas.js';
import { loadBars } from '../../src/data/load.js';
import { runBacktest, sliceBars } from '../../src/engine/index.js';

const root = path.resolve(import.meta.dirname, '../..');

/** 8 windows of 2 years in sample, 1 year out of sample; grid sma_cross fast {5, 10, 20} × slow {50, 100}, ≥ 3 trades. */
export const WALK_FORWARD_FILE = path.join(root, 'test/fixtures/walk-forward/walk_forward.yaml');

/**
 * The walk-forward by hand. Window k (1–8) is in sample on [Jan 1 of 2013 + k, Jan 1 of 2015 + k)
 * and out of sample on the following year. The best combination has the highest Sharpe ratio among
 * those with ≥ 3 trades (the first in grid order on a tie). Out of sample it runs on the 199 bars
 * before the year (trend_filter's 200-bar filter has its first output at bar 199, the longest
 * warm-up of the grid) plus the year, trading from the year's first bar, closing at its end. Pieces
 * chain: piece k is scaled by the stitched equity at the end of piece k − 1 over the capital.
 */
export function byHand(capitalOverride?: number): { params: Array<{ fast: number; slow: number } | null>; stitched: number[] } {
  const base = loadOperationFile(path.join(root, 'examples/operation.yaml'), { dataRoot: root });
  const env = { ...base.environment, initial_capital: capitalOverride ?? base.environment.initial_capital };
  const bars = loadBars(base.data_source, { dataRoot: root, file: 'test', field: 'data', start: env.start, end: env.end });
  const at = (ms: number) => bars.time.findIndex((x) => x >= ms);
  const combos = [5, 10, 20].flatMap((fast) => [50, 100].map((slow) => ({ fast, slow })));
  const workforceOf = (c: { fast: number; slow: number }) => {
    const w = structuredClone(base.blueprint.workforce);
    w.analysis_workers.signal_generation[0]!.params = { ...w.analysis_workers.signal_generation[0]!.params, ...c };
    return WorkforceSchema.parse(w);
  };
  const params: Array<{ fast: number; slow: number } | null> = [];
  const stitched: number[] = [];
  let capital = env.initial_capital;
  for (let k = 1; k <= 8; k++) {
    const [isFrom, oosFrom] = [at(Date.UTC(2013 + k, 0, 1)), at(Date.UTC(2015 + k, 0, 1))];
    const oosTo = k === 8 ? bars.length : at(Date.UTC(2016 + k, 0, 1));
    let best: { c: (typeof combos)[number]; sharpe: number } | null = null;
    for (const c of combos) {
      const m = runBacktest(sliceBars(bars, isFrom, oosFrom), workforceOf(c), env).metrics;
      if (m.total_trades! >= 3 && m.sharpe_ratio !== null && (best === null || m.sharpe_ratio > best.sharpe)) best = { c, sharpe: m.sharpe_ratio };
    }
    params.push(best?.c ?? null);
    const factor = capital / env.initial_capital;
    const piece = best
      ? runBacktest(sliceBars(bars, oosFrom - 199, oosTo), workforceOf(best.c), { ...env, trade_from: new Date(bars.time[oosFrom]!).toISOString(), close_at_end: true }).equity.v
      : Array.from({ length: oosTo - oosFrom }, () => env.initial_capital);
    assert.equal(piece.length, oosTo - oosFrom);
    stitched.push(...piece.map((v) => v * factor));
    capital = stitched[stitched.length - 1]!;
  }
  return { params, stitched };
}

