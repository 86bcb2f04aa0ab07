/*
 * A bar's time as written in a data file, to epoch milliseconds UTC.
 *
 * - ISO 8601 date `2014-01-02` (midnight UTC) or datetime `2014-01-02T15:30`, `…:00`, `…:00.250`,
 *   with `T` or a space between date and time, UTC unless an offset follows (`Z`, `+02:00`, `+0200`,
 *   `+02`). Calendar checked: `2014-02-30` is rejected (Date.parse would roll it into March).
 * - A plain number is epoch time in a unit: `s`, `ms`, `us` or `ns`, as the data source's
 *   `timestamp_unit` says, or else inferred from the number's magnitude: below 1e11 seconds, below
 *   1e14 milliseconds, below 1e17 microseconds, else nanoseconds. Each band starts at 1e8 of its unit
 *   (1973-03-03) and ends at 1e11 (the year 5138), so a time from 1973 to 2200 in any unit lands in
 *   its own band. A magnitude below 1e8 is not inferred: 41,640 would be 1970-01-01T11:34:00Z as
 *   seconds, but a file of such numbers is far more likely Excel serial dates (days since 1899-12-30;
 *   41,640 is 2014-01-01), which are refused by name. Fractions are kept to the millisecond.
 * - Every time must fall in the years FIRST_YEAR to LAST_YEAR (docs/formats.md): a year 0 or 45970
 *   is a misread file, never market data, and would make nonsense of every annualised metric.
 */

export const TIMESTAMP_UNITS = ['s', 'ms', 'us', 'ns'] as const;
export type TimestampUnit = (typeof TIMESTAMP_UNITS)[number];

const UNIT_WORDS: Record<TimestampUnit, string> = { s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds' };

export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2200;
const FIRST_MS = Date.UTC(FIRST_YEAR, 0, 1);
const END_MS = Date.UTC(LAST_YEAR + 1, 0, 1);
const YEARS = `the years ${FIRST_YEAR} to ${LAST_YEAR} sweeplab reads`;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;
const EPOCH = /^[+-]?\d+(?:\.\d+)?$/;
/** Below this magnitude an epoch number's unit is not inferred (1e8 s is 1973-03-03). */
const INFER_FROM = 1e8;
/** The largest time a JavaScript Date can hold (ECMA-262 §21.4.1.1). */
const MAX_TIME = 8.64e15;
const DAY_MS = 86_400_000;
/** Day 0 of Excel's (1900 date system) serial dates, as its serials from 61 (1900-03-01) on count. */
const EXCEL_DAY_0 = Date.UTC(1899, 11, 30);

/** How a file's times are written, for messages and load summaries: "ISO dates/times", "epoch seconds (inferred)". */
export function describeTimes(kind: TimeKind, unit: TimestampUnit | null, given: boolean): string {
  if (kind === 'iso') return 'ISO dates/times';
  return `epoch ${UNIT_WORDS[unit!]} (${given ? 'timestamp_unit' : 'inferred'})`;
}

export type TimeKind = 'iso' | 'epoch';

/**
 * Reads the times of one file. The first time fixes how all are written: ISO or epoch, and an epoch
 * time's unit (given, or inferred from that first number), so a later number of another magnitude
 * reads as an implausible year and is refused instead of silently switching units, and a file that
 * mixes ISO and epoch times is refused.
 */
export class TimeReader {
  /** How the first time was written; null before it. */
  kind: TimeKind | null = null;
  unit: TimestampUnit | null;
  /** The time the unit was inferred from, for messages. */
  private firstText = '';
  /** How the time being read is written; null while unknown (text that is no time at all). */
  private lastKind: TimeKind | null = null;

  constructor(private readonly given?: TimestampUnit) {
    this.unit = given ?? null;
  }

  /** "ISO dates/times", "epoch seconds (inferred)", or null before the first time. */
  describe(): string | null {
    return this.kind === null ? null : describeTimes(this.kind, this.unit, this.given !== undefined);
  }

  /**
   * The time in source[start, end) as epoch ms, or the reason it is not a time (to follow the quoted
   * text in a message). Taking a range spares a substring per row in the common shapes: a parser
   * going through a million rows spends most of its time allocating strings otherwise.
   */
  read(source: string, start = 0, end = source.length): number | string {
    this.lastKind = null;
    const time = this.readOnce(source, start, end);
    if (this.kind !== null && this.lastKind !== null && this.kind !== this.lastKind) {
      return this.kind === 'iso'
        ? 'is an epoch number, but the first time of the file is an ISO date; write every time of a file the same way'
        : `is an ISO date, but the first time of the file ("${this.firstText}") is an epoch number; write every time of a file the same way`;
    }
    if (typeof time === 'string') return time;
    if (this.kind === null) {
      this.kind = this.lastKind;
      this.firstText = source.slice(start, end).trim();
    }
    return time;
  }

  private readOnce(source: string, start: number, end: number): number | string {
    const iso = simpleIso(source, start, end);
    if (iso !== undefined) {
      this.lastKind = 'iso';
      return iso;
    }
    const integer = digitRun(source, start, end);
    if (integer >= 0) return this.epoch(integer, source, start, end);
    const text = source.slice(start, end).trim();
    if (EPOCH.test(text)) return this.epoch(Number(text), text, 0, text.length);
    const m = ISO.exec(text);
    if (m === null) return 'is not an ISO date/datetime (like "2014-01-02" or "2014-01-02T15:30:00Z") or an epoch number';
    let offsetMinutes = 0;
    if (m[9] !== undefined) {
      const offsetHours = Number(m[10]);
      const offsetMins = Number(m[11] ?? 0);
      if (offsetHours > 23 || offsetMins > 59) return 'has an invalid UTC offset';
      offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
    }
    this.lastKind = 'iso';
    const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
    const local = fromParts(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), millis);
    if (typeof local === 'string') return local;
    const ms = local - offsetMinutes * 60_000;
    return inYears(ms) ? ms : `is outside ${YEARS} (docs/formats.md)`;
  }

  /** An epoch number (written as source[start, end)) in the file's unit, inferring it from the first. */
  private epoch(n: number, source: string, start: number, end: number): number | string {
    this.lastKind = 'epoch';
    const unit = this.unit ?? inferUnit(n);
    if (unit === null) return tooSmallToInfer(n);
    const ms = toMs(n, unit);
    if (inYears(ms)) {
      // The first time of a file fixes the unit for the rest (a no-op once it is fixed).
      this.unit = unit;
      return ms;
    }
    const how = this.given !== undefined ? 'timestamp_unit' : this.kind === null ? 'inferred from its size' : `the unit inferred from the first time of the file, "${this.firstText}"`;
    const when = Math.abs(ms) <= MAX_TIME ? `is ${showTime(ms)}` : 'is beyond any date';
    const fix = this.given !== undefined ? 'check timestamp_unit' : `if "${source.slice(start, end).trim()}" is in another unit, set timestamp_unit (s, ms, us or ns) on the data source`;
    return `read as epoch ${UNIT_WORDS[unit]} (${how}) ${when}, outside ${YEARS} (docs/formats.md); ${fix}`;
  }
}

/** The time in text[start, end) as epoch ms (its unit inferred), or the reason it is not a time. */
export function parseTimestamp(text: string, start = 0, end = text.length): number | string {
  return new TimeReader().read(text, start, end);
}

/** The unit of an epoch number by its magnitude (see the top of this file); null below 1e8. */
function inferUnit(n: number): TimestampUnit | null {
  const size = Math.abs(n);
  if (size < INFER_FROM) return null;
  return size < 1e11 ? 's' : size < 1e14 ? 'ms' : size < 1e17 ? 'us' : 'ns';
}

/** Why an epoch number below 1e8 is not read: an Excel serial date, by name, when it could be one. */
function tooSmallToInfer(n: number): string {
  const serialDay = EXCEL_DAY_0 + Math.floor(n) * DAY_MS;
  if (n >= 61 && inYears(serialDay)) {
    return `looks like an Excel serial date (${n} days from 1899-12-30 is ${showTime(serialDay).slice(0, 10)}), not an epoch time; export the dates as ISO dates (like "2014-01-02"), or, if these are epoch times, set timestamp_unit (s, ms, us or ns) on the data source`;
  }
  return `is too small to tell its unit (as epoch seconds it is ${showTime(n * 1000)}); write ISO dates, or set timestamp_unit (s, ms, us or ns) on the data source`;
}

/** Epoch ms of n in `unit`; dividing by an exact power of ten rounds once, where multiplying by 1e-3 may not. */
function toMs(n: number, unit: TimestampUnit): number {
  return Math.round(unit === 's' ? n * 1000 : unit === 'ms' ? n : unit === 'us' ? n / 1e3 : n / 1e6);
}

function inYears(ms: number): boolean {
  return ms >= FIRST_MS && ms < END_MS;
}

/** A date alone at midnight UTC, the full ISO time otherwise; years outside 0–9999 as the year. */
function showTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (!/^\d{4}-/.test(iso)) return `the year ${new Date(ms).getUTCFullYear()}`;
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/**
 * The shapes nearly every file uses, `2014-01-02`, `2014-01-02T15:30:00` and the same with `Z`,
 * read digit by digit: the regex costs more than the rest of a row. Undefined for any other shape
 * (including surrounding spaces), which then takes the general path.
 */
function simpleIso(text: string, start: number, end: number): number | string | undefined {
  const len = end - start;
  if (len !== 10 && len !== 19 && !(len === 20 && (text.charCodeAt(start + 19) | 32) === 122 /* z */)) return undefined;
  if (text.charCodeAt(start + 4) !== 45 || text.charCodeAt(start + 7) !== 45) return undefined;
  const year = digits(text, start, 4);
  const month = digits(text, start + 5, 2);
  const day = digits(text, start + 8, 2);
  if (len === 10) return year < 0 || month < 0 || day < 0 ? undefined : fromParts(year, month, day, 0, 0, 0, 0);
  const sep = text.charCodeAt(start + 10);
  if ((sep !== 84 && sep !== 116 && sep !== 32) || text.charCodeAt(start + 13) !== 58 || text.charCodeAt(start + 16) !== 58) return undefined;
  const hour = digits(text, start + 11, 2);
  const minute = digits(text, start + 14, 2);
  const second = digits(text, start + 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  return fromParts(year, month, day, hour, minute, second, 0);
}

/** A run of 1 to 15 plain digits (exact in a double) as its value; -1 for anything else. */
function digitRun(text: string, start: number, end: number): number {
  const len = end - start;
  return len < 1 || len > 15 ? -1 : digits(text, start, len);
}

/** The decimal number in text[from, from + count), or -1 if a character is not a digit. */
function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function fromParts(year: number, month: number, day: number, hour: number, minute: number, second: number, millis: number): number | string {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 'is not a calendar date';
  if (hour > 23 || minute > 59 || second > 59) return 'is not a time of day';
  if (year < FIRST_YEAR || year > LAST_YEAR) return `is in the year ${year}, outside ${YEARS} (docs/formats.md)`;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}
