import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WorkforceSchema } from '../src/config/schemas.js';
import { generateBars } from '../src/data/synthetic.js';
import type { BarSeries } from '../src/engine/bars.js';
import { runBacktest, type BacktestSettings } from '../src/engine/index.js';

/*
 * Engine speed: (a) ms per run of sma_cross + atr_exit + fixed_risk_sizer over 2,148 daily bars
 * once warm (indicators cached, JIT done), median of many runs — the cost a grid pays per
 * combination; (b) bars per second of one run over a 5 M-bar series, median of a few runs, each
 * started from a collected heap (as a worker that stores a result and drops it would be).
 * Targets (brief): (a) ≤ 0.3 ms, (b) ≥ 10 M bars/s.
 */

/** The synthetic regime-switching series the examples use, any length, deterministic per seed. */
function walk(length: number, seed: number): BarSeries {
  return generateBars({ seed, bars: length, start: '2004-08-19', timeframe: '1d', start_price: 100 });
}

const WORKFORCE = WorkforceSchema.parse({
  analysis_workers: {
    signal_generation: [{ plugin: 'sma_cross', params: { fast: 10, slow: 20 } }],
    exit_planning: [{ plugin: 'atr_exit', params: { atr_period: 14, atr_multiplier: 1.5, risk_reward_ratio: 2 } }],
    size_planning: [{ plugin: 'fixed_risk_sizer', params: { risk_per_trade_percent: 1 } }],
  },
});
const SETTINGS: BacktestSettings = { initial_capital: 10_000, fees_pct: 0.1, slippage_pct: 0.05, fill: 'next_open', close_at_end: false };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A full garbage collection between long runs, without needing node --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export async function benchEngine(): Promise<Record<string, number | string>> {
  const daily = walk(2_148, 42);
  for (let i = 0; i < 2_000; i++) runBacktest(daily, WORKFORCE, SETTINGS);
  const batches: number[] = [];
  for (let b = 0; b < 25; b++) {
    const start = performance.now();
    for (let i = 0; i < 200; i++) runBacktest(daily, WORKFORCE, SETTINGS);
    batches.push((performance.now() - start) / 200);
  }
  const trades = runBacktest(daily, WORKFORCE, SETTINGS).metrics.total_trades;

  const longBars = 5_000_000;
  const long = walk(longBars, 7);
  const gc = collector();
  const coldStart = performance.now();
  runBacktest(long, WORKFORCE, SETTINGS);
  const coldMs = performance.now() - coldStart;
  const runs: number[] = [];
  for (let k = 0; k < 5; k++) {
    gc();
    const start = performance.now();
    runBacktest(long, WORKFORCE, SETTINGS);
    runs.push(performance.now() - start);
  }
  const longMs = median(runs);

  return {
    workload: 'sma_cross(10,20) + atr_exit(14,1.5,2) + fixed_risk_sizer(1 %), fill next_open, fees 0.1 %, slippage 0.05 %',
    daily_bars: daily.length,
    daily_trades: trades ?? 0,
    ms_per_run_2148_bars: Number(median(batches).toFixed(4)),
    long_series_bars: longBars,
    long_series_first_run_ms: Math.round(coldMs),
    long_series_ms: Math.round(longMs),
    bars_per_second: Math.round((longBars / longMs) * 1000),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchEngine();
  for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(26)} ${value}`);
}
