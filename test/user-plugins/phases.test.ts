import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { loadOperationFile } from '../../src/intake/load.js';
import { materialize } from '../../src/config/materialize.js';
import { loadWorkspacePlugins } from '../../src/user-plugins/index.js';
import { makeWorkspace } from './workspace.js';

/*
 * A user plugin stands in every phase a built-in can: written with sweeplab/plugin's indicators and
 * series cache, twins of trend_filter, limit_entry, fixed_percentage_exit and fixed_fraction give the
 * very same backtest as the built-ins they copy.
 */

const TWINS = `import { cachedSeries, definePlugin, sma, z, type ExitLevels, type Side } from 'sweeplab/plugin';

export const myTrend = definePlugin({
  name: 'my_trend',
  phase: 'regime_context',
  params: z.object({ period: z.number().int().min(2).max(1000).default(50) }).strict(),
  doc: 'Entries only in the direction of the close against its SMA(period).',
  lookback: (p) => p.period - 1,
  create(bars, p) {
    const mean = cachedSeries(bars, \`my_trend:sma:\${p.period}\`, () => sma(bars.close, p.period));
    const regime = (bar: number) => (bars.close[bar] > mean[bar] ? 1 : bars.close[bar] < mean[bar] ? -1 : 0);
    return { kind: 'filter', allowsEntry: (bar: number, side: Side) => regime(bar) === side };
  },
});

export const myLimit = definePlugin({
  name: 'my_limit',
  phase: 'entry_planning',
  params: z.object({ offset_pct: z.number().min(0).max(50).default(0.5), valid_bars: z.number().int().min(1).default(3) }).strict(),
  doc: 'A limit order offset_pct away from the signal close, valid for valid_bars bars.',
  lookback: () => 0,
  create: (bars, p) => ({ kind: 'entry', limitPrice: (side: Side, bar: number) => bars.close[bar] * (1 - (side * p.offset_pct) / 100), validBars: p.valid_bars }),
});

export const myExit = definePlugin({
  name: 'my_exit',
  phase: 'exit_planning',
  setsStop: true,
  params: z.object({ stop_pct: z.number().gt(0).lt(100).default(2), target_pct: z.number().gt(0).default(4) }).strict(),
  doc: 'A stop and a target at fixed percentages of the entry price.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'exit',
    plan(side: Side, entry: number, _bar: number, levels: ExitLevels) {
      const stop = entry * (1 - (side * p.stop_pct) / 100);
      const target = entry * (1 + (side * p.target_pct) / 100);
      if (side * stop > side * levels.stop) levels.stop = stop;
      if (side * target < side * levels.target) levels.target = target;
    },
  }),
});

export const mySizer = definePlugin({
  name: 'my_sizer',
  phase: 'size_planning',
  params: z.object({ fraction_pct: z.number().gt(0).max(100).default(10) }).strict(),
  doc: 'A fixed fraction of the equity per trade, whole units, entry fee included.',
  lookback: () => 0,
  create: (_bars, p) => ({ kind: 'size', size: (equity: number, price: number, _stop: number, fee: number) => Math.floor(((equity / (price * (1 + fee))) * p.fraction_pct) / 100) }),
});
`;

const operation = (blueprint: string) => `display_name: twins
strategy_links: [ { strategy_blueprint: blueprints/${blueprint}.yaml, execution_environment: daily } ]
environments:
  daily: { type: backtest, data_source: synth, initial_capital: 10000, fees_pct: 0.1 }
data_sources:
  synth: { type: csv_archive, path: data/SYNTH_1d.csv, asset_pair: SYNTH/USD, timeframe: 1d }
`;

const blueprint = (names: string[]) => `name: twins
workforce:
  context_workers:
    regime_context: [ { plugin: ${names[0]}, params: { period: 50 } } ]
  analysis_workers:
    signal_generation: [ { plugin: sma_cross, params: { fast: 10, slow: 30, direction: both } } ]
    entry_planning: [ { plugin: ${names[1]}, params: { offset_pct: 0.5, valid_bars: 3 } } ]
    exit_planning: [ { plugin: ${names[2]}, params: { stop_pct: 2, target_pct: 4 } } ]
    size_planning: [ { plugin: ${names[3]}, params: { fraction_pct: 50 } } ]
`;

const root = makeWorkspace({
  'plugins/twins.ts': TWINS,
  'blueprints/builtin.yaml': blueprint(['trend_filter', 'limit_entry', 'fixed_percentage_exit', 'fixed_fraction']),
  'blueprints/user.yaml': blueprint(['my_trend', 'my_limit', 'my_exit', 'my_sizer']),
  'op-builtin.yaml': operation('builtin'),
  'op-user.yaml': operation('user'),
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('user plugins in the context, entry, exit and size phases run exactly as the built-ins they copy', () => {
  const plugins = loadWorkspacePlugins(root);
  const run = (file: string) => {
    const base = loadOperationFile(path.join(root, file), { dataRoot: root, plugins });
    return runMaterializedOperation(materialize(base, base.blueprint.workforce, file, plugins.set), { dataRoot: root, file, plugins: plugins.set });
  };
  const builtin = run('op-builtin.yaml');
  const user = run('op-user.yaml');
  assert.ok(builtin.trades.length > 10, `a test with trades (${builtin.trades.length})`);
  assert.deepEqual(user.metrics, builtin.metrics);
  assert.deepEqual(user.trades, builtin.trades);
});
