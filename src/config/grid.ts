import type { z } from 'zod';
import type { ParameterAxisGroup, Phase, Range } from './schemas.js';
import type { GridAxisSchema, GridSchema } from './stored-spec.js';
import type { AxisValue, Combo } from '../core/types.js';

/*
 * The parameter grid of an optimization: one axis per swept parameter, combinations numbered in
 * mixed radix with the last axis varying fastest (like nested for-loops written in file order).
 * Pure: workflow code expands combinations from the index alone, so nothing here may touch Node.
 */

export type { AxisValue, Combo } from '../core/types.js';

/** An axis of the grid and the grid itself; their schemas are in src/config/stored-spec.ts. */
export type GridAxis = z.infer<typeof GridAxisSchema>;
export type Grid = z.infer<typeof GridSchema>;

/**
 * Number of values a range yields, without building them (so a too-large grid can be refused first).
 * n = floor((end − start)/step + 1e-9) + 1: the 1e-9 absorbs float error, so 0..1 by 0.1 has 11
 * values although (1 − 0)/0.1 is 9.999999999999998 in binary floating point.
 */
export function rangeLength(range: Range): number {
  if ('values' in range) return range.values.length;
  return Math.floor((range.end - range.start) / range.step + 1e-9) + 1;
}

/**
 * The values of a range. `start + i*step`, each rounded to the larger number of decimals of start and
 * step, so 0.1 steps never drift (0.1 + 0.2 gives 0.3, not 0.30000000000000004). end is included
 * when a step lands on it (within the rounding) and never exceeded.
 */
export function rangeValues(range: Range): AxisValue[] {
  if ('values' in range) return [...range.values];
  const digits = Math.max(decimals(range.start), decimals(range.step));
  const n = rangeLength(range);
  const values: number[] = new Array(n);
  for (let i = 0; i < n; i++) values[i] = round(range.start + i * range.step, digits);
  return values;
}

export function buildGrid(space: ParameterAxisGroup[]): Grid {
  const raw = space.flatMap((group) =>
    Object.entries(group.parameters).map(([param, range]) => ({
      category: group.worker_category,
      // The schema has checked that worker_phase is a phase of worker_category.
      phase: group.worker_phase as Phase,
      plugin: group.worker_plugin,
      param,
      values: rangeValues(range),
    })),
  );
  const count = (key: (a: (typeof raw)[number]) => string, axis: (typeof raw)[number]) => raw.filter((b) => key(b) === key(axis)).length;
  const axes = raw.map((axis) => {
    // The bare name reads best in `where` and in the table; qualify only what would be ambiguous.
    let label = axis.param;
    if (count((a) => a.param, axis) > 1) label = `${axis.plugin}.${axis.param}`;
    if (count((a) => `${a.plugin}.${a.param}`, axis) > 1) label = `${axis.phase}.${axis.plugin}.${axis.param}`;
    return { label, ...axis };
  });
  return { axes, size: axes.reduce((product, axis) => product * axis.values.length, 1) };
}

/** The combination at `index` (0-based), keyed by axis label. */
export function comboAt(grid: Grid, index: number): Combo {
  if (!Number.isInteger(index) || index < 0 || index >= grid.size) {
    throw new RangeError(`combination index ${index} is outside [0, ${grid.size})`);
  }
  // Keys are set in axis order, so tables and materialized names list parameters as the file does.
  const picks = gridPicks(grid, index);
  const combo: Combo = {};
  grid.axes.forEach((axis, a) => (combo[axis.label] = axis.values[picks[a]]));
  return combo;
}

/**
 * Combinations at increasing indices through one object updated digit by digit: a walk in index
 * order then costs about one axis update per step instead of a division per axis and a new object
 * (what lets a workflow test millions of combinations against `where` in short tasks). The object
 * returned is the same at every call; copy it to keep it.
 */
export function comboWalker(grid: Grid): (index: number) => Combo {
  let picks: number[] = [];
  let combo: Combo = {};
  let at = -2;
  return (index) => {
    if (index !== at + 1) {
      combo = comboAt(grid, index);
      picks = gridPicks(grid, index);
    } else {
      // Add one in mixed radix, the last axis fastest.
      for (let a = grid.axes.length - 1; a >= 0; a--) {
        const axis = grid.axes[a];
        picks[a] = picks[a] + 1 === axis.values.length ? 0 : picks[a] + 1;
        combo[axis.label] = axis.values[picks[a]];
        if (picks[a] !== 0) break;
      }
    }
    at = index;
    return combo;
  };
}

/** The position on each axis (value index) of the combination at `index`; digits are peeled off from the last axis (fastest). */
export function gridPicks(grid: Grid, index: number): number[] {
  const picks: number[] = new Array(grid.axes.length);
  let rest = index;
  for (let a = grid.axes.length - 1; a >= 0; a--) {
    const length = grid.axes[a].values.length;
    picks[a] = rest % length;
    rest = Math.floor(rest / length);
  }
  return picks;
}

/** The inverse of gridPicks: the combination index of one value index per axis. */
export function gridIndex(grid: Grid, picks: number[]): number {
  return grid.axes.reduce((index, axis, a) => index * axis.values.length + picks[a]!, 0);
}

/** The combinations one value up and one down each axis from `index` (those inside the grid), axis by axis. */
export function gridNeighbours(grid: Grid, index: number): Array<{ idx: number; axis: string; step: -1 | 1 }> {
  const picks = gridPicks(grid, index);
  return grid.axes.flatMap((axis, a) =>
    ([-1, 1] as const)
      .filter((step) => picks[a]! + step >= 0 && picks[a]! + step < axis.values.length)
      .map((step) => ({ idx: gridIndex(grid, picks.map((p, j) => (j === a ? p + step : p))), axis: axis.label, step })),
  );
}

/** Decimal places of a number as written, e.g. 0.25 → 2, 1e-7 → 7, 5 → 0. */
function decimals(x: number): number {
  const [mantissa, exponent] = String(x).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

function round(x: number, digits: number): number {
  return digits > 100 ? x : Number(x.toFixed(digits));
}

/** Ascending indices as runs [a, b) of consecutive ones: how a pack hands unfinished indices back compactly. */
export function indexRuns(indices: number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const idx of indices) {
    const last = runs[runs.length - 1];
    if (last && last[1] === idx) last[1]++;
    else runs.push([idx, idx + 1]);
  }
  return runs;
}
