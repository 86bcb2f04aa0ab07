import { generateBars } from '../data/synthetic.js';
import { allocateBars, type BarSeries } from '../engine/bars.js';
import type { PluginDefinition, Side, Worker } from '../engine/plugins/types.js';

/*
 * The properties every plugin promises whatever its phase (docs/plugins.md, "The contract"): its
 * output at bar t depends on bars ≤ t only, and the same bars and params give the same output. The
 * built-ins are held to them by test/engine/plugins.test.ts; a workspace's plugins are checked on
 * the user's own data, the whole series, when a sweep is loaded (src/user-plugins/checks.ts). What
 * the checks can and cannot see: docs/plugins.md, "What the checks can and cannot detect".
 */

/** How many places the look-ahead check changes the future at (each both ways): cuts spread over the whole series. */
export const LOOK_AHEAD_CUTS = 12;

/** How a plugin broke the contract on these bars; null from contractBreach when it did not. */
export type ContractBreach =
  /**
   * Two runs on equal bars differ from `bar` on. `second`: the second run came right after the
   * first (`next`), after a run with the plugin's default params (`after other params`), or after
   * runs on changed bars (`after other bars`): state kept between runs.
   */
  | { kind: 'nondeterministic'; bar: number; second: 'next' | 'after other params' | 'after other bars' }
  /** The output at `bar` changed when only bars from `cut` on changed, and the change reproduces. */
  | { kind: 'looks_ahead'; bar: number; cut: number };

export interface ContractOptions {
  /** Cuts for the look-ahead check (LOOK_AHEAD_CUTS unless given). */
  cuts?: number;
  /** Throws for a worker that is not what the plugin's phase needs; called on every run. */
  accept?: (worker: Worker, bars: BarSeries) => void;
}

/**
 * The first breach of the contract `plugin` shows on `bars` with `params`, or null. The number of
 * runs is fixed: 2 × cuts + 3 (2 more when `params` are not the plugin's defaults, 2 more to
 * confirm a difference before it is reported), about 18 passes over the series for 12 cuts:
 *
 * 1. Determinism first, so nothing non-deterministic is blamed on the future: a reference run on
 *    the whole series, a second run on equal bars once the clock (Date.now) has moved on, and,
 *    when `params` are not the defaults, a run with the defaults followed by one with `params` again.
 * 2. Look-ahead: for each cut, the bars from it to the next cut are replaced by the series mirrored
 *    in time, once × 1000 and once ÷ 1000, and the series ends at the next cut (the last cut is at
 *    the final bar, so its runs keep every bar). The run's last bars are thus always changed, both
 *    ways (a rule like "last close above the first" flips one way or the other), and so is its
 *    length. Each run is compared with the reference on the outputs from the previous cut up to its
 *    own: these windows tile the series, and an output that reads d bars ahead crosses a cut within
 *    d bars exactly when it crosses the next one, so the window loses no peek the whole prefix
 *    would show.
 * 3. A difference is reported as look-ahead only when it reproduces: the original bars run again
 *    give the reference, and the changed bars run again give the same outputs. Otherwise it is
 *    state kept between runs (or a clock or random draw that happened to agree before).
 * 4. A last run on the original bars after all the others must still give the reference.
 */
export function contractBreach(plugin: PluginDefinition, params: Record<string, unknown>, bars: BarSeries, options: ContractOptions = {}): ContractBreach | null {
  const run = (input: BarSeries, given = params): Worker => {
    const worker = plugin.create(input, given);
    options.accept?.(worker, input);
    return worker;
  };
  const whole = (): Recording => {
    const input = copyBars(bars);
    return record(run(input), input, 0, input.length);
  };
  const nondeterministic = (bar: number | null, second: 'next' | 'after other params' | 'after other bars'): ContractBreach | null =>
    bar === null ? null : { kind: 'nondeterministic', bar, second };

  const reference = whole();
  waitForClockTick();
  const again = nondeterministic(firstDifference(reference, whole()), 'next');
  if (again) return again;
  const defaults = plugin.params.parse({}) as Record<string, unknown>;
  if (JSON.stringify(defaults) !== JSON.stringify(params)) {
    try {
      run(copyBars(bars), defaults);
    } catch {
      // Only the state this run leaves behind matters here; a plugin is not refused for params the blueprint does not use.
    }
    const afterDefaults = nondeterministic(firstDifference(reference, whole()), 'after other params');
    if (afterDefaults) return afterDefaults;
  }

  const cuts = lookAheadCuts(bars.length, options.cuts ?? LOOK_AHEAD_CUTS);
  const futures = cuts.flatMap((cut, k) => {
    const [from, end] = [cuts[k - 1] ?? 0, cuts[k + 1] ?? bars.length];
    return [1000, 1 / 1000].map((scale) => ({ cut, from, input: () => withFuture(bars, cut, bars, true, scale, end) }));
  });
  for (const { cut, from, input } of futures) {
    const changed = () => {
      const future = input();
      return record(run(future), future, from, cut);
    };
    const seen = changed();
    const bar = firstDifference(reference, seen);
    if (bar === null) continue;
    const breach = nondeterministic(firstDifference(reference, whole()), 'after other bars') ?? nondeterministic(firstDifference(seen, changed()), 'after other bars');
    return breach ?? { kind: 'looks_ahead', bar, cut };
  }
  return nondeterministic(firstDifference(reference, whole()), 'after other bars');
}

/**
 * Bars after which the look-ahead check changes the future: `count` cuts spread evenly over the
 * series, the last at its last bar (so a peek at the final bar is seen), all within 1 … length − 1.
 */
function lookAheadCuts(length: number, count: number): number[] {
  const cuts = new Set<number>();
  for (let k = 1; k <= count; k++) cuts.add(Math.min(length - 1, Math.round((length * k) / count)));
  return [...cuts].filter((cut) => cut > 0).sort((a, b) => a - b);
}

/**
 * A copy of `bars` (new arrays, so no cached series is shared with the original) whose bars from
 * `from` on are another synthetic series at a thousand times the price and volume: a jump big
 * enough that any peek ahead changes an output.
 */
export function withFutureChanged(bars: BarSeries, from: number, seed: number): BarSeries {
  const other = generateBars({ seed, bars: Math.max(1, bars.length), start: '2000-01-03', timeframe: '1d', start_price: 100 });
  return withFuture(bars, from, other, false, 1000);
}

/**
 * A copy of `bars` up to `end` (exclusive; the whole series unless given) whose bars from `from` on
 * are `source`'s × `scale`: its bars at the same index, or, `mirrored`, the bar as far from the end
 * of `bars` as this one is from its start (no random draws, so a changed run costs a copy). Times
 * are kept.
 */
function withFuture(bars: BarSeries, from: number, source: BarSeries, mirrored: boolean, scale: number, end = bars.length): BarSeries {
  const out = allocateBars(end);
  out.time.set(bars.time.subarray(0, end));
  const last = bars.length - 1;
  for (const column of ['open', 'high', 'low', 'close', 'volume'] as const) {
    const to = out[column];
    const values = source[column];
    to.set(bars[column].subarray(0, from));
    for (let i = from; i < end; i++) to[i] = values[mirrored ? last - i : i] * scale;
  }
  return out;
}

/** The same bars in new arrays: a series the series cache has never seen. */
export function copyBars(bars: BarSeries): BarSeries {
  const out = allocateBars(bars.length);
  for (const column of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) out[column].set(bars[column]);
  return out;
}

/**
 * What a run can observe of a plugin over bars from … to − 1: per bar, a 64-bit digest (two 32-bit
 * lanes) of everything the worker tells the simulator about that bar, so a whole series is compared
 * in 8 bytes a bar whatever the phase.
 */
interface Recording {
  from: number;
  digests: Uint32Array;
}

const SIDES: readonly Side[] = [1, -1];
const DIRECTIONS: readonly unknown[] = ['long', 'short', 'both'];

function record(worker: Worker, bars: BarSeries, from: number, to: number): Recording {
  const digests = new Uint32Array(2 * Math.max(0, to - from));
  for (let t = from; t < to; t++) {
    const count = observeBar(worker, bars, t);
    let a = 0x811c9dc5;
    let b = 0x01000193;
    for (let v = 0; v < count; v++) {
      const value = observed[v];
      // -0 and +0, and every NaN, are the same to the simulator.
      bits[0] = value === value ? value + 0 : NaN;
      a = mix(a, words[0], words[1], 0x9e3779b1);
      b = mix(b, words[1], words[0], 0x85ebca77);
    }
    digests[2 * (t - from)] = a;
    digests[2 * (t - from) + 1] = b;
  }
  return { from, digests };
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

function mix(h: number, x: number, y: number, k: number): number {
  h = Math.imul(h ^ x, k);
  h = Math.imul(h ^ (h >>> 15) ^ y, k);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * Everything a worker tells the simulator about bar t, as numbers: a signal's event and direction,
 * a filter's yes or no for each side (as the simulator reads it: truthy or not), an entry's limit
 * and validity, the levels an exit sets for a trade opened at bar t on each side, a size. Written
 * into `observed`; returns how many.
 */
function observeBar(worker: Worker, bars: BarSeries, t: number): number {
  switch (worker.kind) {
    case 'signal':
      observed[0] = worker.events[t];
      observed[1] = DIRECTIONS.indexOf(worker.direction);
      return 2;
    case 'filter':
      observed[0] = worker.allowsEntry(t, 1, t - 3) ? 1 : 0;
      observed[1] = worker.allowsEntry(t, -1, t - 3) ? 1 : 0;
      return 2;
    case 'entry':
      observed[0] = numeric(worker.limitPrice(1, t));
      observed[1] = numeric(worker.limitPrice(-1, t));
      observed[2] = numeric(worker.validBars);
      return 3;
    case 'exit': {
      let count = 0;
      for (const side of SIDES) {
        const levels = { stop: -side * Infinity, target: side * Infinity, trailPct: Infinity, maxBars: Infinity };
        worker.plan(side, bars.open[t], t, levels);
        observed[count++] = numeric(levels.stop);
        observed[count++] = numeric(levels.target);
        observed[count++] = numeric(levels.trailPct);
        observed[count++] = numeric(levels.maxBars);
      }
      return count;
    }
    case 'size':
      observed[0] = numeric(worker.size(10_000, bars.close[t], bars.close[t] * 0.95, 0.001));
      return 1;
  }
  return 0;
}

/** observeBar's output: up to 8 numbers for one bar. */
const observed = new Float64Array(8);

/** A number as itself; anything else a plugin returned where a number belongs as NaN. */
function numeric(value: unknown): number {
  return typeof value === 'number' ? value : NaN;
}

/** The first bar both recordings cover whose digests differ; null when none does. */
function firstDifference(a: Recording, b: Recording): number | null {
  const from = Math.max(a.from, b.from);
  const to = Math.min(a.from + a.digests.length / 2, b.from + b.digests.length / 2);
  for (let t = from; t < to; t++) {
    const i = 2 * (t - a.from);
    const j = 2 * (t - b.from);
    if (a.digests[i] !== b.digests[j] || a.digests[i + 1] !== b.digests[j + 1]) return t;
  }
  return null;
}

/** Returns once Date.now() has moved on, so two runs never share a millisecond of the clock. */
function waitForClockTick(): void {
  const start = Date.now();
  while (Date.now() === start) {
    // At most a millisecond.
  }
}
