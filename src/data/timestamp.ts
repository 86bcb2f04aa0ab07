/*
 * A bar's time as written in a data file, to epoch milliseconds UTC.
 *
 * - ISO 8601 date `2014-01-02` (midnight UTC) or datetime `2014-01-02T15:30`, `…:00`, `…:00.250`,
 *   with `T` or a space between date and time, UTC unless an offset follows (`Z`, `+02:00`, `+0200`,
 *   `+02`). Calendar checked: `2014-02-30` is rejected (Date.parse would roll it into March).
 * - A plain number is epoch time: seconds when its magnitude is below 1e11, milliseconds otherwise.
 *   1e11 s is the year 5138 and 1e11 ms is 1973-03-03, so the two ranges only meet on data from
 *   before March 1973 in milliseconds, which no market data file we expect holds. Fractional
 *   seconds are kept to the millisecond.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;
const EPOCH = /^[+-]?\d+(?:\.\d+)?$/;
const SECONDS_BELOW = 1e11;
/** The largest time a JavaScript Date can hold (ECMA-262 §21.4.1.1). */
const MAX_TIME = 8.64e15;

/**
 * The time in source[start, end) as epoch ms, or the reason it is not a time (to follow the quoted
 * text in a message). Taking a range spares a substring per row in the common shapes: a parser
 * going through a million rows spends most of its time allocating strings otherwise.
 */
export function parseTimestamp(source: string, start = 0, end = source.length): number | string {
  const fast = simpleIso(source, start, end) ?? epochInteger(source, start, end);
  if (fast !== undefined) return fast;
  const text = source.slice(start, end).trim();
  if (EPOCH.test(text)) {
    const n = Number(text);
    const ms = Math.round(Math.abs(n) < SECONDS_BELOW ? n * 1000 : n);
    return Math.abs(ms) <= MAX_TIME ? ms : 'is out of range for a date';
  }
  const m = ISO.exec(text);
  if (m === null) return 'is not an ISO date/datetime (like "2014-01-02" or "2014-01-02T15:30:00Z") or epoch seconds/milliseconds';
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11] ?? 0);
    if (offsetHours > 23 || offsetMins > 59) return 'has an invalid UTC offset';
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const local = fromParts(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), millis);
  return typeof local === 'number' ? local - offsetMinutes * 60_000 : local;
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

/** Epoch seconds or milliseconds written as 9 to 15 plain digits (exact in a double); else undefined. */
function epochInteger(text: string, start: number, end: number): number | undefined {
  const len = end - start;
  if (len < 9 || len > 15) return undefined;
  const n = digits(text, start, len);
  if (n < 0) return undefined;
  return n < SECONDS_BELOW ? n * 1000 : n;
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
  return utc(year, month - 1, day, hour, minute, second, millis);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/** Date.UTC, except that years 0–99 stay themselves (Date.UTC reads them as 1900–1999). The
 *  Gregorian calendar repeats every 400 years (146,097 days), so shift there and back. */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  if (year >= 100) return Date.UTC(year, month, day, hour, minute, second, ms);
  return Date.UTC(year + 400, month, day, hour, minute, second, ms) - 146_097 * 86_400_000;
}
