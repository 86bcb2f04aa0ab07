import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import { RequestError } from '../config/errors.js';
import { METRIC_NAMES, type MetricName } from '../engine/result.js';
import { paramNumber, paramText } from './param-sql.js';
import type { ResultFilter, ResultsQuery, Store } from './types.js';

type Dialect = Store['dialect'];

/*
 * Turns a ResultsQuery into checked parts for SQL. Field names resolve in this order: `idx`,
 * `status`, a metric, a parameter label of the sweep; anything else is the user's mistake
 * (ConfigError for file "query"). Values always travel as bind parameters; only the checked
 * comparison operator and column names enter the SQL text.
 */

export type SortKey =
  | { kind: 'idx' | 'status'; order: 'asc' | 'desc' }
  | { kind: 'metric'; metric: MetricName; order: 'asc' | 'desc' }
  | { kind: 'param'; label: string; order: 'asc' | 'desc' };

export interface Page {
  offset: number;
  /** null: every row from offset on. */
  limit: number | null;
}

const COMPARISONS = new Set<ResultFilter['op']>(['=', '!=', '<', '<=', '>', '>=']);

function isMetric(field: string): field is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(field);
}

function allowedFields(paramNames: readonly string[]): string {
  return ['idx', 'status', ...paramNames, ...METRIC_NAMES].map((f) => `"${f}"`).join(', ');
}

/**
 * The sort, defaulting to `idx`. Without an order, metrics sort best first (descending: every metric
 * is larger-is-better, max_drawdown being a negative fraction), everything else ascending.
 */
export function resolveSort(query: ResultsQuery, paramNames: readonly string[]): SortKey {
  const field = query.sort ?? 'idx';
  if (query.order !== undefined && query.order !== 'asc' && query.order !== 'desc') {
    throw new RequestError('query', 'order', `must be "asc" or "desc", got "${String(query.order)}"`);
  }
  if (field === 'idx' || field === 'status') return { kind: field, order: query.order ?? 'asc' };
  if (isMetric(field)) return { kind: 'metric', metric: field, order: query.order ?? 'desc' };
  if (paramNames.includes(field)) return { kind: 'param', label: field, order: query.order ?? 'asc' };
  throw new RequestError('query', 'sort', `unknown field "${field}"; sort by one of ${allowedFields(paramNames)}`);
}

export function resolvePage(query: ResultsQuery): Page {
  for (const key of ['limit', 'offset'] as const) {
    const value = query[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new RequestError('query', key, `must be a whole number ≥ 0, got "${String(value)}"`);
    }
  }
  return { offset: query.offset ?? 0, limit: query.limit ?? null };
}

/** A number when `value` is one or spells one (`"1.5"`, `"-2e3"`), else null. */
function asNumber(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : null;
}

/** A bound number typed as a float, so PostgreSQL never infers `integer` from `idx` and rejects 1.5. */
function asDouble(value: number): RawBuilder<number> {
  return sql<number>`CAST(${value} AS double precision)`;
}

/**
 * One SQL condition per filter. Metrics and `idx` compare as numbers (a metric that is NULL never
 * matches). A parameter compares as a number when the value is numeric (rows whose parameter is
 * text then never match), else as text; `status` compares as text.
 */
export function resolveFilters(filters: readonly ResultFilter[], paramNames: readonly string[], dialect: Dialect): Array<Expression<SqlBool>> {
  return filters.map((filter) => {
    const shown = `"${filter.field}${filter.op}${filter.value}"`;
    if (!COMPARISONS.has(filter.op)) {
      throw new RequestError('query', 'filter', `${shown}: unknown comparison "${String(filter.op)}"; use one of ${[...COMPARISONS].map((c) => `"${c}"`).join(', ')}`);
    }
    const op = sql.raw(filter.op === '!=' ? '<>' : filter.op);
    const number = asNumber(filter.value);
    if (filter.field === 'idx' || isMetric(filter.field)) {
      if (number === null) throw new RequestError('query', 'filter', `${shown}: "${filter.field}" compares numbers; "${filter.value}" is not a number`);
      return sql<SqlBool>`${sql.ref(filter.field)} ${op} ${asDouble(number)}`;
    }
    if (filter.field === 'status') return sql<SqlBool>`status ${op} ${String(filter.value)}`;
    if (paramNames.includes(filter.field)) {
      const left: RawBuilder<unknown> = number === null ? paramText(dialect, filter.field) : paramNumber(dialect, filter.field);
      return sql<SqlBool>`${left} ${op} ${number === null ? String(filter.value) : asDouble(number)}`;
    }
    throw new RequestError('query', 'filter', `${shown}: unknown field "${filter.field}"; filter on one of ${allowedFields(paramNames)}`);
  });
}
