import { ConfigError } from '../core/errors.js';
import { parseUtc } from '../core/dates.js';
import type { Environment, Workforce } from './schemas.js';
import { isoTime, timeList } from './bar-times.js';
import { firstAtOrAfter, sliceBars, type BarSeries } from './bars.js';
import { computeMetrics, drawdownCurve } from './metrics.js';
import { BUILTIN_PLUGINS, type PluginSet } from './plugins/registry.js';
import { parsePlugins, resolveWorkforce } from './plugins/resolve.js';
import type { BacktestResult } from './result.js';
import { simulate, type Simulation } from './simulate.js';

export type { BarSeries } from './bars.js';
export { allocateBars, sliceBars } from './bars.js';
export { BUILTIN_PLUGINS, findPlugin, workforceProblems, type PluginDefinition, type PluginSet } from './plugins/registry.js';
export { parsePlugins, type ParsedPlugin } from './plugins/resolve.js';
export * from './result.js';

export type BacktestSettings = Pick<Environment, 'initial_capital' | 'fees_pct' | 'slippage_pct' | 'fill' | 'close_at_end' | 'periods_per_year' | 'trade_from'>;

/**
 * One backtest: bars and a validated workforce in, a BacktestResult out. Pure and deterministic:
 * no I/O, no clock, no randomness; the same input gives the same JSON. Params are parsed with each
 * plugin's schema here too (defaults applied), so a caller that skipped validation still gets a
 * ConfigError(null, field, reason) — the engine knows fields, not files; the loader names the file —
 * never a wrong run. An error thrown by a user plugin's
 * code comes out as a ConfigError naming the plugin's file and line (PluginSet.faultOf).
 */
export function runBacktest(bars: BarSeries, workforce: Workforce, settings: BacktestSettings, plugins: PluginSet = BUILTIN_PLUGINS): BacktestResult {
  let run: Simulation;
  let from = 0;
  try {
    const workers = resolveWorkforce(bars, parsePlugins(workforce, plugins));
    from = settings.trade_from === undefined ? 0 : tradeFromIndex(bars, settings.trade_from);
    // Signals before `from` are not acted on, so the account is flat (equity = initial capital) there.
    run = simulate(bars, from > workers.firstBar ? { ...workers, firstBar: from } : workers, settings);
  } catch (error) {
    throw plugins.faultOf?.(error) ?? error;
  }
  if (from === 0) return result(bars, run, settings);
  // The bars before `from` were warm-up: the result covers [from, end], trade bar indices relative to it.
  const shift = <T extends { entry_bar: number }>(trade: T) => ({ ...trade, entry_bar: trade.entry_bar - from });
  return result(sliceBars(bars, from, bars.length), {
    equity: run.equity.slice(from),
    trades: run.trades.map((trade) => ({ ...shift(trade), exit_bar: trade.exit_bar - from })),
    openTrade: run.openTrade && shift(run.openTrade),
    barsInMarket: run.barsInMarket,
  }, settings);
}

function result(bars: BarSeries, run: Simulation, settings: BacktestSettings): BacktestResult {
  const time = timeList(bars);
  return {
    metrics: computeMetrics({
      time: bars.time,
      equity: run.equity,
      trades: run.trades,
      initialCapital: settings.initial_capital,
      barsInMarket: run.barsInMarket,
      periodsPerYear: settings.periods_per_year,
    }),
    // Both curves share the series' frozen time list.
    equity: { t: time, v: run.equity },
    drawdown: { t: time, v: drawdownCurve(run.equity) },
    trades: run.trades,
    open_trade: run.openTrade,
    bars: bars.length,
    start: isoTime(bars, 0),
    end: isoTime(bars, bars.length - 1),
  };
}

/** Index of the first bar at or after `tradeFrom`; a time after the last bar leaves nothing to trade. */
function tradeFromIndex(bars: BarSeries, tradeFrom: string): number {
  const from = firstAtOrAfter(bars.time, parseUtc(tradeFrom));
  if (from === bars.length) {
    throw new ConfigError('environment', 'trade_from', `"${tradeFrom}" is after the last bar (${isoTime(bars, bars.length - 1)}); nothing is left to trade`);
  }
  return from;
}
