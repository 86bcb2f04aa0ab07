import { comboAt, gridNeighbours, type Grid } from '../config/grid.js';
import type { NeighbourhoodRow } from './schemas.js';

/*
 * Neighbourhood stability: the primary metric of a row's grid neighbours (one value up and one down
 * each parameter axis). A row whose neighbours do about as well sits on a plateau; one whose
 * neighbours collapse is a lone spike, the kind of optimum that does not survive new data.
 * docs/metrics.md, "Neighbourhood stability".
 */

/**
 * `valueAt(idx)`: the neighbour's primary metric; null when it ran without a rankable value (metric
 * undefined, too few trades, failed); undefined when it was not run (outside `where`, or not yet).
 */
export function neighbourhood(grid: Grid, rows: Array<{ idx: number; value: number }>, valueAt: (idx: number) => number | null | undefined): NeighbourhoodRow[] {
  return rows.map((row) => {
    const neighbours: NeighbourhoodRow['neighbours'] = [];
    for (const n of gridNeighbours(grid, row.idx)) {
      const value = valueAt(n.idx);
      if (value !== undefined) neighbours.push({ ...n, value });
    }
    const values = neighbours.map((n) => n.value).filter((v): v is number => v !== null);
    const mean = values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
    return {
      idx: row.idx,
      params: comboAt(grid, row.idx),
      value: row.value,
      neighbours,
      mean,
      min: values.length ? Math.min(...values) : null,
      max: values.length ? Math.max(...values) : null,
      retained: mean !== null && row.value > 0 ? mean / row.value : null,
    };
  });
}
