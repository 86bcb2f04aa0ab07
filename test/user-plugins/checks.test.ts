import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { WorkforceSchema } from '../../src/config/schemas.js';
import { readCsvBars } from '../../src/data/csv.js';
import type { BarSeries } from '../../src/engine/bars.js';
import { runBacktest, type BacktestSettings } from '../../src/engine/index.js';
import { BUILTIN_PLUGINS } from '../../src/engine/plugins/registry.js';
import { checkUserPlugins } from '../../src/user-plugins/checks.js';
import { contractBreach } from '../../src/user-plugins/contract.js';
import { loadWorkspacePlugins } from '../../src/user-plugins/index.js';
import { runCli } from '../cli/run-cli.js';
import { examplesDir, makeWorkspace, signalPlugin } from './workspace.js';

/*
 * The contract checks a workspace's plugins get at submission (src/user-plugins/checks.ts), on whole
 * series: plugin files written to a temp workspace, bundled and loaded as a submission loads them,
 * then checked on the example data. The hourly series (8,760 bars) is the repository's longest;
 * the checks once read only its first 5,000 bars.
 */

const roots: string[] = [];
after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

const HOURLY = readCsvBars(path.join(examplesDir, 'data/SYNTH_1h.csv'), 'data/SYNTH_1h.csv').bars;
const DAILY = readCsvBars(path.join(examplesDir, 'data/SYNTH_1d.csv'), 'data/SYNTH_1d.csv').bars;
const SETTINGS: BacktestSettings = { initial_capital: 10_000, fees_pct: 0.1, slippage_pct: 0, fill: 'next_open', close_at_end: false };
const FIELD = 'workforce.analysis_workers.signal_generation[0]';
const DETERMINISM = 'a plugin must compute from its bars and params only (no Math.random, no clock, no state kept between runs)';

/** Bundles and loads a workspace holding the signal plugin `name` (`body`, `before`: see signalPlugin), then checks it on `bars`. */
function check(name: string, body: string, bars: BarSeries, before = ''): void {
  const root = makeWorkspace({ [`plugins/${name}.ts`]: signalPlugin(name, body, before) });
  roots.push(root);
  const { set } = loadWorkspacePlugins(root);
  const workforce = WorkforceSchema.parse({ analysis_workers: { signal_generation: [{ plugin: name }], exit_planning: [{ plugin: 'atr_exit' }] } });
  checkUserPlugins(bars, workforce, SETTINGS, set);
}

/** The reason checkUserPlugins refuses the plugin with (no file: the loader names it; its field the plugin's entry). */
function refusal(name: string, body: string, bars: BarSeries, before = ''): string {
  try {
    check(name, body, bars, before);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    assert.equal(error.file, null);
    assert.equal(error.field, FIELD);
    return error.reason;
  }
  assert.fail(`plugin "${name}" passed the checks, but it should have been refused`);
}

/** The bar a "not deterministic" reason names, after checking the rest of the reason word for word. */
function nondeterministicBar(reason: string, name: string, bars: BarSeries, note = ''): number {
  const match = /at bar (\d+) /.exec(reason);
  assert.ok(match, reason);
  const bar = Number(match[1]);
  assert.equal(reason, `plugin "${name}" is not deterministic: two runs on the same bars differ at bar ${bar} (${new Date(bars.time[bar]).toISOString()})${note}; ${DETERMINISM}`);
  return bar;
}

describe('the determinism check', () => {
  test('a clock read in create() is reported as not deterministic, even when it only shows after bar 5,000', () => {
    // Date.now()'s bits as events from bar 5,000 on: any two runs a millisecond apart differ there.
    const body = 'const now = Date.now();\n    for (let b = 0; b < 44; b++) events[5000 + b] = Math.floor(now / 2 ** b) % 2 ? 1 : -1;';
    const bar = nondeterministicBar(refusal('clock_late', body, HOURLY), 'clock_late', HOURLY);
    assert.ok(bar >= 5000 && bar < 5044, `the first bar that encodes a differing bit of the clock, got ${bar}`);
  });

  test('Math.random is reported as not deterministic, even when it only shows after bar 5,000', () => {
    const body = 'for (let i = 5000; i < bars.length; i++) events[i] = Math.random() < 0.5 ? 1 : -1;';
    const bar = nondeterministicBar(refusal('dice_late', body, HOURLY), 'dice_late', HOURLY);
    assert.ok(bar >= 5000 && bar < 5100, `a coin flip per bar from bar 5,000 differs within 100 bars, got ${bar}`);
  });

  test('a high kept in module state across runs is reported as not deterministic, not as look-ahead', () => {
    // A running high the author forgot to reset per run: the second run starts from the first's.
    const body = 'for (let i = p.period; i < bars.length; i++) {\n      highest = Math.max(highest, close[i]);\n      events[i] = close[i] >= highest ? 1 : 0;\n    }';
    assert.equal(nondeterministicBar(refusal('sticky_high', body, HOURLY, 'let highest = 0;'), 'sticky_high', HOURLY), 20);
  });

  test('a module-level counter that changes every fifth run is reported as not deterministic, not as look-ahead', () => {
    const body = 'runs++;\n    for (let i = p.period; i < bars.length; i++) events[i] = runs % 5 === 4 ? 1 : -1;';
    const reason = refusal('every_fifth', body, HOURLY, 'let runs = 0;');
    assert.match(reason, /^plugin "every_fifth" is not deterministic: /);
    nondeterministicBar(reason, 'every_fifth', HOURLY, ', the second after runs on other bars');
  });

  test('state left by a run with other params is reported as not deterministic', () => {
    // The period of the previous run leaks into the next one.
    const body = 'const shift = last ?? p.period;\n    last = p.period;\n    for (let i = 50; i < bars.length; i++) events[i] = close[i] > close[i - shift] ? 1 : -1;';
    const root = makeWorkspace({ 'plugins/leaky.ts': signalPlugin('leaky', body, 'let last: number | undefined;') });
    roots.push(root);
    const { set } = loadWorkspacePlugins(root);
    const workforce = WorkforceSchema.parse({ analysis_workers: { signal_generation: [{ plugin: 'leaky', params: { period: 30 } }] } });
    // The submission runs the operation once before the checks (src/intake/load.ts).
    runBacktest(HOURLY, workforce, SETTINGS, set);
    try {
      checkUserPlugins(HOURLY, workforce, SETTINGS, set);
      assert.fail('the leaky plugin passed');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      nondeterministicBar(error.reason, 'leaky', HOURLY, ', the second after a run with other params');
    }
  });
});

describe('the look-ahead check', () => {
  test('a peek at the next close from bar 5,001 on is refused, naming the bar before the cut that shows it', () => {
    const body = 'for (let i = 5001; i < bars.length - 1; i++) events[i] = close[i + 1] > close[i] ? 1 : -1;';
    // 12 cuts over 8,760 bars: 730, 1460, …, 5110 is the first after bar 5,001.
    assert.equal(
      refusal('peek_late', body, HOURLY),
      'plugin "peek_late" looks ahead: its output at bar 5109 (2023-08-01T21:00:00.000Z) changes when only bars from 5110 (2023-08-01T22:00:00.000Z) on change; its output at bar t may use bars up to t only',
    );
  });

  test('a peek at the very last bar is refused', () => {
    const body = 'events[bars.length - 2] = close[bars.length - 1] > close[bars.length - 2] ? 1 : -1;';
    assert.equal(
      refusal('peek_last', body, HOURLY),
      'plugin "peek_last" looks ahead: its output at bar 8758 (2023-12-31T22:00:00.000Z) changes when only bars from 8759 (2023-12-31T23:00:00.000Z) on change; its output at bar t may use bars up to t only',
    );
  });

  test('an output that depends on how many bars follow is refused', () => {
    const body = 'if (bars.length > 6000) events[p.period] = 1;';
    // The runs for the first cut (730) end at the second (1460).
    assert.equal(
      refusal('counts_bars', body, HOURLY),
      'plugin "counts_bars" looks ahead: its output at bar 20 (2023-01-01T20:00:00.000Z) changes when only bars from 730 (2023-01-31T10:00:00.000Z) on change; its output at bar t may use bars up to t only',
    );
  });

  test('early events whose sign the last bar decides are refused, whichever way the last bar went', () => {
    // On the daily series the last close (774.08) is above the first (101.21): a future changed
    // upward only keeps "up" true, so the tail must also be changed downward.
    const body = 'const up = close[bars.length - 1] > close[0];\n    for (let i = p.period; i < 200; i += 10) events[i] = up ? 1 : -1;';
    assert.equal(
      refusal('last_decides', body, DAILY),
      'plugin "last_decides" looks ahead: its output at bar 20 (2014-01-29T00:00:00.000Z) changes when only bars from 217 (2014-10-31T00:00:00.000Z) on change; its output at bar t may use bars up to t only',
    );
  });
});

describe('no false positives', () => {
  test('the example plugin passes on the whole hourly series', () => {
    const { set } = loadWorkspacePlugins(examplesDir);
    const workforce = WorkforceSchema.parse({ analysis_workers: { signal_generation: [{ plugin: 'roc_momentum', params: { period: 10, threshold_pct: 1 } }] } });
    checkUserPlugins(HOURLY, workforce, SETTINGS, set);
  });

  test('every built-in passes the same checks on the whole hourly series', () => {
    for (const plugin of BUILTIN_PLUGINS.byName.values()) {
      assert.equal(contractBreach(plugin, plugin.params.parse({}), HOURLY), null, plugin.name);
    }
  });
});

describe('through the CLI', () => {
  test('optimize refuses a plugin peeking from bar 5,001 of an hourly series: exit 2 naming the blueprint and the field', async () => {
    const root = makeWorkspace({
      'plugins/peek_late.ts': signalPlugin('peek_late', 'for (let i = 5001; i < bars.length - 1; i++) events[i] = close[i + 1] > close[i] ? 1 : -1;'),
      'blueprints/peek_late.yaml': 'name: peek_late_bp\nworkforce:\n  analysis_workers:\n    signal_generation: [ { plugin: peek_late } ]\n',
      'op-hourly.yaml': `display_name: peek on SYNTH hourly
strategy_links:
  - { strategy_blueprint: blueprints/peek_late.yaml, execution_environment: hourly }
environments:
  hourly: { data_source: synth_1h, initial_capital: 10000 }
data_sources:
  synth_1h: { type: csv_archive, path: data/SYNTH_1h.csv, asset_pair: SYNTH/USD, timeframe: 1h }
`,
      'opt-hourly.yaml': `optimization_config:
  name: peek grid
  base_operation: op-hourly.yaml
  parameter_space:
    - { worker_category: analysis_workers, worker_phase: signal_generation, worker_plugin: peek_late, parameters: { period: { values: [10, 20] } } }
`,
    });
    roots.push(root);
    const run = await runCli(['optimize', 'opt-hourly.yaml'], { cwd: root, env: { SWEEPLAB_DATA_ROOT: '', TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      'error: blueprints/peek_late.yaml: workforce.analysis_workers.signal_generation[0]: plugin "peek_late" looks ahead: its output at bar 5109 (2023-08-01T21:00:00.000Z) changes when only bars from 5110 (2023-08-01T22:00:00.000Z) on change; its output at bar t may use bars up to t only\n',
    );
  });
});
