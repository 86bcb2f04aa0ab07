import type { Curve } from '../engine/result.js';

/*
 * Curves for one chart: every series on one time axis, thinned to at most `points` samples taken
 * at the same indices for all series, so a vertical line on the chart compares like with like.
 *
 * Operations of a sweep share their bars, so the axes are normally identical. When they are not
 * (different data windows), the axis is the union of all timestamps; a series holds its last
 * value across timestamps it lacks (equity is marked to market, nothing happened) and is null
 * before its first one.
 */

export interface CurveSet<K> {
  key: K;
  equity: Curve;
  drawdown: Curve;
}

export interface AlignedCurves<K> {
  t: number[];
  series: Array<{ key: K; equity: Array<number | null>; drawdown: Array<number | null> }>;
}

export function alignCurves<K>(sets: Array<CurveSet<K>>, points: number): AlignedCurves<K> {
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`points must be an integer ≥ 2, got ${points}`);
  const axis = unionAxis(sets.flatMap((s) => [s.equity.t, s.drawdown.t]));
  const picks = sampleIndices(axis.length, points);
  return {
    t: picks.map((i) => axis[i]!),
    series: sets.map((s) => ({
      key: s.key,
      equity: pick(onAxis(s.equity, axis), picks),
      drawdown: pick(onAxis(s.drawdown, axis), picks),
    })),
  };
}

/**
 * `count` indices of 0..length-1, evenly spread, always including the first and the last
 * (all of them when there are no more than `count`).
 */
export function sampleIndices(length: number, count: number): number[] {
  if (length <= count) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: count }, (_, k) => Math.round((k * (length - 1)) / (count - 1)));
}

function unionAxis(axes: number[][]): number[] {
  const first = axes[0] ?? [];
  if (axes.every((a) => a === first || sameAxis(a, first))) return first;
  return [...new Set(axes.flat())].sort((a, b) => a - b);
}

function sameAxis(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function onAxis(curve: Curve, axis: number[]): Array<number | null> {
  if (sameAxis(curve.t, axis)) return curve.v;
  const out: Array<number | null> = new Array(axis.length);
  let j = 0;
  let last: number | null = null;
  for (let i = 0; i < axis.length; i++) {
    while (j < curve.t.length && curve.t[j]! <= axis[i]!) last = curve.v[j++]!;
    out[i] = last;
  }
  return out;
}

function pick<T>(values: T[], indices: number[]): T[] {
  return indices.map((i) => values[i]!);
}
