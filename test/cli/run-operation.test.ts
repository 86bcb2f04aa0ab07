import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatMetric } from '../../src/cli/format.js';
import { loadOperationFile } from '../../src/intake/load.js';
import { materialize } from '../../src/config/materialize.js';
import { dumpYaml } from '../../src/intake/yaml.js';
import { BacktestResultSchema, METRIC_NAMES, type BacktestResult } from '../../src/engine/result.js';
import { repoRoot, runCli } from './run-cli.js';

/*
 * `sweeplab run-operation`, spawned as a user runs it, in a temp workspace (the data root) holding a
 * copy of examples/ and of test/fixtures/good/.
 */

/** SMA 2/3 on the ten TINY bars, all in, closed at the end: small enough to follow by hand (below). */
const TINY_OPERATION = `display_name: TINY sma 2/3
strategy_links:
  - strategy_blueprint:
      name: sma 2/3 all in
      workforce:
        analysis_workers:
          signal_generation: [ { plugin: sma_cross, params: { fast: 2, slow: 3 } } ]
    execution_environment: d
environments: { d: { data_source: tiny, initial_capital: 10000, close_at_end: true } }
data_sources: { tiny: { type: csv_archive, path: data/TINY_1d.csv, timeframe: 1d } }
`;

function workspace(): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-run-op-')));
  fs.cpSync(path.join(repoRoot, 'examples'), path.join(root, 'examples'), { recursive: true });
  fs.cpSync(path.join(repoRoot, 'test/fixtures/good'), path.join(root, 'good'), { recursive: true });
  fs.writeFileSync(path.join(root, 'good/tiny-sma.yaml'), TINY_OPERATION);
  return root;
}

async function runOperation(root: string, ...args: string[]) {
  const run = await runCli(['run-operation', ...args], { cwd: root, env: { SWEEPLAB_DATA_ROOT: root } });
  assert.equal(run.code, 0, run.stderr);
  return run.stdout;
}

/** The `metric  value` rows of the printed table, by metric. */
function tableRows(stdout: string): Map<string, string> {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^metric\s+value$/.test(l));
  assert.ok(header >= 0, `a "metric value" header: ${stdout}`);
  const rows = new Map<string, string>();
  for (const line of lines.slice(header + 2)) {
    const m = /^(\w+)\s+(.+)$/.exec(line);
    if (!m) break;
    rows.set(m[1]!, m[2]!);
  }
  return rows;
}

test('prints the metrics of a run followed by hand', async (t) => {
  const root = workspace();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const rows = tableRows(await runOperation(root, 'good/tiny-sma.yaml'));
  /*
   * Closes (test/fixtures/good/data/TINY_1d.csv), Jan 1..10: 98.5 99.5 100.5 99 100 101 99.5 100.5 101.5 100.
   * SMA2 vs SMA3: Jan 3 100 > 99.5, Jan 4 99.75 > 99.67, Jan 5 99.5 < 99.83 (cross down), Jan 6 100.5 > 100
   * (cross up: buy at Jan 7 open 101, floor(10000 / 101) = 99 units), Jan 7 100.25 > 100.17,
   * Jan 8 100 < 100.33 (cross down: sell at Jan 9 open 100.5, pnl 99 × −0.5 = −49.5, cash 9950.5),
   * Jan 9 101 > 100.5 (cross up: buy at Jan 10 open 101.5, floor(9950.5 / 101.5) = 98 units),
   * Jan 10 close_at_end sells at the close 100: pnl 98 × −1.5 = −147.
   * Final equity 10000 − 49.5 − 147 = 9803.5; two losers: win rate 0, profit factor 0 / 196.5 = 0,
   * expectancy −196.5 / 2 = −98.25.
   */
  assert.equal(rows.get('final_equity'), '9803.50');
  assert.equal(rows.get('total_trades'), '2');
  assert.equal(rows.get('win_rate'), '0.00 %');
  assert.equal(rows.get('profit_factor'), '0.000');
  assert.equal(rows.get('expectancy'), '-98.25');
  assert.deepEqual([...rows.keys()], [...METRIC_NAMES], 'every metric, in the result order');
});

test('--json prints the same run as a BacktestResult', async (t) => {
  const root = workspace();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const json = JSON.parse(await runOperation(root, 'good/tiny-sma.yaml', '--json')) as BacktestResult;
  assert.deepEqual(BacktestResultSchema.parse(json), json, 'the schema keeps every key: nothing extra, nothing missing');
  // The run above: 9803.5 / 10000 − 1 = −1.965 %, and equity never rose above its start, so that is the drawdown too.
  assert.ok(Math.abs(json.metrics.total_return! - -0.01965) < 1e-12, `total_return ${json.metrics.total_return}`);
  assert.ok(Math.abs(json.metrics.max_drawdown! - -0.01965) < 1e-12, `max_drawdown ${json.metrics.max_drawdown}`);
  assert.deepEqual(
    json.trades.map((tr) => [tr.entry_time.slice(0, 10), tr.entry_price, tr.exit_time.slice(0, 10), tr.exit_price, tr.size, tr.pnl, tr.exit_reason]),
    [
      ['2020-01-07', 101, '2020-01-09', 100.5, 99, -49.5, 'signal'],
      ['2020-01-10', 101.5, '2020-01-10', 100, 98, -147, 'end'],
    ],
  );
  assert.deepEqual(json.equity.v, [10000, 10000, 10000, 10000, 10000, 10000, 1 + 99 * 99.5, 1 + 99 * 100.5, 9950.5, 9803.5], 'cash 1 left after buying 99 at 101');
});

test('examples/operation.yaml prints a table whose values are the --json metrics', async (t) => {
  const root = workspace();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const table = await runOperation(root, 'examples/operation.yaml');
  const json = BacktestResultSchema.parse(JSON.parse(await runOperation(root, 'examples/operation.yaml', '--json')));
  assert.match(table, /^SMA cross on SYNTH daily\n {2}blueprint sma_cross_atr · synth_daily · \d+ bars 2014-01-\d\d → 2023-12-\d\d\n {2}operation [0-9a-f]{16}\n/);
  const rows = tableRows(table);
  assert.deepEqual([...rows.keys()], [...METRIC_NAMES]);
  for (const name of METRIC_NAMES) assert.equal(rows.get(name), formatMetric(name, json.metrics[name]), name);
  assert.equal(json.metrics.total_trades, json.trades.length, 'total_trades counts the closed trades');
});

test('says in which unit the epoch times of its data were read', async (t) => {
  const root = workspace();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  // TINY_1d.csv with its dates as epoch milliseconds.
  const iso = fs.readFileSync(path.join(root, 'good/data/TINY_1d.csv'), 'utf8').split('\n');
  const epoch = iso.map((line, i) => (i === 0 || line === '' ? line : line.replace(/^[^,]+/, (date) => String(Date.parse(`${date.slice(0, 10)}T00:00:00Z`)))));
  fs.writeFileSync(path.join(root, 'good/data/TINY_ms.csv'), epoch.join('\n'));
  fs.writeFileSync(path.join(root, 'good/tiny-ms.yaml'), TINY_OPERATION.replace('TINY_1d.csv', 'TINY_ms.csv'));
  const table = await runOperation(root, 'good/tiny-ms.yaml');
  assert.match(table, /^TINY sma 2\/3\n {2}blueprint sma 2\/3 all in · d · 10 bars 2020-01-01 → 2020-01-10 · times read as epoch milliseconds \(inferred\)\n/);
});

test('two runs print byte-identical output', async (t) => {
  const root = workspace();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const args of [['examples/operation.yaml'], ['examples/operation.yaml', '--json']]) {
    const [first, second] = await Promise.all([runOperation(root, ...args), runOperation(root, ...args)]);
    assert.ok(first.length > 0);
    assert.equal(second, first, args.join(' '));
  }
});

test('a materialized operation, as a sweep stores and serves it, replays to the same result', async (t) => {
  const root = workspace();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const base = loadOperationFile(path.join(root, 'examples/operation.yaml'), { dataRoot: root });
  const op = materialize(base, base.blueprint.workforce, base.display_name);
  assert.equal(op.data_sources.synth_1d?.type === 'csv_archive' && op.data_sources.synth_1d.path, 'examples/data/SYNTH_1d.csv', 'pinned relative to the data root');
  // In a folder of its own: the data path is not found beside the file, so the sha256-pinned root path is used.
  fs.mkdirSync(path.join(root, 'ops'));
  fs.writeFileSync(path.join(root, 'ops/replay.yaml'), dumpYaml(op));
  const [original, replayed] = await Promise.all([runOperation(root, 'examples/operation.yaml', '--json'), runOperation(root, 'ops/replay.yaml', '--json')]);
  assert.equal(replayed, original);
});
