import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateBars } from '../../src/data/synthetic.js';
import { openStore } from '../../src/store/index.js';
import type { ResultRow } from '../../src/store/types.js';
import { done, exampleSpecs } from '../store/fixtures.js';
import { startTestServer, uniqueId, type TestServer } from '../helpers/temporal.js';
import { repoRoot, runCli, startCli, startProcess, printed, type CliRun } from './run-cli.js';

/*
 * A workspace made by `sweeplab init` in a folder outside the repository, used from the repository's
 * bin (TypeScript through tsx): every command runs with the workspace as its working folder, so the
 * data root and the state (data/sweeplab.db) are the workspace's. The worker's backtest threads must
 * find tsx from the repository, not from the workspace, which has none. The CLI's output is read
 * through pipes (as `| cat` would), with outputs over 1 MB.
 */

const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-ws-'));
const ws = path.join(outside, 'research');
let temporal: TestServer;
let worker: ReturnType<typeof startCli>;
const taskQueue = uniqueId('ws');

/** The environment of a user in the workspace: no store, data root or Temporal of the repository's tests. */
function env(): Record<string, string> {
  return { TEMPORAL_ADDRESS: temporal.server.address, TEMPORAL_NAMESPACE: temporal.namespace, SWEEPLAB_TASK_QUEUE: taskQueue, DATABASE_URL: '', SWEEPLAB_DATA_ROOT: '' };
}

function sweeplab(...args: string[]): Promise<CliRun> {
  return runCli(args, { cwd: ws, env: env(), timeoutMs: 300_000 });
}

async function ok(...args: string[]): Promise<string> {
  const run = await sweeplab(...args);
  assert.equal(run.code, 0, `sweeplab ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** The command's stdout through `| cat`, and the same command's stdout written to a file. */
async function throughPipeAndFile(...args: string[]): Promise<{ piped: string; file: string }> {
  const bin = path.join(repoRoot, 'bin', 'sweeplab.mjs');
  const line = `"${process.execPath}" "${bin}" ${args.map((a) => `'${a}'`).join(' ')}`;
  const out = path.join(outside, `${uniqueId('out')}.txt`);
  const piped = await startProcess('sh', ['-c', `${line} | cat`], { cwd: ws, env: env(), timeoutMs: 120_000 }).result;
  assert.equal(piped.code, 0, piped.stderr);
  const toFile = await startProcess('sh', ['-c', `${line} > '${out}'`], { cwd: ws, env: env(), timeoutMs: 120_000 }).result;
  assert.equal(toFile.code, 0, toFile.stderr);
  return { piped: piped.stdout, file: fs.readFileSync(out, 'utf8') };
}

before(async () => {
  const init = await runCli(['init', 'research'], { cwd: outside, env: {} });
  assert.equal(init.code, 0, init.stderr);
  temporal = await startTestServer();
  worker = startCli(['worker', '--concurrency', '2'], { cwd: ws, env: env(), timeoutMs: 600_000 });
  await printed(worker.child, 'backtest slots', worker.result);
});

after(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGKILL');
    await worker.result;
  }
  await temporal?.stop();
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('sweeplab init', () => {
  test('copies every file of examples/ and writes package.json, README.md and .gitignore', () => {
    const files = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, f)).isFile());
    for (const f of files(path.join(repoRoot, 'examples'))) {
      assert.deepEqual(fs.readFileSync(path.join(ws, f)), fs.readFileSync(path.join(repoRoot, 'examples', f)), f);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(ws, 'package.json'), 'utf8'));
    // Made from the repository, it depends on the repository as a folder.
    assert.equal(pkg.dependencies.sweeplab, `file:${path.relative(ws, repoRoot)}`);
    assert.equal(pkg.type, 'module');
    assert.deepEqual(pkg.allowScripts, { sweeplab: true });
    assert.match(fs.readFileSync(path.join(ws, 'README.md'), 'utf8'), /## Where the state lives/);
    assert.match(fs.readFileSync(path.join(ws, '.gitignore'), 'utf8'), /^data\/\*\.db$/m);
  });

  test('refuses a folder that is not empty, exit 2, and changes nothing', async () => {
    const before = fs.readFileSync(path.join(ws, 'package.json'), 'utf8');
    const run = await runCli(['init', 'research'], { cwd: outside, env: {} });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: research: is not empty \(it holds "\.gitignore", "README\.md", "blueprints" and \d+ more\); sweeplab init makes a workspace only in an empty or new folder/);
    assert.equal(fs.readFileSync(path.join(ws, 'package.json'), 'utf8'), before);
  });

  test('makes a workspace around what npm install left, keeping its dependency spec', async () => {
    const dir = path.join(outside, 'installed-here');
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ dependencies: { sweeplab: 'file:sweeplab-0.1.0.tgz' } }));
    const run = await runCli(['init'], { cwd: dir, env: {} });
    assert.equal(run.code, 0, run.stderr);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.dependencies, { sweeplab: 'file:sweeplab-0.1.0.tgz' });
    assert.equal(pkg.scripts.start, 'sweeplab up');
    assert.ok(fs.existsSync(path.join(dir, 'optimization.yaml')));
  });
});

describe('an optimization from the workspace, on a worker started there', () => {
  const id = uniqueId('ws-opt');
  let summary: { id: string; status: string; total: number; completed: number; failed: number };

  before(async () => {
    summary = JSON.parse(await ok('optimize', 'optimization.yaml', '--wait', '--json', '--id', id));
  });

  test('completes every operation, and the results store is the workspace\'s data/sweeplab.db', async () => {
    assert.deepEqual(summary, { id, status: 'completed', total: 480, completed: 480, failed: 0 });
    const store = await openStore({ url: `sqlite:${path.join(ws, 'data', 'sweeplab.db')}` });
    try {
      assert.equal((await store.getSweep(id))?.completed, 480);
    } finally {
      await store.close();
    }
  });

  test('list shows it with kind, name, status, progress and best, as a table and as JSON', async () => {
    const views = JSON.parse(await ok('list', '--json')) as Array<Record<string, any>>;
    const view = views.find((v) => v.id === id);
    assert.ok(view, JSON.stringify(views));
    assert.equal(view.kind, 'optimization');
    assert.equal(view.name, 'sma grid');
    assert.equal(view.status, 'completed');
    assert.equal(view.done, 480);
    const [top] = JSON.parse(await ok('results', id, '--format', 'json', '--limit', '1')) as ResultRow[];
    assert.equal(view.best.hash, top!.hash);
    assert.equal(view.best.value, top!.metrics!.sharpe_ratio);

    const table = (await ok('list')).trimEnd().split('\n');
    assert.match(table[0]!, /^id\s+kind\s+name\s+status\s+progress\s+best$/);
    const line = table.find((l) => l.startsWith(id));
    assert.match(line ?? '', new RegExp(`^${id}\\s+optimization\\s+sma grid\\s+completed\\s+480/480 \\(100\\.0 %\\)\\s+sharpe_ratio ${top!.metrics!.sharpe_ratio!.toFixed(3)} \\(fast=`));
    assert.match(table.at(-1)!, /^\d+ of \d+ sweeps$/);
  });
});

describe('output through a pipe arrives whole', () => {
  const big = uniqueId('ws-big');
  const rows = 12_000;

  before(async () => {
    // A sweep filled straight into the workspace's store: enough rows for more than 1 MB of JSON.
    const store = await openStore({ url: `sqlite:${path.join(ws, 'data', 'sweeplab.db')}` });
    try {
      await store.createSweep({ id: big, kind: 'optimization', name: 'big', total: rows, primary_metric: 'sharpe_ratio', spec: { ...exampleSpecs().optimization, min_trades: 0 }, param_names: ['fast', 'slow'] });
      const records = Array.from({ length: rows }, (_, i) => done(big, i, { fast: i % 97, slow: 100 + (i % 89) }, { sharpe_ratio: Math.sin(i) * 2, total_return: Math.cos(i) / 3, total_trades: i % 40 }));
      for (let i = 0; i < rows; i += 1_000) await store.recordOperations(records.slice(i, i + 1_000));
    } finally {
      await store.close();
    }
    // Four years of hourly bars: a BacktestResult of more than 1 MB of JSON.
    const bars = generateBars({ seed: 11, bars: 35_000, start: '2020-01-01', timeframe: '1h', start_price: 100 });
    const lines = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < bars.length; i++) lines.push(`${new Date(bars.time[i]!).toISOString()},${bars.open[i]},${bars.high[i]},${bars.low[i]},${bars.close[i]},${bars.volume[i]}`);
    fs.writeFileSync(path.join(ws, 'data', 'LONG_1h.csv'), `${lines.join('\n')}\n`);
    const hourly = fs.readFileSync(path.join(ws, 'operation_hourly.yaml'), 'utf8');
    fs.writeFileSync(path.join(ws, 'long.yaml'), hourly.replace('data/SYNTH_1h.csv', 'data/LONG_1h.csv'));
  });

  test('results --format json --limit 100000', async () => {
    const { piped, file } = await throughPipeAndFile('results', big, '--format', 'json', '--limit', '100000');
    assert.ok(piped.length > 1_000_000, `${piped.length} bytes`);
    assert.equal(piped, file);
    assert.equal((JSON.parse(piped) as ResultRow[]).length, rows);
  });

  test('results --format csv --limit 100000', async () => {
    const { piped, file } = await throughPipeAndFile('results', big, '--format', 'csv', '--limit', '100000');
    assert.ok(piped.length > 1_000_000, `${piped.length} bytes`);
    assert.equal(piped, file);
    assert.equal(piped.trimEnd().split('\n').length, rows + 1);
  });

  test('run-operation --json', async () => {
    const { piped, file } = await throughPipeAndFile('run-operation', 'long.yaml', '--json');
    assert.ok(piped.length > 1_000_000, `${piped.length} bytes`);
    assert.equal(piped, file);
    assert.equal(JSON.parse(piped).bars, 35_000);
  });

  test('a reader that stops early ends the command quietly', async () => {
    const bin = path.join(repoRoot, 'bin', 'sweeplab.mjs');
    const run = await startProcess('sh', ['-c', `"${process.execPath}" "${bin}" results ${big} --format csv --limit 100000 | head -n 2`], { cwd: ws, env: env() }).result;
    assert.equal(run.code, 0);
    assert.equal(run.stdout.split('\n').length, 3);
    assert.equal(run.stderr, '');
  });
});

test('up refuses a Temporal port whose UI port (+1000) cannot exist, before starting anything', async () => {
  const run = await sweeplab('up', '--temporal-port', '65000');
  assert.equal(run.code, 2);
  assert.equal(run.stderr, 'error: --temporal-port: port: "65000" is not a port number from 1 to 64535 (the UI takes it + 1000)\n');
});

test('Ctrl-C stops the worker quietly, exit 0', async () => {
  worker.child.kill('SIGINT');
  const run = await worker.result;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
});
