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

/** The key to look up: PostgreSQL takes the label, SQLite a JSON path; an SQL label (a subquery) is turned into one. */
function key(dialect: Dialect, label: string | RawBuilder<string | null>): RawBuilder<string | null> | string {
  if (typeof label === 'string') return dialect === 'postgres' ? label : jsonPath(label);
  return dialect === 'postgres' ? label : sql<string | null>`('$."' || ${label} || '"')`;
}

export function paramNumber(dialect: Dialect, label: string | RawBuilder<string | null>): RawBuilder<number | null> {
  const k = key(dialect, label);
  return dialect === 'postgres'
    ? sql`(CASE WHEN jsonb_typeof(params::jsonb -> ${k}) = 'number' THEN (params::jsonb ->> ${k})::double precision END)`
    : sql`(CASE WHEN json_type(params, ${k}) IN ('integer', 'real') THEN json_extract(params, ${k}) END)`;
}

export function paramText(dialect: Dialect, label: string | RawBuilder<string | null>): RawBuilder<string | null> {
  const k = key(dialect, label);
  return dialect === 'postgres'
    ? sql`(CASE WHEN jsonb_typeof(params::jsonb -> ${k}) IN ('string', 'boolean') THEN (params::jsonb ->> ${k}) END) COLLATE "C"`
    : sql`(CASE json_type(params, ${k}) WHEN 'text' THEN json_extract(params, ${k}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END)`;
}

/** The same two keys computed in JS when a row is written into its axis columns (src/store/migrations.ts, migration 6). */
export function paramKeys(value: unknown): { num: number | null; text: string | null } {
  if (typeof value === 'number') return { num: value, text: null };
  if (typeof value === 'string') return { num: null, text: value };
  if (typeof value === 'boolean') return { num: null, text: String(value) };
  return { num: null, text: null };
}

/** The value as JSON text (`10`, `"long"`, `true`), NULL when absent: a grouping key that keeps its type. */
export function paramJson(dialect: Dialect, label: string): RawBuilder<string | null> {
  return dialect === 'postgres' ? sql`((params::jsonb -> ${label})::text)` : sql`(params -> ${jsonPath(label)})`;
}
