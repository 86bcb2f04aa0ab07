import type { Combo, AxisValue } from '../core/types.js';
import { computeMetrics, drawdownCurve } from './metrics.js';
import type { BacktestResult, Curve, Metrics, Trade } from './result.js';

/*
 * What a walk-forward's windows add up to (docs/metrics.md, "Walk-forward"): the out-of-sample
 * pieces stitched into one curve, its metrics, the walk-forward efficiency per window and overall,
 * and how stable the chosen parameters are. Pure, like the metrics: results in, figures out.
 */

/** One finished window: the combination chosen in sample (null: none qualified) and its two runs. */
export interface WindowRuns {
  k: number;
  params: Combo | null;
  /** The chosen combination's in-sample run; null when none was chosen. */
  in_sample: BacktestResult | null;
  /** The out-of-sample run, measured from the piece's first bar, starting at the initial capital. */
  out_of_sample: BacktestResult;
}

export interface StitchedCurve {
  equity: Curve;
  drawdown: Curve;
  /** Every window's closed trades, on the stitched curve's bar indices, pnl and size in its money. */
  trades: Trade[];
  metrics: Metrics;
  /** Per window, the factor its piece was scaled by: the stitched equity before it over the initial capital. */
  factors: number[];
}

/**
 * Chains the out-of-sample pieces: piece k runs from the initial capital C, and is scaled by
 * F_{k−1} / C, where F_{k−1} is the stitched equity at the end of piece k − 1 (F_0 = C). The curve
 * is therefore what one account compounding through the pieces would show when sizing scales with
 * equity; the metrics are computeMetrics over it and the scaled trades.
 */
export function stitchOutOfSample(windows: readonly WindowRuns[], initialCapital: number, periodsPerYear?: number): StitchedCurve {
  const t: number[] = [];
  const v: number[] = [];
  const trades: Trade[] = [];
  const factors: number[] = [];
  let capital = initialCapital;
  let barsInMarket = 0;
  for (const window of [...windows].sort((a, b) => a.k - b.k)) {
    const piece = window.out_of_sample;
    const factor = capital / initialCapital;
    const offset = t.length;
    factors.push(factor);
    for (let i = 0; i < piece.equity.t.length; i++) {
      t.push(piece.equity.t[i]!);
      v.push(piece.equity.v[i]! * factor);
    }
    for (const trade of piece.trades) {
      trades.push({ ...trade, size: trade.size * factor, pnl: trade.pnl * factor, entry_bar: trade.entry_bar + offset, exit_bar: trade.exit_bar + offset });
    }
    // exposure is never null (docs/metrics.md): bars in the market over the piece's bars.
    barsInMarket += Math.round(piece.metrics.exposure! * piece.equity.t.length);
    capital = v[v.length - 1]!;
  }
  const metrics = computeMetrics({ time: t, equity: v, trades, initialCapital, barsInMarket, periodsPerYear });
  return { equity: { t, v }, drawdown: { t, v: drawdownCurve(v) }, trades, metrics, factors };
}

/**
 * Walk-forward efficiency: annualized out-of-sample return over annualized in-sample return (the
 * CAGRs). null when either is undefined or the in-sample one is not positive, where the ratio
 * stops meaning "the share of the in-sample performance that held up".
 */
export function walkForwardEfficiency(inSampleCagr: number | null, outOfSampleCagr: number | null): number | null {
  if (inSampleCagr === null || outOfSampleCagr === null || !(inSampleCagr > 0)) return null;
  return outOfSampleCagr / inSampleCagr;
}

export interface ParamStability {
  /** The chosen value per window, in window order; null for a window that chose nothing. */
  values: Array<AxisValue | null>;
  distinct: number;
  /** The value chosen most often (the earliest window's on a tie) and the share of choosing windows it won. */
  mode: AxisValue | null;
  mode_share: number | null;
  /** For numbers: mean, population standard deviation and coefficient of variation std / |mean|. */
  mean: number | null;
  std: number | null;
  cv: number | null;
}

/** Per parameter label, how the chosen value moves from window to window. */
export function parameterStability(chosen: ReadonlyArray<Combo | null>): Record<string, ParamStability> {
  const labels = [...new Set(chosen.flatMap((c) => (c ? Object.keys(c) : [])))];
  return Object.fromEntries(
    labels.map((label) => {
      const values = chosen.map((c) => (c && label in c ? c[label]! : null));
      const present = values.filter((x): x is AxisValue => x !== null);
      const counts = new Map<AxisValue, number>();
      for (const x of present) counts.set(x, (counts.get(x) ?? 0) + 1);
      let mode: AxisValue | null = null;
      for (const [x, count] of counts) if (mode === null || count > counts.get(mode)!) mode = x;
      const numbers = present.every((x) => typeof x === 'number') && present.length > 0 ? (present as number[]) : null;
      const mean = numbers ? numbers.reduce((s, x) => s + x, 0) / numbers.length : null;
      const std = numbers && mean !== null ? Math.sqrt(numbers.reduce((s, x) => s + (x - mean) ** 2, 0) / numbers.length) : null;
      return [
        label,
        {
          values,
          distinct: counts.size,
          mode,
          mode_share: mode === null ? null : counts.get(mode)! / present.length,
          mean,
          std,
          cv: mean !== null && std !== null && mean !== 0 ? std / Math.abs(mean) : null,
        },
      ];
    }),
  );
}

export interface WalkForwardSummary {
  stitched: StitchedCurve;
  windows: Array<{ k: number; params: Combo | null; in_sample: Metrics | null; out_of_sample: Metrics; efficiency: number | null }>;
  /** Stitched out-of-sample CAGR over the mean in-sample CAGR of the windows that chose a combination. */
  efficiency: number | null;
  stability: Record<string, ParamStability>;
}

export function summarizeWalkForward(windows: readonly WindowRuns[], initialCapital: number, periodsPerYear?: number): WalkForwardSummary {
  const sorted = [...windows].sort((a, b) => a.k - b.k);
  const stitched = stitchOutOfSample(sorted, initialCapital, periodsPerYear);
  const inSampleCagrs = sorted.map((w) => w.in_sample?.metrics.cagr ?? null).filter((c): c is number => c !== null);
  const meanInSample = inSampleCagrs.length ? inSampleCagrs.reduce((s, x) => s + x, 0) / inSampleCagrs.length : null;
  return {
    stitched,
    windows: sorted.map((w) => ({
      k: w.k,
      params: w.params,
      in_sample: w.in_sample?.metrics ?? null,
      out_of_sample: w.out_of_sample.metrics,
      efficiency: walkForwardEfficiency(w.in_sample?.metrics.cagr ?? null, w.out_of_sample.metrics.cagr),
    })),
    efficiency: walkForwardEfficiency(meanInSample, stitched.metrics.cagr),
    stability: parameterStability(sorted.map((w) => w.params)),
  };
}

/** The run of a window that chose nothing: flat at the initial capital over the piece's bars. */
export function idleRun(time: ArrayLike<number>, initialCapital: number, periodsPerYear?: number): BacktestResult {
  const t = Array.from(time);
  const v = t.map(() => initialCapital);
  return {
    metrics: computeMetrics({ time: t, equity: v, trades: [], initialCapital, barsInMarket: 0, periodsPerYear }),
    equity: { t, v },
    drawdown: { t, v: drawdownCurve(v) },
    trades: [],
    open_trade: null,
    bars: t.length,
    start: new Date(t[0]!).toISOString(),
    end: new Date(t[t.length - 1]!).toISOString(),
  };
}
