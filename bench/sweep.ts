import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities/index.js';
import { createBacktestPool, defaultSlots } from '../src/activities/pool.js';
import { createApp } from '../src/api/app.js';
import { compileWhere } from '../src/config/expression.js';
import { comboAt } from '../src/config/grid.js';
import type { OptimizationSpec } from '../src/config/sweep.js';
import { openStore } from '../src/store/index.js';
import { bareEngineOpsPerSecond } from './bare-engine.js';
import { loadBenchGrid, repoRoot, startBenchStack, unshared, type BenchStack } from './stack.js';

/*
 * How close a durable sweep comes to the engine. On the daily grid (SMA cross pairs on GOOG-like
 * daily bars, ~3,200 operations) and the hourly one (RSI reversion on a year of hourly bars), side
 * by side:
 *   bare     runBacktest over every operation in a loop on all cores (worker threads): the limit;
 *   pool     the activity's own code over the whole grid (thread pool into the store), no Temporal;
 *   durable  a sweep on the dev server with a worker in this process, submit to completed;
 *   restart  the same sweep restarted under its id with every operation stored (what `resume` of a
 *            cancelled sweep walks through), and
 *   repeat   a new sweep of the same operations (each found by hash),
 * each in operations per second of wall time. The daily grid is also submitted from a fresh CLI
 * process (`sweeplab optimize … --wait`), timed from process start to exit; the hourly one times the
 * page's equity overlay of 5 operations through the API with its result cache cold.
 */

const DAILY = 'bench/grids/optimization-goog.yaml';
const HOURLY = 'bench/grids/optimization-hourly.yaml';

function admissibleIndices(spec: OptimizationSpec): number[] {
  const where = spec.where ? compileWhere(spec.where, spec.grid, spec.file, 'where') : () => true;
  const out: number[] = [];
  for (let i = 0; i < spec.grid.size; i++) if (where(comboAt(spec.grid, i))) out.push(i);
  return out;
}

async function straightThroughPool(spec: OptimizationSpec, slots: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-bench-pool-'));
  const store = await openStore({ url: `sqlite:${path.join(dir, 'store.db')}` });
  await store.migrate();
  const pool = createBacktestPool(slots);
  try {
    const { runOperations } = createActivities({ store, pool, dataRoot: repoRoot });
    const indices = admissibleIndices(spec);
    // One small pack first, so thread start-up is not measured (a worker's threads are long-lived).
    await new MockActivityEnvironment().run(runOperations, { sweep_id: 'bench-warm', spec: unshared(spec, 3e-6), indices: indices.slice(0, 50) });
    const started = performance.now();
    await new MockActivityEnvironment().run(runOperations, { sweep_id: 'bench-pool', spec, indices });
    return indices.length / ((performance.now() - started) / 1000);
  } finally {
    await pool.destroy();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function timedSweep(stack: BenchStack, admissible: number, run: () => Promise<string>): Promise<{ id: string; opsPerS: number }> {
  const started = performance.now();
  const id = await run();
  const view = await stack.sweeps.result(id);
  if (view.status !== 'completed' || view.done + view.failed !== admissible) throw new Error(`bench sweep ${id} ended ${view.status} with ${view.done}/${admissible}`);
  return { id, opsPerS: admissible / ((performance.now() - started) / 1000) };
}

/** The grid as a user submits it from a shell: files of their own (fees nudged so nothing is reused), a fresh CLI process. */
async function cliSubmitSeconds(stack: BenchStack, grid: string, nudge: number): Promise<{ seconds: number; admissible: number }> {
  const dir = fs.mkdtempSync(path.join(repoRoot, 'bench/grids/.cli-'));
  try {
    const gridText = fs.readFileSync(path.join(repoRoot, grid), 'utf8');
    const baseName = /base_operation: (\S+)/.exec(gridText)![1]!;
    const base = path.resolve(path.dirname(path.join(repoRoot, grid)), baseName);
    const operation = fs.readFileSync(base, 'utf8').replace(/fees_pct: ([\d.]+)/, (_, fees: string) => `fees_pct: ${Number(fees) + nudge}`);
    const rebased = operation.replace(/path: (\S+\.csv)/, (_, p: string) => `path: ${path.relative(dir, path.resolve(path.dirname(base), p))}`);
    fs.writeFileSync(path.join(dir, 'operation.yaml'), rebased);
    fs.writeFileSync(path.join(dir, 'optimization.yaml'), gridText.replace(/base_operation: \S+/, 'base_operation: operation.yaml'));
    const started = performance.now();
    // Asynchronously: the worker that runs the sweep lives in this process's event loop.
    const run = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin/sweeplab.mjs'), 'optimize', path.join(dir, 'optimization.yaml'), '--wait', '--json'], {
      cwd: repoRoot,
      env: { ...process.env, TEMPORAL_ADDRESS: stack.server.address, SWEEPLAB_TASK_QUEUE: stack.taskQueue, DATABASE_URL: stack.databaseUrl, SWEEPLAB_DATA_ROOT: repoRoot },
      encoding: 'utf8',
    });
    const seconds = (performance.now() - started) / 1000;
    const outcome = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { status: string; completed: number; failed: number };
    return { seconds, admissible: outcome.completed + outcome.failed };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** p95 and first of the page's overlay (5 operations' equity) through a fresh API app each time: no cached results. */
async function equityOverlayMs(stack: BenchStack, id: string, rounds: number): Promise<{ first: number; p95: number }> {
  const best = (await stack.store.queryResults(id, { sort: 'sharpe_ratio', limit: 5 })).rows.map((r) => r.idx).join(',');
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const app = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: repoRoot });
    const started = performance.now();
    const res = await app.request(`/api/sweeps/${id}/equity?ids=${best}&points=1000`);
    if (res.status !== 200) throw new Error(`equity answered ${res.status}: ${await res.text()}`);
    await res.json();
    times.push(performance.now() - started);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { first: times[0]!, p95: sorted[Math.ceil(0.95 * sorted.length) - 1]! };
}

async function gridFigures(stack: BenchStack, grid: string, slots: number, nudge: number): Promise<Record<string, number | string>> {
  const { spec, admissible } = loadBenchGrid(grid);
  const bare = await bareEngineOpsPerSecond(spec, admissibleIndices(spec), slots);
  const pool = await straightThroughPool(spec, slots);
  const fresh = unshared(spec, nudge);
  const durable = await timedSweep(stack, admissible, async () => (await stack.sweeps.submit(fresh)).id);
  // A restart finds everything stored for itself: as `resume` after a cancel, with nothing left to run.
  await stack.store.setSweepStatus(durable.id, 'cancelled');
  const restart = await timedSweep(stack, admissible, async () => (await stack.sweeps.resume(durable.id), durable.id));
  const repeat = await timedSweep(stack, admissible, async () => (await stack.sweeps.submit(fresh)).id);
  return {
    grid,
    operations: admissible,
    slots,
    bare_engine_ops_per_s: round(bare),
    pool_ops_per_s: round(pool),
    pool_share_of_bare: round(pool / bare, 3),
    durable_ops_per_s: round(durable.opsPerS),
    durable_share_of_bare: round(durable.opsPerS / bare, 3),
    restart_reuse_ops_per_s: round(restart.opsPerS),
    restart_vs_durable: round(restart.opsPerS / durable.opsPerS, 1),
    repeat_reuse_ops_per_s: round(repeat.opsPerS),
    repeat_vs_durable: round(repeat.opsPerS / durable.opsPerS, 1),
    sweep_id: durable.id,
  };
}

export async function benchSweep(): Promise<Record<string, number | string>> {
  const slots = defaultSlots();
  const stack = await startBenchStack({ concurrency: slots });
  try {
    const daily = await gridFigures(stack, DAILY, slots, 1e-6);
    process.stderr.write(`bench: sweep daily ${JSON.stringify(daily)}\n`);
    const cli = await cliSubmitSeconds(stack, DAILY, 2e-6);
    process.stderr.write(`bench: sweep daily CLI ${JSON.stringify(cli)}\n`);
    const hourly = await gridFigures(stack, HOURLY, slots, 1e-6);
    process.stderr.write(`bench: sweep hourly ${JSON.stringify(hourly)}\n`);
    const equity = await equityOverlayMs(stack, String(hourly.sweep_id), 20);
    const prefixed = (prefix: string, figures: Record<string, number | string>) =>
      Object.fromEntries(Object.entries(figures).filter(([k]) => k !== 'sweep_id' && k !== 'slots').map(([k, v]) => [`${prefix}_${k}`, v]));
    return {
      slots,
      ...prefixed('daily', daily),
      daily_cli_submit_to_done_s: round(cli.seconds, 2),
      daily_cli_operations: cli.admissible,
      ...prefixed('hourly', hourly),
      hourly_equity_5_first_ms: round(equity.first),
      hourly_equity_5_p95_ms: round(equity.p95),
    };
  } finally {
    await stack.stop();
  }
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await benchSweep());
}
