import path from 'node:path';
import { loadOptimizationFile } from '../src/intake/load.js';
import { WorkforceSchema } from '../src/config/schemas.js';
import { readCsvBars } from '../src/data/csv.js';
import { generateBars } from '../src/data/synthetic.js';
import type { BarSeries } from '../src/engine/bars.js';
import { runBacktest, type BacktestSettings } from '../src/engine/index.js';
import { BUILTIN_PLUGINS } from '../src/engine/plugins/registry.js';
import { checkUserPlugins } from '../src/user-plugins/checks.js';
import { contractBreach, copyBars } from '../src/user-plugins/contract.js';
import { loadWorkspacePlugins } from '../src/user-plugins/index.js';
import { repoRoot } from './stack.js';

/*
 * What the plugin contract checks cost at submission (docs/plugins.md, "What the checks can and
 * cannot detect"): for the example workspace's roc_momentum on the hourly example data and on longer
 * synthetic hourly series, the median CPU ms of checkUserPlugins beside one run of the operation on bars
 * it has not seen (no cached series, as the first run of a submission); and
 * the per-plugin check (contractBreach) of one built-in of each other kind of worker, whose outputs
 * the check asks for bar by bar; then the whole load of the example workspace's optimization.
 * `npx tsx bench/plugin-checks.ts [bars …]` (default 50000 500000).
 */

const SETTINGS: BacktestSettings = { initial_capital: 10_000, fees_pct: 0.1, slippage_pct: 0.02, fill: 'next_open', close_at_end: false };
const OTHER_KINDS = ['volatility_filter', 'limit_entry', 'atr_exit', 'fixed_risk_sizer'];

/**
 * Median CPU milliseconds of `fn` (user + system time of this process): on a machine shared with
 * other work, wall time mostly measures the wait for a core.
 */
function medianMs(fn: () => void, times = 3): number {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    ms.push((used.user + used.system) / 1000);
  }
  return Math.round(ms.sort((a, b) => a - b)[times >> 1]);
}

const examples = path.join(repoRoot, 'examples');
const { set } = loadWorkspacePlugins(examples);
const workforce = WorkforceSchema.parse({
  analysis_workers: {
    signal_generation: [{ plugin: 'roc_momentum', params: { period: 20, threshold_pct: 1 } }],
    exit_planning: [{ plugin: 'atr_exit', params: { atr_period: 14, atr_multiplier: 2, risk_reward_ratio: 2 } }],
  },
});
const lengths = process.argv.slice(2).map(Number);
const series: [string, BarSeries][] = [
  ['SYNTH_1h.csv', readCsvBars(path.join(examples, 'data/SYNTH_1h.csv'), 'data/SYNTH_1h.csv').bars],
  ...(lengths.length ? lengths : [50_000, 500_000]).map((n): [string, BarSeries] => [`synthetic 1h`, generateBars({ seed: 7, bars: n, start: '2020-01-01', timeframe: '1h', start_price: 100 })]),
];
const rows: Record<string, number | string>[] = [];
for (const [name, bars] of series) {
  const row: Record<string, number | string> = { series: name, bars: bars.length };
  row['one run (ms)'] = medianMs(() => runBacktest(copyBars(bars), workforce, SETTINGS, set));
  row['checks, roc_momentum (ms)'] = medianMs(() => checkUserPlugins(bars, workforce, SETTINGS, set));
  for (const plugin of OTHER_KINDS.map((n) => BUILTIN_PLUGINS.byName.get(n)!)) {
    row[`${plugin.name} (ms)`] = medianMs(() => contractBreach(plugin, plugin.params.parse({}), bars), 1);
  }
  rows.push(row);
  console.table([row]);
}
console.table(rows);

// The example workspace as a user submits it: bundling, loading, the operation's run and the checks.
const submission = medianMs(() => loadOptimizationFile(path.join(examples, 'optimization_momentum.yaml'), { dataRoot: examples }));
console.log(`loading examples/optimization_momentum.yaml (roc_momentum on 2,608 daily bars): ${submission} CPU ms`);
