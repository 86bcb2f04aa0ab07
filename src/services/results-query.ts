import { RequestError } from '../config/errors.js';
import type { ResultFilter } from '../store/types.js';
import type { StoredSpec } from '../config/stored-spec.js';

/**
 * Parses a results filter as users type it on the CLI or in a URL: conditions separated by commas,
 * each `field op value` with op one of = != < <= > >=, e.g. `sharpe_ratio>1,fast=10`.
 * Numbers stay numbers; anything else compares as text. Field names are checked by the store.
 */
const OPERATORS = ['=', '!=', '<', '<=', '>', '>='] as const;

export function parseResultFilter(text: string, file: string, field: string): ResultFilter[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([A-Za-z_][\w.]*)\s*(!=|<=|>=|=|<|>)\s*(.+)$/.exec(part);
      if (!m) throw new RequestError(file, field, `"${part}" is not a condition like "sharpe_ratio>1" or "fast=10"`);
      const raw = m[3]!.trim();
      // `fast==10` or `fast=>10` would otherwise read as `fast = "=10"` and match nothing, silently.
      const glued = /^[=<>!]+/.exec(raw);
      if (glued) {
        throw new RequestError(file, field, `"${part}": unknown operator "${m[2]}${glued[0]}"; use one of ${OPERATORS.map((o) => `"${o}"`).join(', ')}`);
      }
      const value = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
      return { field: m[1]!, op: m[2] as ResultFilter['op'], value };
    });
}

/** The results a sweep ranks (its "best" and top rows): done, with at least `min_trades` closed trades (a walk-forward has none: done). */
export function rankedFilter(spec: StoredSpec): ResultFilter[] {
  const filter: ResultFilter[] = [{ field: 'status', op: '=', value: 'done' }];
  if (spec.kind !== 'walk_forward' && spec.min_trades > 0) filter.push({ field: 'total_trades', op: '>=', value: spec.min_trades });
  return filter;
}
