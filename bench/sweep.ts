import { execFile, spawnSync } from 'node:child_process';
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
import { paramNames, type OptimizationSpec } from '../src/config/sweep.js';
import { openStore } from '../src/store/index.js';
import { statisticsWorkflowId } from '../src/workflows/types.js';
import { bareEngineOpsPerSecond } from './bare-engine.js';
import { loadBenchGrid, repoRoot, startBenchStack, unshared, type BenchStack } from './stack.js';

/*
 * How close a durable sweep comes to the engine. On the daily grid (SMA cross pairs on GOOG-like
 * daily bars, ~3,200 operations), the hourly one (RSI reversion on a year of hourly bars) and the
 * wide one (the daily pairs, finer: ~40,000), side by side:
 *   bare     runBacktest over every operation in a loop on all cores (worker threads): the limit;
 *   pool     the activity's own code over the whole grid (thread pool into the store), no Temporal;
 *   durable  a sweep on the dev server with a worker in this process, submit to completed;
 *   restart  the same sweep restarted under its id with every operation stored (what `resume` of a
 *            cancelled sweep walks through), and
 *   repeat   a new sweep of the same operations (each found by hash),
 * each in operations per second of wall time (the bare engine and the durable sweep three times
 * each, in pairs, and the median of each). All three are timed warm: the bare engine after a
 * pass over 50 operations, the pool after a pack, the worker after a sweep of the same grid (a
 * worker's threads live long; the very first sweep of a fresh worker is reported apart). A sweep's
 * robustness statistics are computed after it completes, by a workflow of its own; each measurement
 * waits for the last one's before it starts. The daily grid is also submitted from a fresh CLI
 * process (`sweeplab optimize … --wait`), timed from process start to exit, as the installed package
 * runs (dist/) and as the repository runs (its TypeScript through tsx); the hourly one times the
 * page's equity overlay of 5 operations through the API with its result cache cold. The wide grid
 * shows reuse where the fixed cost of starting and ending a sweep (~0.1 s) no longer hides it.
 */

const DAILY = 'bench/grids/optimization-goog.yaml';
const HOURLY = 'bench/grids/optimization-hourly.yaml';
const WIDE = 'bench/grids/optimization-goog-wide.yaml';

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
    for (const id of ['bench-warm', 'bench-pool']) {
      await store.createSweep({ id, kind: spec.kind, name: spec.name, total: indices.length, primary_metric: spec.primary_metric, spec, param_names: paramNames(spec) });
    }
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
  // Completed is when the workflow's result is in; the view that checks it comes after the clock.
  await stack.client.workflow
    .getHandle(id)
    .result()
    .catch(() => undefined);
  const opsPerS = admissible / ((performance.now() - started) / 1000);
  const view = await stack.sweeps.result(id);
  if (view.status !== 'completed' || view.done + view.failed !== admissible) throw new Error(`bench sweep ${id} ended ${view.status} with ${view.done}/${admissible}`);
  await statisticsDone(stack, id);
  return { id, opsPerS };
}

/**
 * A completed optimization's statistics are computed after it, by a workflow of their own; the next
 * measurement waits for them, so that it does not also time the last one's CSCV.
 */
async function statisticsDone(stack: BenchStack, id: string): Promise<void> {
  await stack.client.workflow
    .getHandle(statisticsWorkflowId(id))
    .result()
    .catch(() => undefined);
}

/**
 * The grid as a user submits it from a shell: files of their own (fees nudged so nothing is reused), a
 * fresh CLI process, `cli` being the installed package's entry (dist/, compiled JavaScript) or the
 * repository's (bin/sweeplab.mjs, which runs the TypeScript sources through tsx).
 */
async function cliSubmitSeconds(stack: BenchStack, grid: string, nudge: number, cli: string): Promise<{ seconds: number; admissible: number; id: string }> {
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
    const run = await promisify(execFile)(process.execPath, [cli, 'optimize', path.join(dir, 'optimization.yaml'), '--wait', '--json'], {
      cwd: repoRoot,
      env: { ...process.env, TEMPORAL_ADDRESS: stack.server.address, SWEEPLAB_TASK_QUEUE: stack.taskQueue, DATABASE_URL: stack.databaseUrl, SWEEPLAB_DATA_ROOT: repoRoot },
      encoding: 'utf8',
    });
    const seconds = (performance.now() - started) / 1000;
    const outcome = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { id: string; status: string; completed: number; failed: number };
    return { seconds, admissible: outcome.completed + outcome.failed, id: outcome.id };
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

const ROUNDS = 3;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function gridFigures(stack: BenchStack, grid: string, slots: number, nudge: number): Promise<Record<string, number | string>> {
  const { spec, admissible } = loadBenchGrid(grid);
  const pool = await straightThroughPool(spec, slots);
  // The worker's threads meet this grid's plugins and data first in a sweep of their own, as a
  // long-lived worker has: the bare engine and the pool are timed warm too.
  await timedSweep(stack, admissible, async () => (await stack.sweeps.submit(unshared(spec, 5 * nudge))).id);
  // The limit and the durable sweep in ROUNDS pairs, each pair back to back, and the median of each:
  // on this machine one short run of either may come out 40 % off the next.
  const bares: number[] = [];
  const durables: Array<{ id: string; opsPerS: number }> = [];
  let fresh = spec;
  for (let round = 0; round < ROUNDS; round++) {
    bares.push(await bareEngineOpsPerSecond(spec, admissibleIndices(spec), slots));
    fresh = unshared(spec, nudge * (1 + round / 10));
    const submitted = fresh;
    durables.push(await timedSweep(stack, admissible, async () => (await stack.sweeps.submit(submitted)).id));
  }
  const bare = median(bares);
  const durable = { id: durables.at(-1)!.id, opsPerS: median(durables.map((d) => d.opsPerS)) };
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

/** dist/ as `npm pack` ships it (the TypeScript half of `npm run build`; the CLI needs no workflow bundle). */
function buildPackage(): void {
  const built = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts/build.ts')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error('bench: the package build failed');
}

export async function benchSweep(): Promise<Record<string, number | string>> {
  const slots = defaultSlots();
  const stack = await startBenchStack({ concurrency: slots });
  try {
    // A worker's backtest threads are long-lived: the first sweep it runs also pays for their
    // warm-up (JIT), measured here once and reported apart.
    const first = loadBenchGrid(DAILY);
    const cold = await timedSweep(stack, first.admissible, async () => (await stack.sweeps.submit(unshared(first.spec, 9e-6))).id);
    process.stderr.write(`bench: sweep first on a fresh worker ${round(cold.opsPerS)} ops/s\n`);
    const daily = await gridFigures(stack, DAILY, slots, 1e-6);
    process.stderr.write(`bench: sweep daily ${JSON.stringify(daily)}\n`);
    buildPackage();
    const cli = await cliSubmitSeconds(stack, DAILY, 2e-6, path.join(repoRoot, 'dist/src/cli/main.js'));
    await statisticsDone(stack, cli.id);
    const cliSource = await cliSubmitSeconds(stack, DAILY, 3e-6, path.join(repoRoot, 'bin/sweeplab.mjs'));
    await statisticsDone(stack, cliSource.id);
    process.stderr.write(`bench: sweep daily CLI ${JSON.stringify({ installed: cli, source: cliSource })}\n`);
    const hourly = await gridFigures(stack, HOURLY, slots, 1e-6);
    process.stderr.write(`bench: sweep hourly ${JSON.stringify(hourly)}\n`);
    const equity = await equityOverlayMs(stack, String(hourly.sweep_id), 20);
    const wide = await gridFigures(stack, WIDE, slots, 4e-6);
    process.stderr.write(`bench: sweep wide ${JSON.stringify(wide)}\n`);
    const prefixed = (prefix: string, figures: Record<string, number | string>) =>
      Object.fromEntries(Object.entries(figures).filter(([k]) => k !== 'sweep_id' && k !== 'slots').map(([k, v]) => [`${prefix}_${k}`, v]));
    return {
      slots,
      first_sweep_on_fresh_worker_ops_per_s: round(cold.opsPerS),
      ...prefixed('daily', daily),
      daily_cli_submit_to_done_s: round(cli.seconds, 2),
      daily_cli_from_source_submit_to_done_s: round(cliSource.seconds, 2),
      daily_cli_operations: cli.admissible,
      ...prefixed('hourly', hourly),
      hourly_equity_5_first_ms: round(equity.first),
      hourly_equity_5_p95_ms: round(equity.p95),
      ...prefixed('wide', wide),
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
