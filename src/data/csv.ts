import { constants as bufferConstants } from 'node:buffer';
import { ConfigError } from '../core/errors.js';
import { allocateBars, MAX_BARS, type BarSeries } from '../engine/bars.js';
import { formatBytes, readFileLimited } from './files.js';
import { TimeReader, type TimestampUnit } from '../core/timestamp.js';

/*
 * CSV bars (examples/data/README.md). The rules, in the order a file meets them:
 *
 * - The first non-blank line is the header; blank lines are skipped; line numbers in messages count
 *   every physical line from 1. Lines end in `\n`, `\r\n` or a lone `\r` (old Mac and some
 *   spreadsheet exports), mixed as they come. A UTF-8 BOM is ignored, bytes that are not UTF-8 are
 *   rejected.
 * - Fields are separated by `,` (or `;` or a tab, when the header has no comma). Fields may be
 *   double-quoted (`""` is a quote inside one); a quoted field cannot span lines.
 * - Column names are matched case-insensitively, with `_` and spaces alike. Time comes from the first
 *   present of `timestamp`, `datetime`, `date` + `time` (two columns, joined as date and time of day),
 *   `date`, `time`. Prices from `open`, `high`, `low`, `close`; `volume` (or `vol`) is optional and 0
 *   when absent. `Adj Close` is ignored: bars are traded at the prices they show, and an adjusted close
 *   next to unadjusted open/high/low would make inconsistent bars. Other columns are ignored.
 * - Times: see ./timestamp.ts (ISO dates/datetimes in UTC unless an offset is given, or epoch
 *   numbers in the data source's `timestamp_unit` or one inferred from the first row; all written one
 *   way; years 1900 to 2200). They must increase strictly from row to row, and a timeframe allows one
 *   bar per period of its length, counted from the epoch in UTC (periodIndex): a `1d` file with two
 *   bars on one calendar day is misread (epoch units, Excel serials) or mislabelled data.
 * - Prices must be finite and > 0, high ≥ low; volume finite and ≥ 0. Open and close outside
 *   [low, high] are taken as they are (some vendors' data has them), not corrected.
 *
 * Every rejection is ConfigError(file, `line N`, reason). Hand-written rather than csv-parse: the
 * files are flat numbers, and reading them in place (no substring per field) parses a 1M-row file
 * in about 0.35 s where csv-parse took 7.7 s; ten years of daily bars take under a millisecond.
 */

const TIME_COLUMNS = ['timestamp', 'datetime'] as const;
const PRICE_COLUMNS = ['open', 'high', 'low', 'close'] as const;
type PriceColumn = (typeof PRICE_COLUMNS)[number];

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

export interface CsvOptions {
  /** The data source's timeframe (`1d`, `4h`): at most one bar per period of it. */
  timeframe?: string;
  /** The unit of epoch times; inferred from the first time when absent. */
  timestamp_unit?: TimestampUnit;
}

export interface CsvBars {
  bars: BarSeries;
  /** How the times were read, for load summaries: "ISO dates/times", "epoch seconds (inferred)". */
  times: string;
}

/** Reads a CSV file of bars; `displayName` is the file named in errors. */
export function readCsvBars(absPath: string, displayName: string, opts: CsvOptions = {}): CsvBars {
  return parseCsvBars(decodeUtf8(readFile(absPath, displayName), displayName), displayName, opts);
}

/** Parses CSV text into bars; `file` is the name used in errors. */
export function parseCsvBars(text: string, file: string, opts: CsvOptions = {}): CsvBars {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = new LineReader(body);
  if (!lines.next()) throw new ConfigError(file, 'line 1', 'the file is empty (expected a header like "timestamp,open,high,low,close,volume")');
  const headerNo = lines.lineNo;
  const headerLine = body.slice(lines.start, lines.end);
  const delimiter = detectDelimiter(headerLine);
  const header = splitQuoted(headerLine, delimiter, file, headerNo);
  const columns = mapColumns(header, file, headerNo);
  const row = new Row(header.length);
  const mayBeQuoted = body.includes('"');

  const capacity = lines.remainingLineCount();
  if (capacity > MAX_BARS) {
    throw new ConfigError(file, '', `has ${capacity.toLocaleString('en-US')} rows, more than the ${MAX_BARS.toLocaleString('en-US')} bars one data source may have (each busy slot holds them in memory); resample or split it`);
  }
  const bars = allocateBars(capacity);
  const times = new TimeReader(opts.timestamp_unit);
  const period = opts.timeframe === undefined ? null : timeframePeriod(opts.timeframe);
  let n = 0;
  let prevLineNo = 0;
  while (lines.next()) {
    const lineNo = lines.lineNo;
    if (mayBeQuoted && hasQuote(body, lines.start, lines.end)) {
      row.fill(splitQuoted(body.slice(lines.start, lines.end), delimiter, file, lineNo));
    } else {
      row.scan(body, lines.start, lines.end, delimiter.charCodeAt(0));
    }
    if (row.count !== header.length) {
      throw new ConfigError(file, `line ${lineNo}`, `has ${row.count} fields, the header (line ${headerNo}) has ${header.length}`);
    }
    let time: number | string;
    if (columns.clock === null) {
      time = times.read(row.text, row.starts[columns.time], row.ends[columns.time]);
    } else {
      time = times.read(`${row.field(columns.time)}T${row.field(columns.clock)}`);
    }
    if (typeof time === 'string') throw new ConfigError(file, `line ${lineNo}`, `time "${rawTime(row, columns)}" ${time}`);
    if (n > 0 && time <= bars.time[n - 1]) {
      throw new ConfigError(
        file,
        `line ${lineNo}`,
        time === bars.time[n - 1]
          ? `time "${rawTime(row, columns)}" duplicates line ${prevLineNo}`
          : `time "${rawTime(row, columns)}" is earlier than line ${prevLineNo} ("${new Date(bars.time[n - 1]).toISOString()}"); rows must be sorted by time, oldest first`,
      );
    }
    if (period !== null && n > 0 && periodIndex(time, period) === periodIndex(bars.time[n - 1], period)) {
      throw new ConfigError(file, `line ${lineNo}`, samePeriod(rawTime(row, columns), time, bars.time[n - 1], prevLineNo, opts.timeframe!, times.describe()!));
    }
    const open = price(row, columns.open, 'open', file, lineNo);
    const high = price(row, columns.high, 'high', file, lineNo);
    const low = price(row, columns.low, 'low', file, lineNo);
    const close = price(row, columns.close, 'close', file, lineNo);
    if (high < low) throw new ConfigError(file, `line ${lineNo}`, `high "${row.field(columns.high)}" is below low "${row.field(columns.low)}"`);
    let volume = 0;
    if (columns.volume !== null) {
      volume = number(row, columns.volume, 'volume', file, lineNo);
      if (volume < 0) throw new ConfigError(file, `line ${lineNo}`, `volume "${row.field(columns.volume)}" is negative`);
    }
    bars.time[n] = time;
    bars.open[n] = open;
    bars.high[n] = high;
    bars.low[n] = low;
    bars.close[n] = close;
    bars.volume[n] = volume;
    n++;
    prevLineNo = lineNo;
  }
  if (n === 0) throw new ConfigError(file, `line ${headerNo}`, 'the file has a header but no bars');
  return { bars: n === capacity ? bars : compact(bars, n), times: times.describe()! };
}

const MINUTE_MS = 60_000;
const PERIOD_MS: Record<string, number> = { m: MINUTE_MS, h: 60 * MINUTE_MS, d: 1440 * MINUTE_MS, w: 7 * 1440 * MINUTE_MS };
/** Weeks count from Monday 1969-12-29 (the epoch was a Thursday), so a week is Monday to Sunday. */
const WEEK_START_MS = -3 * 1440 * MINUTE_MS;

/** A timeframe (`1d`, `15m`, `1w`; TimeframeSchema) as its length in ms and the start of period 0. */
function timeframePeriod(timeframe: string): { ms: number; origin: number } {
  const unit = timeframe.slice(-1);
  return { ms: Number(timeframe.slice(0, -1)) * PERIOD_MS[unit]!, origin: unit === 'w' ? WEEK_START_MS : 0 };
}

/**
 * The period a time falls in: UTC calendar days for `1d`, UTC clock hours for `1h`, Monday-to-Sunday
 * weeks for `1w`. Two bars in one period are never a timeframe's bars; bars closer than the timeframe
 * but in two periods (a session's short first bar, a daily close stamped an hour earlier after a
 * daylight-saving change) are left alone.
 */
function periodIndex(time: number, period: { ms: number; origin: number }): number {
  return Math.floor((time - period.origin) / period.ms);
}

function samePeriod(raw: string, time: number, previous: number, prevLineNo: number, timeframe: string, times: string): string {
  const unit = timeframe === '1d' ? 'calendar day (UTC)' : `${timeframe} period (UTC)`;
  return (
    `time "${raw}" (${new Date(time).toISOString()}) is in the same ${unit} as line ${prevLineNo} (${new Date(previous).toISOString()}), ` +
    `but the data source's timeframe is ${timeframe}; times were read as ${times}: check the timeframe, or the unit of the times (timestamp_unit)`
  );
}

interface Columns {
  time: number;
  /** The time-of-day column when time comes from separate `date` and `time` columns. */
  clock: number | null;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
}

function mapColumns(header: string[], file: string, lineNo: number): Columns {
  const index = new Map<string, number>();
  header.forEach((raw, i) => {
    const name = raw.trim().toLowerCase().replace(/[\s_]+/g, ' ');
    if (name !== '' && index.has(name)) throw new ConfigError(file, `line ${lineNo}`, `column "${raw.trim()}" appears twice in the header`);
    index.set(name, i);
  });
  const timeName = TIME_COLUMNS.find((c) => index.has(c));
  const date = index.get('date');
  const clock = index.get('time');
  const time = timeName !== undefined ? index.get(timeName) : (date ?? clock);
  const missing: string[] = [];
  if (time === undefined) missing.push('timestamp');
  for (const c of PRICE_COLUMNS) if (!index.has(c)) missing.push(c);
  if (time === undefined || missing.length > 0) {
    throw new ConfigError(
      file,
      `line ${lineNo}`,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}; the header has ${header.map((h) => `"${h.trim()}"`).join(', ')} ` +
        '(expected a header like "timestamp,open,high,low,close,volume"; "date"/"datetime"/"time" also name the time)',
    );
  }
  return {
    time,
    clock: timeName === undefined && date !== undefined && clock !== undefined ? clock : null,
    open: index.get('open')!,
    high: index.get('high')!,
    low: index.get('low')!,
    close: index.get('close')!,
    volume: index.get('volume') ?? index.get('vol') ?? null,
  };
}

function price(row: Row, index: number, column: PriceColumn, file: string, lineNo: number): number {
  const value = number(row, index, column, file, lineNo);
  if (value <= 0) throw new ConfigError(file, `line ${lineNo}`, `${column} "${row.field(index)}" must be greater than 0`);
  return value;
}

function number(row: Row, index: number, column: string, file: string, lineNo: number): number {
  const fast = plainDecimal(row.text, row.starts[index], row.ends[index]);
  if (!Number.isNaN(fast)) return fast;
  const raw = row.field(index);
  if (NUMBER.test(raw)) {
    // Once the pattern has matched, parseFloat reads the same value as Number, and faster.
    const value = parseFloat(raw);
    if (Number.isFinite(value)) return value;
  } else if (!NON_FINITE.test(raw)) {
    throw new ConfigError(file, `line ${lineNo}`, `${column} "${raw}" is not a number`);
  }
  throw new ConfigError(file, `line ${lineNo}`, `${column} "${raw}" is not a finite number`);
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * A plain decimal (`-12.345`, no exponent, at most 15 digits) read from the characters, NaN for
 * anything else. Exact: the digits make an integer below 2^53 and the power of ten is exact, so the
 * one division rounds correctly, the same double parseFloat gives (Clinger's fast path).
 * @see https://www.exploringbinary.com/fast-path-decimal-to-floating-point-conversion/
 */
function plainDecimal(text: string, start: number, end: number): number {
  while (start < end && text.charCodeAt(start) <= 32) start++;
  while (end > start && text.charCodeAt(end - 1) <= 32) end--;
  let i = start;
  const sign = text.charCodeAt(i);
  if (sign === 45 || sign === 43) i++;
  let mantissa = 0;
  let count = 0;
  let decimals = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      count++;
      if (dot) decimals++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (count === 0 || count > 15) return NaN;
  const value = mantissa / POW10[decimals];
  return sign === 45 ? -value : value;
}

function rawTime(row: Row, columns: Columns): string {
  return columns.clock === null ? row.field(columns.time) : `${row.field(columns.time)} ${row.field(columns.clock)}`;
}

function detectDelimiter(header: string): string {
  if (header.includes(',')) return ',';
  if (header.includes(';')) return ';';
  if (header.includes('\t')) return '\t';
  return ',';
}

function hasQuote(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 34) return true;
  return false;
}

/** Fields of a line that may hold double-quoted fields (`""` is a quote inside one). */
function splitQuoted(line: string, delimiter: string, file: string, lineNo: number): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      wasQuoted = false;
    } else if (ch === '"' && field.trim() === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else {
      field += ch;
    }
  }
  if (quoted) throw new ConfigError(file, `line ${lineNo}`, 'has a quoted field that is not closed on the same line');
  fields.push(field);
  return fields;
}

/**
 * One data row as field boundaries in a string: the file itself for plain lines (no substring per
 * field), or the unquoted fields joined together for quoted ones.
 */
class Row {
  text = '';
  count = 0;
  readonly starts: Int32Array;
  readonly ends: Int32Array;

  constructor(private readonly width: number) {
    this.starts = new Int32Array(width);
    this.ends = new Int32Array(width);
  }

  /** Splits text[start, end) at the delimiter; `count` is the number of fields, even past `width`. */
  scan(text: string, start: number, end: number, delimiter: number): void {
    this.text = text;
    let count = 0;
    let from = start;
    for (let i = start; i <= end; i++) {
      if (i === end || text.charCodeAt(i) === delimiter) {
        if (count < this.width) {
          this.starts[count] = from;
          this.ends[count] = i;
        }
        count++;
        from = i + 1;
      }
    }
    this.count = count;
  }

  fill(fields: string[]): void {
    this.text = fields.join('');
    let at = 0;
    fields.forEach((f, i) => {
      if (i < this.width) {
        this.starts[i] = at;
        this.ends[i] = at + f.length;
      }
      at += f.length;
    });
    this.count = fields.length;
  }

  /** The field's text, trimmed, for messages and the slow paths. */
  field(index: number): string {
    return this.text.slice(this.starts[index], this.ends[index]).trim();
  }
}

/**
 * Non-blank lines as [start, end) in the text with 1-based physical line numbers; a line ends in
 * `\n`, `\r\n` or a lone `\r`. The next `\n` and `\r` are each searched for once and remembered,
 * so a file with no `\r` at all is not rescanned to its end for every line.
 */
class LineReader {
  private pos = 0;
  private nextLf = -1;
  private nextCr = -1;
  lineNo = 0;
  start = 0;
  end = 0;
  constructor(private readonly text: string) {}

  /** Moves to the next non-blank line; false at the end of the text. */
  next(): boolean {
    const text = this.text;
    while (this.pos < text.length) {
      const start = this.pos;
      const end = this.lineEnd(start);
      this.pos = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
      this.lineNo++;
      if (end === start) continue;
      if (text.charCodeAt(start) <= 32 && text.slice(start, end).trim() === '') continue;
      this.start = start;
      this.end = end;
      return true;
    }
    return false;
  }

  /** Where the line starting at `from` ends: its first `\n` or `\r`, or the end of the text. */
  private lineEnd(from: number): number {
    const text = this.text;
    if (this.nextLf !== Infinity && this.nextLf < from) this.nextLf = indexOrInfinity(text, '\n', from);
    if (this.nextCr !== Infinity && this.nextCr < from) this.nextCr = indexOrInfinity(text, '\r', from);
    return Math.min(this.nextLf, this.nextCr, text.length);
  }

  /** Exactly the lines still to come (blank ones included): the MAX_BARS check must not count a CRLF twice. */
  remainingLineCount(): number {
    const text = this.text;
    let count = 0;
    let last = this.pos - 1;
    for (let i = text.indexOf('\n', this.pos); i !== -1; i = text.indexOf('\n', i + 1)) {
      count++;
      last = Math.max(last, i);
    }
    for (let i = text.indexOf('\r', this.pos); i !== -1; i = text.indexOf('\r', i + 1)) {
      if (text.charCodeAt(i + 1) === 10) continue;
      count++;
      last = Math.max(last, i);
    }
    return last < text.length - 1 ? count + 1 : count;
  }
}

function indexOrInfinity(text: string, char: string, from: number): number {
  const i = text.indexOf(char, from);
  return i === -1 ? Infinity : i;
}

/** Copies the first n bars into arrays of their own, so no spare capacity travels with them. */
function compact(bars: BarSeries, n: number): BarSeries {
  return {
    time: bars.time.slice(0, n),
    open: bars.open.slice(0, n),
    high: bars.high.slice(0, n),
    low: bars.low.slice(0, n),
    close: bars.close.slice(0, n),
    volume: bars.volume.slice(0, n),
    length: n,
  };
}

function readFile(absPath: string, displayName: string): Buffer {
  return readFileLimited(absPath, MAX_CSV_BYTES, displayName, displayName, '');
}

/** The largest text V8 can hold in one string, which the parser needs (about 512 MiB). */
export const MAX_CSV_BYTES = bufferConstants.MAX_STRING_LENGTH;

/** Refuses a csv file too large to parse, by its size alone (before reading or hashing it). */
export function checkCsvSize(size: number, displayName: string): void {
  if (size > MAX_CSV_BYTES) {
    throw new ConfigError(displayName, '', `is ${formatBytes(size)}, more than the ${formatBytes(MAX_CSV_BYTES)} one file may have; split or resample it`);
  }
}

/** Decodes UTF-8 (a BOM is dropped); other encodings are a ConfigError naming the first bad line. */
export function decodeUtf8(bytes: Uint8Array, displayName: string): string {
  checkCsvSize(bytes.length, displayName);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const lossy = new TextDecoder('utf-8').decode(bytes);
    const bad = lossy.indexOf('\ufffd');
    let line = 1;
    for (let i = lossy.indexOf('\n'); i !== -1 && i < bad; i = lossy.indexOf('\n', i + 1)) line++;
    throw new ConfigError(displayName, `line ${line}`, 'is not UTF-8 text (save the file as UTF-8)');
  }
}
