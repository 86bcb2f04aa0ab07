import { stringify } from 'csv-stringify/sync';
import { METRIC_NAMES } from '../engine/result.js';
import type { ResultRow } from '../store/types.js';

/*
 * The one CSV writer below both front ends: the CLI's `results --format csv` and the API's
 * `results?format=csv` write through it, so a cell is escaped the same way wherever a CSV comes from.
 *
 * Spreadsheets run a cell that begins with `=`, `+`, `-` or `@` (and, after a tab or CR, what follows)
 * as a formula: a variant named `=HYPERLINK("http://evil", "click")` or `+cmd|' /C calc'!A0` is
 * a link or a command once the CSV is opened. Such a text cell is neutralised by the OWASP rule: a
 * single quote in front, and the field quoted, so it shows as the text it is. The fullwidth forms
 * (＝ ＋ － ＠) count too, as some spreadsheets normalise them.
 * @see https://owasp.org/www-community/attacks/CSV_Injection
 *
 * Numbers stay as they are: a JavaScript number is written as its digits (`-1.5`, `-0.25`), and so is
 * text that is exactly a decimal number (`-1.5`, `+2`, `1e-3`): a spreadsheet reads either as that
 * number, and no formula can hide in the digits. Anything more (`-1+cmd|…`, `-2.5 `) is text and
 * neutralised.
 */

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A text cell as it is written: neutralised when a spreadsheet would take it for a formula. */
function textCell(value: string): string | { value: string; quoted: true } {
  return FORMULA_START.test(value) && !DECIMAL.test(value) ? { value: `'${value}`, quoted: true } : value;
}

/** CSV text (RFC 4180, header first, `\n` line ends) of rows under `columns`; null and undefined cells are empty. */
export function csvText(columns: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  return stringify(rows, { header: true, columns, cast: { string: textCell } });
}

/** A sweep's results as CSV: index, hash, one column per parameter, status, error and every metric. */
export function resultsCsv(rows: ResultRow[], paramNames: string[]): string {
  return csvText(
    ['idx', 'hash', ...paramNames, 'status', 'error', ...METRIC_NAMES],
    rows.map((r) => [r.idx, r.hash, ...paramNames.map((p) => r.params[p] ?? ''), r.status, r.error ?? '', ...METRIC_NAMES.map((m) => r.metrics?.[m] ?? '')]),
  );
}
