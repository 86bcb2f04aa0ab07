import type { BarSeries } from './bars.js';

/*
 * Per-series memos of bar times in the shapes a result needs. A grid runs the same bars thousands
 * of times; formatting a timestamp costs more than simulating a bar, so each is made once.
 */
const isoTimes = new WeakMap<Float64Array, string[]>();
const timeLists = new WeakMap<Float64Array, readonly number[]>();

/** ISO 8601 UTC time of bar i, formatted on first use. */
export function isoTime(bars: BarSeries, i: number): string {
  let memo = isoTimes.get(bars.time);
  if (!memo) {
    memo = new Array<string>(bars.length);
    isoTimes.set(bars.time, memo);
  }
  return (memo[i] ??= new Date(bars.time[i]).toISOString());
}

/** Bar times as a plain array for result curves; frozen, because every result of the series shares it. */
export function timeList(bars: BarSeries): number[] {
  let list = timeLists.get(bars.time);
  if (!list) {
    const out = new Array<number>(bars.length);
    for (let i = 0; i < bars.length; i++) out[i] = bars.time[i];
    list = Object.freeze(out);
    timeLists.set(bars.time, list);
  }
  return list as number[];
}
