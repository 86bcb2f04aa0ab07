import type { BlockReturns } from '../engine/block-returns.js';

/*
 * The per-bar Sharpe ratio from a return series' sufficient statistics (count, Σr, Σr²): mean over
 * standard deviation with divisor n − 1 and a risk-free rate of 0, the same convention as the
 * `sharpe_ratio` metric before its √P annualisation (docs/metrics.md). The robustness statistics work
 * at this per-period scale, as the papers require.
 */

/** Sharpe ratio of n returns with sum s and sum of squares q; null when it is undefined (n < 2 or no variance). */
export function sharpeFromSums(n: number, s: number, q: number): number | null {
  if (n < 2) return null;
  const mean = s / n;
  // Σ(r − mean)² = Σr² − n·mean²; clamped because the subtraction can dip below 0 by rounding.
  const variance = Math.max(0, q - s * mean) / (n - 1);
  if (!(variance > 0)) return null;
  return mean / Math.sqrt(variance);
}

/** Simple per-bar returns e_t / e_{t−1} − 1 of an equity curve; null when the account is blown (some e_{t−1} ≤ 0). */
export function barReturns(equity: ArrayLike<number>): number[] | null {
  const out: number[] = new Array(Math.max(0, equity.length - 1));
  for (let t = 1; t < equity.length; t++) {
    const prev = equity[t - 1]!;
    if (!(prev > 0)) return null;
    out[t - 1] = equity[t]! / prev - 1;
  }
  return out;
}

/** The per-bar Sharpe ratio of a whole curve from its block returns (src/engine/block-returns.ts). */
export function blocksSharpe(b: BlockReturns): number | null {
  let n = 0;
  let s = 0;
  let q = 0;
  for (let k = 0; k < b.n.length; k++) {
    n += b.n[k]!;
    s += b.sum[k]!;
    q += b.sum_sq[k]!;
  }
  return sharpeFromSums(n, s, q);
}
