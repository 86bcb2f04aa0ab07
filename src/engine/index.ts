import type { Environment, Workforce } from '../config/schemas.js';
import { isoTime, timeList } from './bar-times.js';
import type { BarSeries } from './bars.js';
import { computeMetrics, drawdownCurve } from './metrics.js';
import { BUILTIN_PLUGINS, type PluginSet } from './plugins/registry.js';
import { parsePlugins, resolveWorkforce } from './plugins/resolve.js';
import type { BacktestResult } from './result.js';
import { simulate } from './simulate.js';

export type { BarSeries } from './bars.js';
export { allocateBars, sliceBars } from './bars.js';
export { BUILTIN_PLUGINS, findPlugin, workforceProblems, type PluginDefinition, type PluginSet } from './plugins/registry.js';
export { parsePlugins, type ParsedPlugin } from './plugins/resolve.js';
export * from './result.js';

export type BacktestSettings = Pick<Environment, 'initial_capital' | 'fees_pct' | 'slippage_pct' | 'fill' | 'close_at_end' | 'periods_per_year'>;

/**
 * One backtest: bars and a validated workforce in, a BacktestResult out. Pure and deterministic:
 * no I/O, no clock, no randomness; the same input gives the same JSON. Params are parsed with each
 * plugin's schema here too (defaults applied), so a caller that skipped validation still gets a
 * ConfigError("blueprint", field, reason), never a wrong run. An error thrown by a user plugin's
 * code comes out as a ConfigError naming the plugin's file and line (PluginSet.faultOf).
 */
export function runBacktest(bars: BarSeries, workforce: Workforce, settings: BacktestSettings, plugins: PluginSet = BUILTIN_PLUGINS): BacktestResult {
  let run: ReturnType<typeof simulate>;
  try {
    run = simulate(bars, resolveWorkforce(bars, parsePlugins(workforce, plugins)), settings);
  } catch (error) {
    throw plugins.faultOf?.(error) ?? error;
  }
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
