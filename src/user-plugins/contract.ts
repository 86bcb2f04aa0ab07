import { generateBars } from '../data/synthetic.js';
import { allocateBars, type BarSeries } from '../engine/bars.js';
import type { PluginDefinition, Side, Worker } from '../engine/plugins/types.js';

/*
 * The properties every plugin promises whatever its phase (docs/plugins.md, "The contract"): its
 * output at bar t depends on bars ≤ t only, and the same bars and params give the same output. The
 * built-ins are held to them by test/engine/plugins.test.ts; a workspace's plugins are checked on
 * the user's own data when a sweep is loaded (src/user-plugins/checks.ts).
 */

/**
 * A copy of `bars` (new arrays, so no cached series is shared with the original) whose bars from
 * `from` on are another synthetic series at a thousand times the price and volume: a jump big
 * enough that any peek ahead changes an output.
 */
export function withFutureChanged(bars: BarSeries, from: number, seed: number): BarSeries {
  const other = generateBars({ seed, bars: Math.max(1, bars.length), start: '2000-01-03', timeframe: '1d', start_price: 100 });
  const out = copyBars(bars);
  for (const column of ['open', 'high', 'low', 'close', 'volume'] as const) {
    for (let i = from; i < bars.length; i++) out[column][i] = other[column][i] * 1000;
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
 * Everything a worker tells the simulator about each bar 0 … until − 1, as one JSON text per bar
 * (NaN reads as null, as JSON writes it): what a run can observe of the plugin.
 */
export function observe(worker: Worker, bars: BarSeries, until: number): string[] {
  const out: string[] = [];
  const sides: Side[] = [1, -1];
  for (let t = 0; t < until; t++) {
    const seen: unknown[] = [];
    switch (worker.kind) {
      case 'signal':
        seen.push(worker.events[t], worker.direction);
        break;
      case 'filter':
        for (const side of sides) seen.push(worker.allowsEntry(t, side, t - 3));
        break;
      case 'entry':
        for (const side of sides) seen.push(worker.limitPrice(side, t), worker.validBars);
        break;
      case 'exit':
        for (const side of sides) {
          const levels = { stop: -side * Infinity, target: side * Infinity, trailPct: Infinity, maxBars: Infinity };
          worker.plan(side, bars.open[t], t, levels);
          seen.push(levels.stop, levels.target, levels.trailPct, levels.maxBars);
        }
        break;
      case 'size':
        seen.push(worker.size(10_000, bars.close[t], bars.close[t] * 0.95, 0.001));
        break;
    }
    out.push(JSON.stringify(seen.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))));
  }
  return out;
}

/** Bars after which the look-ahead check changes the future: `count` cuts spread over the series. */
export function lookAheadCuts(length: number, count: number): number[] {
  const first = Math.min(length - 1, 2);
  const cuts = new Set<number>();
  for (let k = 0; k < count; k++) cuts.add(Math.round(first + ((length - 1 - first) * k) / Math.max(1, count - 1)));
  return [...cuts].filter((cut) => cut > 0 && cut < length).sort((a, b) => a - b);
}

/**
 * The first bar whose output changes when only later bars change, with the cut it changed after;
 * null when the plugin does not look ahead on these bars. Cuts are tried in order, so the bar
 * reported is the earliest cut's first difference.
 */
export function firstLookAhead(plugin: PluginDefinition, params: Record<string, unknown>, bars: BarSeries, cuts: readonly number[]): { bar: number; cut: number } | null {
  const original = observe(plugin.create(copyBars(bars), params), bars, bars.length);
  for (const cut of cuts) {
    const changed = withFutureChanged(bars, cut, cut);
    const seen = observe(plugin.create(changed, params), changed, cut);
    const bar = seen.findIndex((text, t) => text !== original[t]);
    if (bar !== -1) return { bar, cut };
  }
  return null;
}

/** The first bar whose output differs between two runs on equal bars; null when none does. */
export function firstNondeterministicBar(plugin: PluginDefinition, params: Record<string, unknown>, bars: BarSeries): number | null {
  const first = copyBars(bars);
  const second = copyBars(bars);
  const a = observe(plugin.create(first, params), first, bars.length);
  const b = observe(plugin.create(second, params), second, bars.length);
  const bar = a.findIndex((text, t) => text !== b[t]);
  return bar === -1 ? null : bar;
}
