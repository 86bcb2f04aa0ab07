import type { BlockReturns } from '../engine/block-returns.js';
import { mulberry32 } from '../data/random.js';
import type { Pbo } from './schemas.js';

/*
 * Probability of Backtest Overfitting by combinatorially symmetric cross-validation (CSCV).
 * @see Bailey, D. H., Borwein, J. M., López de Prado, M. & Zhu, Q. J. (2015). The Probability of
 *   Backtest Overfitting. Journal of Computational Finance 20(4), 39–69.
 * docs/metrics.md, "Probability of Backtest Overfitting".
 *
 * The N × T matrix of the paper is kept as each operation's returns summed over S time blocks
 * (src/engine/block-returns.ts): the Sharpe ratio of any union of blocks follows exactly from the
 * blocks' (n, Σr, Σr²), so a combination costs O(N · S/2) and the whole matrix 3 · S numbers per
 * operation, whatever the length of the curves.
 */

/** The operations' block returns, operation-major (value of block b of operation i at i·S + b); grows as rows are added. */
export class BlockMatrix {
  operations = 0;
  n: Float64Array;
  sum: Float64Array;
  sumSq: Float64Array;

  constructor(
    readonly blocks: number,
    capacity = 1024,
  ) {
    this.n = new Float64Array(capacity * blocks);
    this.sum = new Float64Array(capacity * blocks);
    this.sumSq = new Float64Array(capacity * blocks);
  }

  add(row: BlockReturns): void {
    const S = this.blocks;
    if (row.n.length !== S) throw new RangeError(`block returns have ${row.n.length} blocks, the matrix ${S}`);
    if ((this.operations + 1) * S > this.n.length) this.grow();
    const base = this.operations * S;
    for (let b = 0; b < S; b++) {
      this.n[base + b] = row.n[b]!;
      this.sum[base + b] = row.sum[b]!;
      this.sumSq[base + b] = row.sum_sq[b]!;
    }
    this.operations++;
  }

  private grow(): void {
    const next = (a: Float64Array): Float64Array => {
      const out = new Float64Array(a.length * 2);
      out.set(a);
      return out;
    };
    this.n = next(this.n);
    this.sum = next(this.sum);
    this.sumSq = next(this.sumSq);
  }
}

export interface PboOptions {
  /**
   * Most operation × combination evaluations to spend; above it a seeded sample of the combinations
   * is evaluated instead of all (never fewer than MIN_SAMPLED). Default DEFAULT_BUDGET.
   */
  budget?: number;
  seed?: number;
}

/** About 3 s of work on one core (bench/stats.ts): every combination up to N ≈ 15,000 at S = 16. */
export const DEFAULT_BUDGET = 2e8;
export const MIN_SAMPLED = 100;
export const DEFAULT_SEED = 12;
const HISTOGRAM_BINS = 20;

/** Combinations of the 16-block default are C(16, 8) = 12,870; 24 blocks (2.7 M) is the most the schema allows. */
export function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

export function cscv(matrix: BlockMatrix, options: PboOptions = {}): Pbo | { reason: string } {
  const S = matrix.blocks;
  const N = matrix.operations;
  if (S < 2 || S % 2 !== 0) return { reason: `CSCV needs an even number of blocks, got ${S}` };
  if (N < 2) return { reason: `${N} operation(s) with block returns; PBO compares at least 2` };
  const half = S / 2;
  const masks = combinationMasks(S, half);
  const budget = options.budget ?? DEFAULT_BUDGET;
  const seed = options.seed ?? DEFAULT_SEED;
  const wanted = Math.max(MIN_SAMPLED, Math.floor(budget / N));
  const sampled = wanted < masks.length;
  const chosen = sampled ? sampleIndices(masks.length, wanted, seed) : null;
  const count = chosen ? chosen.length : masks.length;

  // Whole-series totals per operation: OOS = total − IS.
  const totN = new Float64Array(N);
  const totS = new Float64Array(N);
  const totQ = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    for (let b = 0; b < S; b++) {
      totN[i]! += matrix.n[i * S + b]!;
      totS[i]! += matrix.sum[i * S + b]!;
      totQ[i]! += matrix.sumSq[i * S + b]!;
    }
  }

  const oos = new Float64Array(N);
  const isBlocks = new Int32Array(half);
  const logits = new Float64Array(count);
  const winnerIs = new Float64Array(count);
  const winnerOos = new Float64Array(count);
  for (let c = 0; c < count; c++) {
    const mask = masks[chosen ? chosen[c]! : c]!;
    for (let b = 0, k = 0; b < S; b++) if (mask & (1 << b)) isBlocks[k++] = b;
    let best = -1;
    let bestIs = -Infinity;
    for (let i = 0; i < N; i++) {
      const base = i * S;
      let n = 0;
      let s = 0;
      let q = 0;
      for (let k = 0; k < half; k++) {
        const at = base + isBlocks[k]!;
        n += matrix.n[at]!;
        s += matrix.sum[at]!;
        q += matrix.sumSq[at]!;
      }
      const is = rankingSharpe(n, s, q);
      // Ties go to the lower operation (stable, like the sweep's own ranking).
      if (is > bestIs) {
        bestIs = is;
        best = i;
      }
      oos[i] = rankingSharpe(totN[i]! - n, totS[i]! - s, totQ[i]! - q);
    }
    const w = oos[best]!;
    let below = 0;
    let equal = 0;
    for (let i = 0; i < N; i++) {
      const v = oos[i]!;
      if (v < w) below++;
      else if (v === w) equal++;
    }
    // Mid-rank among ties (1 = worst, N = best), relative rank ω̄ = rank / (N + 1) ∈ (0, 1).
    const omega = (below + (equal + 1) / 2) / (N + 1);
    logits[c] = Math.log(omega / (1 - omega));
    winnerIs[c] = bestIs;
    winnerOos[c] = w;
  }

  let overfit = 0;
  let losses = 0;
  let logitSum = 0;
  for (let c = 0; c < count; c++) {
    if (logits[c]! <= 0) overfit++;
    if (winnerOos[c]! < 0) losses++;
    logitSum += logits[c]!;
  }
  const fit = ols(winnerIs, winnerOos);
  return {
    operations: N,
    blocks: S,
    combinations: masks.length,
    evaluated: count,
    sampled,
    seed: sampled ? seed : null,
    pbo: overfit / count,
    logit_mean: logitSum / count,
    logit_histogram: histogram(logits, HISTOGRAM_BINS),
    degradation: { ...fit, probability_of_loss: losses / count, is_sharpe_mean: mean(winnerIs), oos_sharpe_mean: mean(winnerOos) },
  };
}

/**
 * Sharpe ratio used to rank within a combination: mean / sd (divisor n − 1) of the returns in the
 * chosen blocks; a set without variance (a flat curve, or fewer than 2 returns) ranks as 0, since it
 * earned nothing for no risk.
 */
function rankingSharpe(n: number, s: number, q: number): number {
  if (n < 2) return 0;
  const m = s / n;
  const variance = (q - s * m) / (n - 1);
  return variance > 0 ? m / Math.sqrt(variance) : 0;
}

/** Every S-bit mask with k bits set, in increasing order (Gosper's hack). */
export function combinationMasks(S: number, k: number): Int32Array {
  const out = new Int32Array(binomial(S, k));
  let mask = (1 << k) - 1;
  for (let i = 0; i < out.length; i++) {
    out[i] = mask;
    const low = mask & -mask;
    const ripple = mask + low;
    mask = (((ripple ^ mask) >>> 2) / low) | ripple;
  }
  return out;
}

/** k distinct indices of [0, total), seeded (Floyd's algorithm), in increasing order. */
function sampleIndices(total: number, k: number, seed: number): Int32Array {
  const random = mulberry32(seed);
  const picked = new Set<number>();
  for (let j = total - k; j < total; j++) {
    const t = Math.floor(random() * (j + 1));
    picked.add(picked.has(t) ? j : t);
  }
  return Int32Array.from([...picked].sort((a, b) => a - b));
}

function histogram(values: Float64Array, bins: number): Pbo['logit_histogram'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === hi) return [{ from: lo, to: hi, count: values.length }];
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  return counts.map((count, b) => ({ from: lo + b * width, to: b === bins - 1 ? hi : lo + (b + 1) * width, count }));
}

function mean(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

/** Least squares y = intercept + slope·x; slope, intercept and R² null when x does not vary. */
function ols(x: Float64Array, y: Float64Array): { slope: number | null; intercept: number | null; r2: number | null } {
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
    syy += (y[i]! - my) ** 2;
  }
  if (!(sxx > 0)) return { slope: null, intercept: null, r2: null };
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : null };
}
