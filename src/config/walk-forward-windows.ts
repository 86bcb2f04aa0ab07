import { firstAtOrAfter } from '../engine/bars.js';

/*
 * Walk-forward window arithmetic (docs/formats.md, "walk_forward.yaml"): where each window's
 * in-sample and out-of-sample pieces begin and end, as bar indices of the base operation's data.
 * Pure: no Node, no zod, so tests can check it by hand on a few timestamps.
 */

/**
 * A window length: a number of bars, or a calendar duration. Calendar durations are months plus
 * milliseconds, so `2y` (24 months) and `6m` add up exactly and a month is a calendar month.
 */
export type WindowLength = { bars: number } | { months: number; ms: number };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** `2y`, `6m`, `13w`, `90d`, `12h`, `500 bars` (or a plain number: bars). null when it is none of these. */
export function parseWindowLength(text: string | number): WindowLength | null {
  if (typeof text === 'number') return Number.isInteger(text) && text > 0 ? { bars: text } : null;
  const match = /^\s*([1-9]\d{0,6})\s*(y|m|w|d|h|bars?)\s*$/.exec(text);
  if (!match) return null;
  const n = Number(match[1]);
  switch (match[2]) {
    case 'y':
      return { months: 12 * n, ms: 0 };
    case 'm':
      return { months: n, ms: 0 };
    case 'w':
      return { months: 0, ms: 7 * n * DAY_MS };
    case 'd':
      return { months: 0, ms: n * DAY_MS };
    case 'h':
      return { months: 0, ms: n * HOUR_MS };
    default:
      return { bars: n };
  }
}

export interface WindowPlan {
  in_sample: WindowLength;
  out_of_sample: WindowLength;
  step: WindowLength;
  /** anchored: every in-sample piece starts at the first bar; rolling: it moves on by `step`. */
  mode: 'anchored' | 'rolling';
}

/** Bar index ranges, `from` inclusive, `to` exclusive. */
export interface WindowBars {
  is: { from: number; to: number };
  oos: { from: number; to: number };
}

/**
 * The windows over bars with these (sorted) open times. Window k's out-of-sample piece starts at
 * first + in_sample + k·step and lasts out_of_sample; its in-sample piece is the in_sample before
 * it (rolling) or everything from the first bar (anchored). Calendar boundaries are computed from
 * the first bar's time each time (never added up), and a piece holds the bars whose open time
 * lies in [boundary, next boundary). Windows are laid while an out-of-sample piece starts before
 * the data ends; the last one ends with the data, so it may be shorter.
 */
export function planWindows(times: ArrayLike<number>, plan: WindowPlan, maxWindows: number): WindowBars[] {
  const n = times.length;
  const at = boundary(times, plan);
  const windows: WindowBars[] = [];
  for (let k = 0; ; k++) {
    const oosFrom = at(1, k, 0);
    if (oosFrom >= n) break;
    if (windows.length === maxWindows) throw new RangeError(`more than ${maxWindows} windows`);
    const isFrom = plan.mode === 'anchored' ? 0 : at(0, k, 0);
    windows.push({ is: { from: isFrom, to: oosFrom }, oos: { from: oosFrom, to: at(1, k, 1) } });
  }
  return windows;
}

/** `at(a, b, c)`: the first bar at or after first + a·in_sample + b·step + c·out_of_sample; n when none. */
function boundary(times: ArrayLike<number>, plan: WindowPlan): (a: number, b: number, c: number) => number {
  const lengths = [plan.in_sample, plan.step, plan.out_of_sample];
  if (lengths.every((l) => 'bars' in l)) {
    const [is, step, oos] = lengths.map((l) => (l as { bars: number }).bars) as [number, number, number];
    return (a, b, c) => Math.min(times.length, a * is + b * step + c * oos);
  }
  const [is, step, oos] = lengths as Array<{ months: number; ms: number }>;
  const first = times[0]!;
  return (a, b, c) => firstAtOrAfter(times, addMonths(first, a * is!.months + b * step!.months + c * oos!.months) + a * is!.ms + b * step!.ms + c * oos!.ms);
}

/**
 * `t` plus `months` calendar months (UTC), the day of the month clamped to the target month's
 * length (Jan 31 + 1 month is Feb 28 or 29), the time of day kept.
 */
export function addMonths(t: number, months: number): number {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}
