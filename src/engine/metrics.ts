import type { Metrics, Trade } from './result.js';

const DAY_MS = 86_400_000;
const YEAR_MS = 365.25 * DAY_MS;

export interface MetricsInput {
  /** Bar times, epoch ms. */
  readonly time: ArrayLike<number>;
  /** Equity at every bar's close. */
  readonly equity: ArrayLike<number>;
  /** Closed trades only. */
  readonly trades: readonly Trade[];
  readonly initialCapital: number;
  /** Bars whose close found a position open. */
  readonly barsInMarket: number;
  /** Annualisation factor; measured from the bars when absent. */
  readonly periodsPerYear?: number;
}

/**
 * Every metric of a backtest. Fractions, not percent; null where a metric is undefined, never a
 * stand-in 0. Formulas, conventions and edge cases: docs/metrics.md (kept in step with this file).
 */
export function computeMetrics(input: MetricsInput): Metrics {
  const { time, equity, trades, initialCapital } = input;
  const n = equity.length;
  const finalEquity = equity[n - 1];
  const years = (time[n - 1] - time[0]) / YEAR_MS;
  const cagr = years > 0 && finalEquity > 0 ? (finalEquity / initialCapital) ** (1 / years) - 1 : null;
  const periodsPerYear = input.periodsPerYear ?? (years > 0 ? (n - 1) / years : null);
  const returns = returnStats(equity);
  const maxDrawdown = maxDrawdownOf(equity);
  const pnls = trades.map((t) => t.pnl);
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p < 0);
  const grossLoss = -sum(losses);
  return {
    final_equity: finalEquity,
    total_return: finalEquity / initialCapital - 1,
    cagr,
    sharpe_ratio: periodsPerYear === null || returns === null ? null : sharpe(returns, periodsPerYear),
    sortino_ratio: periodsPerYear === null || returns === null ? null : sortino(returns, periodsPerYear),
    max_drawdown: maxDrawdown,
    calmar_ratio: cagr !== null && maxDrawdown < 0 ? cagr / -maxDrawdown : null,
    win_rate: trades.length ? wins.length / trades.length : null,
    profit_factor: losses.length ? sum(wins) / grossLoss : null,
    total_trades: trades.length,
    avg_trade_duration: trades.length ? sum(trades.map((t) => time[t.exit_bar] - time[t.entry_bar])) / trades.length / DAY_MS : null,
    expectancy: trades.length ? sum(pnls) / trades.length : null,
    exposure: input.barsInMarket / n,
    sqn: sqn(pnls),
  };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** min over bars of equity / running peak − 1 (the peak includes the bar itself); 0 when never below a peak. */
function maxDrawdownOf(equity: ArrayLike<number>): number {
  let peak = -Infinity;
  let worst = 0;
  for (let i = 0; i < equity.length; i++) {
    if (equity[i] > peak) peak = equity[i];
    const dd = equity[i] / peak - 1;
    if (dd < worst) worst = dd;
  }
  return worst;
}

/** Drawdown per bar, equity / running peak − 1. */
export function drawdownCurve(equity: ArrayLike<number>): number[] {
  const out = new Array<number>(equity.length);
  let peak = -Infinity;
  for (let i = 0; i < equity.length; i++) {
    if (equity[i] > peak) peak = equity[i];
    out[i] = equity[i] / peak - 1;
  }
  return out;
}

/**
 * Statistics of the per-bar simple returns r_i = e_i / e_{i−1} − 1, i = 1 … n−1, in two passes
 * over the equity without materialising r (a long series would need one more 40 MB array).
 * null when any e_{i−1} ≤ 0: a blown account has no meaningful return series.
 */
interface ReturnStats {
  count: number;
  mean: number;
  /** Sample standard deviation (divisor n − 1); NaN for fewer than 2 returns. */
  std: number;
  /** √(mean(min(r, 0)²)) over all n returns: the downside deviation with target 0. */
  downside: number;
}

function returnStats(equity: ArrayLike<number>): ReturnStats | null {
  const count = equity.length - 1;
  if (count < 1) return null;
  let total = 0;
  let downSq = 0;
  for (let i = 1; i <= count; i++) {
    if (!(equity[i - 1] > 0)) return null;
    const r = equity[i] / equity[i - 1] - 1;
    total += r;
    if (r < 0) downSq += r * r;
  }
  const m = total / count;
  let sq = 0;
  for (let i = 1; i <= count; i++) {
    const d = equity[i] / equity[i - 1] - 1 - m;
    sq += d * d;
  }
  return { count, mean: m, std: count > 1 ? Math.sqrt(sq / (count - 1)) : NaN, downside: Math.sqrt(downSq / count) };
}

/** mean(r) / std(r, n−1) × √ppy, risk-free rate 0; null with fewer than 2 returns or no deviation. */
function sharpe(r: ReturnStats, periodsPerYear: number): number | null {
  return r.count >= 2 && r.std > 0 ? (r.mean / r.std) * Math.sqrt(periodsPerYear) : null;
}

/** mean(r) / downside deviation × √ppy; null without a negative return. */
function sortino(r: ReturnStats, periodsPerYear: number): number | null {
  return r.downside > 0 ? (r.mean / r.downside) * Math.sqrt(periodsPerYear) : null;
}

function mean(values: readonly number[]): number {
  return sum(values) / values.length;
}

/** Sample standard deviation (divisor n − 1). */
function sampleStd(values: readonly number[], m: number): number {
  let sq = 0;
  for (const v of values) sq += (v - m) ** 2;
  return Math.sqrt(sq / (values.length - 1));
}

/** Van Tharp's system quality number √n × mean(pnl) / std(pnl, n−1); null for n < 2 or no deviation. */
function sqn(pnls: readonly number[]): number | null {
  if (pnls.length < 2) return null;
  const m = mean(pnls);
  const sd = sampleStd(pnls, m);
  return sd > 0 ? (Math.sqrt(pnls.length) * m) / sd : null;
}
