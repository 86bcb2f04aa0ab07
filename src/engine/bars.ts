/**
 * Price bars in columns: one typed array per field, all of `length` entries, sorted by time.
 * Columns keep a long series compact, fast to scan, and cheap to hand to a worker thread.
 */
/**
 * The most bars one data source may give an operation. One run over 5,000,000 bars peaks at about
 * 1.1 GB resident (bars, indicator cache, equity and drawdown curves, the encoded result), and a
 * worker runs one such run per slot at once: a 2-core, 24 GB machine with every slot busy stays
 * near 3 GB, and even 16 slots fit. The schema's earlier 50,000,000 grew a process to 12 GB.
 * docs/formats.md.
 */
export const MAX_BARS = 5_000_000;

export interface BarSeries {
  /** Bar open time, epoch milliseconds, UTC. */
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly length: number;
}

export function allocateBars(length: number): BarSeries {
  return {
    time: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
    length,
  };
}

/** Bars `from` (inclusive) to `to` (exclusive) as views on the same memory. */
export function sliceBars(bars: BarSeries, from: number, to: number): BarSeries {
  return {
    time: bars.time.subarray(from, to),
    open: bars.open.subarray(from, to),
    high: bars.high.subarray(from, to),
    low: bars.low.subarray(from, to),
    close: bars.close.subarray(from, to),
    volume: bars.volume.subarray(from, to),
    length: Math.max(0, to - from),
  };
}

/** Index of the first time ≥ t (binary search; times are strictly increasing); `times.length` when none. */
export function firstAtOrAfter(times: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
