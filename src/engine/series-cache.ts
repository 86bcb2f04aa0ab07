import type { BarSeries } from './bars.js';

/**
 * Derived series (indicators, signal events, filter masks) cached per bar series, so a grid of 1,000 runs over the
 * same bars computes SMA(10) once. Keyed by the close column, which identifies the series (a slice
 * is a new view and gets its own entries); the WeakMap lets the cache go with the bars.
 *
 * Each series keeps at most BUDGET_BYTES of derived arrays, least recently used evicted first: a
 * grid over 200 SMA periods of a 5 M-bar series would otherwise hold 8 GB. Cached arrays are
 * shared between runs: callers must never write into them.
 */
const BUDGET_BYTES = 256 * 1024 * 1024;

interface Entries {
  series: Map<string, ArrayBufferView>;
  bytes: number;
}

const cache = new WeakMap<Float64Array, Entries>();

/** The series under `key` (e.g. "sma:10") for `bars`, computed on first use. */
export function cachedSeries<T extends ArrayBufferView>(bars: BarSeries, key: string, compute: () => T): T {
  let entries = cache.get(bars.close);
  if (!entries) {
    entries = { series: new Map(), bytes: 0 };
    cache.set(bars.close, entries);
  }
  const hit = entries.series.get(key);
  if (hit !== undefined) {
    // Re-inserting moves the key to the end of the Map's order: the most recently used.
    entries.series.delete(key);
    entries.series.set(key, hit);
    return hit as T;
  }
  const series = compute();
  entries.series.set(key, series);
  entries.bytes += series.byteLength;
  for (const [oldKey, old] of entries.series) {
    if (entries.bytes <= BUDGET_BYTES || oldKey === key) break;
    entries.series.delete(oldKey);
    entries.bytes -= old.byteLength;
  }
  return series;
}
