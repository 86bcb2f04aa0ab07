import { compileWhere } from '../config/expression.js';
import { comboAt } from '../config/grid.js';
import type { SweepSpec } from '../config/sweep.js';

/** A scan describes at most this many ranges; it stops early rather than answer with a huge list. */
export const MAX_SKIP_RANGES = 1_000;

/**
 * The ranges [a, b) of [from, to) in which every admissible index is in `done`, each starting at a
 * done index; indices the sweep's `where` excludes never break a range (they are never stored). The
 * scan stops at the admissible index that would open range MAX_SKIP_RANGES + 1 and returns it as `to`.
 */
export function storedRanges(spec: SweepSpec, done: Set<number>, from: number, to: number): { skip: Array<[number, number]>; to: number } {
  let admissible = (_idx: number) => true;
  if (spec.kind === 'optimization' && spec.where) {
    const { grid } = spec;
    const where = compileWhere(spec.where, grid, spec.file, 'optimization_config.constraints.where');
    admissible = (idx) => where(comboAt(grid, idx));
  }
  const skip: Array<[number, number]> = [];
  let start = -1;
  for (let idx = from; idx < to; idx++) {
    if (done.has(idx)) {
      if (start < 0) {
        if (skip.length === MAX_SKIP_RANGES) return { skip, to: idx };
        start = idx;
      }
    } else if (start >= 0 && admissible(idx)) {
      skip.push([start, idx]);
      start = -1;
    }
  }
  if (start >= 0) skip.push([start, to]);
  return { skip, to };
}
