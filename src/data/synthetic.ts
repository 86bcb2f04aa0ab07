import { allocateBars, type BarSeries } from '../engine/bars.js';
import { parseUtc } from '../core/dates.js';
import { mulberry32, normalSource } from '../core/random.js';

/*
 * Deterministic synthetic bars for demos and tests: a regime-switching market, so that trend
 * followers and mean-reverters each have stretches where they win.
 *
 * - A Markov chain over three regimes. Each bar the regime ends with probability 1 / (its mean length
 *   in bars); the next regime is drawn from TRANSITIONS. Far from the start price (above 50× or below
 *   0.1×) the next regime is forced to bear or bull, which keeps very long series bounded.
 * - bull / bear: log price follows a random walk with the regime's drift and volatility.
 *   sideways: log price reverts to where the regime began (Ornstein–Uhlenbeck, half-life of 8 trading
 *   days), so oscillations around a level, not a trend, dominate.
 * - Annual figures are scaled to the bar length: 252 bars a year for business days, 52 for weeks, and
 *   minutes in a 365-day year for intraday bars, which run 24/7.
 * - Daily and weekly bars open with a small overnight gap from the previous close; intraday bars open
 *   at the previous close. High and low add a wick beyond max/min(open, close), so
 *   low ≤ open, close ≤ high. Volume is a whole number ≥ 1, higher on big moves and in bear markets.
 * - Times: `Nd` steps N business days (Saturday and Sunday skipped, a weekend start moves to Monday),
 *   `Nw` N weeks, `Nh`/`Nm` N hours/minutes around the clock. No holidays.
 */

interface Regime {
  drift: number;
  volatility: number;
  meanYears: number;
  /** Half-life of the pull back to the regime's starting level; 0 for a pure random walk. */
  halfLifeYears: number;
  volumeFactor: number;
}

const BULL = 0;
const BEAR = 1;
// Regime 2 is sideways: no drift, pulled back to its starting level.
const REGIMES: readonly Regime[] = [
  { drift: 0.22, volatility: 0.14, meanYears: 0.8, halfLifeYears: 0, volumeFactor: 1 },
  { drift: -0.3, volatility: 0.32, meanYears: 0.3, halfLifeYears: 0, volumeFactor: 1.4 },
  { drift: 0, volatility: 0.16, meanYears: 0.5, halfLifeYears: 8 / 252, volumeFactor: 0.8 },
];
/** TRANSITIONS[from][to]: where a regime goes when it ends (rows sum to 1, no self-transition). */
const TRANSITIONS: readonly (readonly number[])[] = [
  [0, 0.4, 0.6],
  [0.5, 0, 0.5],
  [0.55, 0.45, 0],
];
const CEILING = Math.log(50);
const FLOOR = Math.log(0.1);
const DAY_MS = 86_400_000;
/** Volume of a daily bar before noise; intraday bars get their share of a day's. */
const DAILY_VOLUME = 1_000_000;

export function generateBars(opts: { seed: number; bars: number; start: string; timeframe: string; start_price: number }): BarSeries {
  const { count, unit } = parseTimeframe(opts.timeframe);
  const startMs = parseUtc(opts.start);
  if (!Number.isFinite(startMs)) throw new Error(`generateBars: start "${opts.start}" is not a date`);
  if (!Number.isInteger(opts.bars) || opts.bars < 1) throw new Error(`generateBars: bars must be a positive integer, got ${opts.bars}`);
  if (!(opts.start_price > 0)) throw new Error(`generateBars: start_price must be > 0, got ${opts.start_price}`);

  const barMinutes = unit === 'd' ? 1440 * count : unit === 'w' ? 7 * 1440 * count : unit === 'h' ? 60 * count : count;
  const perYear = unit === 'd' ? 252 / count : unit === 'w' ? 52 / count : (365 * 1440) / barMinutes;
  const gappy = unit === 'd' || unit === 'w';
  const baseVolume = DAILY_VOLUME * Math.min(barMinutes / 1440, 5);

  const uniform = mulberry32(opts.seed);
  const normal = normalSource(uniform);
  const bars = allocateBars(opts.bars);
  const origin = Math.log(opts.start_price);
  let regime = BULL + Math.floor(uniform() * 3);
  let anchor = origin;
  let logClose = origin;
  let time = unit === 'd' ? nextBusinessDay(startMs, 0) : startMs;

  for (let i = 0; i < opts.bars; i++) {
    const r = REGIMES[regime];
    const sigma = r.volatility / Math.sqrt(perYear);
    const logOpen = i === 0 || !gappy ? logClose : logClose + 0.25 * sigma * normal();
    const pull = r.halfLifeYears > 0 ? 1 - 0.5 ** (1 / (r.halfLifeYears * perYear)) : 0;
    const move = r.drift / perYear - pull * (logOpen - anchor) + sigma * normal();
    logClose = logOpen + move;

    const open = i === 0 ? opts.start_price : Math.exp(logOpen);
    const close = Math.exp(logClose);
    bars.time[i] = time;
    bars.open[i] = open;
    bars.close[i] = close;
    bars.high[i] = Math.max(open, close) * Math.exp(0.5 * sigma * Math.abs(normal()));
    bars.low[i] = Math.min(open, close) * Math.exp(-0.5 * sigma * Math.abs(normal()));
    const activity = (1 + (2 * Math.abs(move)) / sigma) * r.volumeFactor * Math.exp(0.3 * normal());
    bars.volume[i] = Math.max(1, Math.round(baseVolume * activity));

    if (uniform() < 1 / (r.meanYears * perYear)) {
      const level = logClose - origin;
      regime = level > CEILING ? BEAR : level < FLOOR ? BULL : pick(TRANSITIONS[regime], uniform());
      anchor = logClose;
    }
    time = unit === 'd' ? nextBusinessDay(time, count) : time + barMinutes * 60_000;
  }
  return bars;
}

function parseTimeframe(timeframe: string): { count: number; unit: 'm' | 'h' | 'd' | 'w' } {
  const m = /^([1-9]\d*)(m|h|d|w)$/.exec(timeframe);
  if (m === null) throw new Error(`generateBars: timeframe "${timeframe}" is not like "1d", "1h" or "15m"`);
  return { count: Number(m[1]), unit: m[2] as 'm' | 'h' | 'd' | 'w' };
}

/** `days` business days after `time` (0: `time` itself, or the Monday after when on a weekend). */
function nextBusinessDay(time: number, days: number): number {
  let t = time;
  let left = days;
  while (isWeekend(t) || left > 0) {
    t += DAY_MS;
    if (!isWeekend(t)) left--;
  }
  return t;
}

function isWeekend(time: number): boolean {
  // 1970-01-01 was a Thursday (weekday 4, Sunday = 0).
  const weekday = (((Math.floor(time / DAY_MS) + 4) % 7) + 7) % 7;
  return weekday === 0 || weekday === 6;
}

function pick(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    if (u < acc) return i;
  }
  return weights.length - 1;
}
