import type { BlockReturns } from '../engine/block-returns.js';
import { mulberry32 } from '../core/random.js';
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

/** About 10 s of one core (bench/stats.ts): every combination up to N ≈ 7,770 at S = 16, 1,000 of them at 100,000. */
export const DEFAULT_BUDGET = 1e8;
export const MIN_SAMPLED = 100;
export const DEFAULT_SEED = 12;
const HISTOGRAM_BINS = 20;

/** Combinations of the 16-block default are C(16, 8) = 12,870; 24 blocks (2.7 M) is the most the schema allows. */
export function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** PBO of the matrix in one go; see Cscv for the same work in slices. */
export function cscv(matrix: BlockMatrix, options: PboOptions = {}): Pbo | { reason: string } {
  const run = new Cscv(matrix, options);
  run.step(Infinity);
  return run.result();
}

/**
 * CSCV evaluated a slice of combinations at a time (`step`), so a caller on an event loop (the
 * statistics activity) can heartbeat between slices; the result does not depend on the slicing.
 */
export class Cscv {
  readonly combinations: number;
  /** Combinations that will be evaluated: all, or the seeded sample. */
  readonly count: number;
  readonly sampled: boolean;
  readonly #matrix: BlockMatrix;
  readonly #seed: number;
  readonly #reason: string | null;
  readonly #half: number;
  readonly #isBlocks: Int32Array;
  readonly #totals: { n: Float64Array; sum: Float64Array; sumSq: Float64Array };
  readonly #oos: Float64Array;
  readonly #sameCounts: boolean;
  readonly #logits: Float64Array;
  readonly #winnerIs: Float64Array;
  readonly #winnerOos: Float64Array;
  #done = 0;

  constructor(matrix: BlockMatrix, options: PboOptions = {}) {
    const S = matrix.blocks;
    const N = matrix.operations;
    this.#matrix = matrix;
    this.#seed = options.seed ?? DEFAULT_SEED;
    this.#reason =
      S < 2 || S % 2 !== 0 ? `CSCV needs an even number of blocks, got ${S}` : N < 2 ? `${N} operation(s) with block returns; PBO compares at least 2` : null;
    this.#half = S / 2;
    const masks = this.#reason ? new Int32Array(0) : combinationMasks(S, this.#half);
    this.combinations = masks.length;
    const wanted = Math.max(MIN_SAMPLED, Math.floor((options.budget ?? DEFAULT_BUDGET) / Math.max(1, N)));
    this.sampled = wanted < masks.length;
    const chosen = this.sampled ? sampleIndices(masks.length, wanted, this.#seed) : Int32Array.from(masks, (_, c) => c);
    this.count = chosen.length;
    this.#isBlocks = new Int32Array(this.count * this.#half);
    chosen.forEach((m, c) => {
      for (let b = 0, k = 0; b < S; b++) if (masks[m]! & (1 << b)) this.#isBlocks[c * this.#half + k++] = b;
    });
    // Whole-series totals per operation: OOS = total − IS.
    this.#totals = { n: new Float64Array(N), sum: new Float64Array(N), sumSq: new Float64Array(N) };
    for (let i = 0; i < N; i++) {
      for (let b = 0; b < S; b++) {
        this.#totals.n[i]! += matrix.n[i * S + b]!;
        this.#totals.sum[i]! += matrix.sum[i * S + b]!;
        this.#totals.sumSq[i]! += matrix.sumSq[i * S + b]!;
      }
    }
    this.#sameCounts = true;
    for (let i = 1; i < N && this.#sameCounts; i++) for (let b = 0; b < S; b++) if (matrix.n[i * S + b] !== matrix.n[b]) this.#sameCounts = false;
    this.#oos = new Float64Array(N);
    this.#logits = new Float64Array(this.count);
    this.#winnerIs = new Float64Array(this.count);
    this.#winnerOos = new Float64Array(this.count);
  }

  get evaluated(): number {
    return this.#done;
  }

  /** Evaluates up to `limit` more combinations; true when none is left. */
  step(limit: number): boolean {
    if (this.#reason) return true;
    const end = Math.min(this.count, this.#done + limit);
    for (; this.#done < end; this.#done++) this.#evaluate(this.#done);
    return this.#done === this.count;
  }

  /**
   * One combination: the IS winner (argmax of the IS Sharpe ratio), then its OOS rank among all N.
   * O(N · S/2); this loop is where the time goes (bench/stats.ts).
   */
  #evaluate(c: number): void {
    const m = this.#matrix;
    const S = m.blocks;
    const N = m.operations;
    const half = this.#half;
    const blocks = this.#isBlocks;
    const at0 = c * half;
    // The arrays in locals: V8 does not hoist loads of mutable fields out of the loop.
    const [bn, bs, bq] = [m.n, m.sum, m.sumSq];
    const [tn, ts, tq] = [this.#totals.n, this.#totals.sum, this.#totals.sumSq];
    const oos = this.#oos;
    // Operations of one sweep share their bars, so usually every one has the same n per block.
    let commonN = -1;
    if (this.#sameCounts) {
      commonN = 0;
      for (let k = 0; k < half; k++) commonN += bn[blocks[at0 + k]!]!;
    }
    let best = -1;
    let bestIs = -Infinity;
    for (let i = 0; i < N; i++) {
      const base = i * S;
      let n = 0;
      let s = 0;
      let q = 0;
      for (let k = 0; k < half; k++) {
        const at = base + blocks[at0 + k]!;
        s += bs[at]!;
        q += bq[at]!;
      }
      if (commonN >= 0) n = commonN;
      else for (let k = 0; k < half; k++) n += bn[base + blocks[at0 + k]!]!;
      const is = sharpeKey(n, s, q);
      // Strictly greater: ties go to the lower operation (stable, like the sweep's own ranking).
      if (is > bestIs) {
        bestIs = is;
        best = i;
      }
      oos[i] = sharpeKey(tn[i]! - n, ts[i]! - s, tq[i]! - q);
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
    this.#logits[c] = Math.log(omega / (1 - omega));
    this.#winnerIs[c] = sharpeOfKey(bestIs);
    this.#winnerOos[c] = sharpeOfKey(w);
  }

  result(): Pbo | { reason: string } {
    if (this.#reason) return { reason: this.#reason };
    if (this.#done < this.count) throw new Error(`CSCV has evaluated ${this.#done} of ${this.count} combinations`);
    const count = this.count;
    let overfit = 0;
    let losses = 0;
    let logitSum = 0;
    for (let c = 0; c < count; c++) {
      if (this.#logits[c]! <= 0) overfit++;
      if (this.#winnerOos[c]! < 0) losses++;
      logitSum += this.#logits[c]!;
    }
    return {
      operations: this.#matrix.operations,
      blocks: this.#matrix.blocks,
      combinations: this.combinations,
      evaluated: count,
      sampled: this.sampled,
      seed: this.sampled ? this.#seed : null,
      pbo: overfit / count,
      logit_mean: logitSum / count,
      logit_histogram: histogram(this.#logits, HISTOGRAM_BINS),
      degradation: {
        ...ols(this.#winnerIs, this.#winnerOos),
        probability_of_loss: losses / count,
        is_sharpe_mean: mean(this.#winnerIs),
        oos_sharpe_mean: mean(this.#winnerOos),
      },
    };
  }
}

/**
 * The ranking key of a set of returns: SR·|SR| with SR = mean / sd (divisor n − 1), i.e.
 * s·|s|·(n − 1) / (n·(n·q − s²)), an increasing function of the Sharpe ratio that needs no square
 * root (this runs N × combinations times). A set without variance (a flat curve, or fewer than 2
 * returns) ranks as Sharpe 0: it earned nothing for no risk.
 */
function sharpeKey(n: number, s: number, q: number): number {
  const spread = n * q - s * s;
  return n >= 2 && spread > 0 ? (s * Math.abs(s) * (n - 1)) / (n * spread) : 0;
}

function sharpeOfKey(key: number): number {
  return Math.sign(key) * Math.sqrt(Math.abs(key));
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
