import { sql, type RawBuilder } from 'kysely';
import type { Store } from './types.js';

type Dialect = Store['dialect'];

/*
 * SQL expressions over one parameter of `operations.params` (JSON text, values are numbers,
 * strings or booleans). Sorting and filtering use two keys: the value as a number (NULL unless it
 * is a JSON number) and as text (NULL unless it is a string or boolean; booleans read "true" and
 * "false"). Ordering by the number key, then the text key, both NULLS LAST, puts numbers in
 * numeric order before strings, and rows without the parameter last, in both dialects alike.
 * Text compares bytewise (SQLite BINARY, PostgreSQL COLLATE "C") so both dialects agree.
 */

/** SQLite JSON path of a top-level key; quoted because labels contain dots (`sma_cross.fast`). */
function jsonPath(label: string): string {
  return `$."${label}"`;
}

export function paramNumber(dialect: Dialect, label: string): RawBuilder<number | null> {
  return dialect === 'postgres'
    ? sql`(CASE WHEN jsonb_typeof(params::jsonb -> ${label}) = 'number' THEN (params::jsonb ->> ${label})::double precision END)`
    : sql`(CASE WHEN json_type(params, ${jsonPath(label)}) IN ('integer', 'real') THEN json_extract(params, ${jsonPath(label)}) END)`;
}

export function paramText(dialect: Dialect, label: string): RawBuilder<string | null> {
  return dialect === 'postgres'
    ? sql`(CASE WHEN jsonb_typeof(params::jsonb -> ${label}) IN ('string', 'boolean') THEN (params::jsonb ->> ${label}) END) COLLATE "C"`
    : sql`(CASE json_type(params, ${jsonPath(label)}) WHEN 'text' THEN json_extract(params, ${jsonPath(label)}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END)`;
}

/** The value as JSON text (`10`, `"long"`, `true`), NULL when absent: a grouping key that keeps its type. */
export function paramJson(dialect: Dialect, label: string): RawBuilder<string | null> {
  return dialect === 'postgres' ? sql`((params::jsonb -> ${label})::text)` : sql`(params -> ${jsonPath(label)})`;
}
