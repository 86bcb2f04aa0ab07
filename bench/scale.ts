import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Sweeps } from '../src/client/sweeps.js';
import { sql } from 'kysely';
import { openStore } from '../src/store/index.js';
import type { SqlStore } from '../src/store/store.js';
import { connectClient } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { loadBenchGrid, repoRoot } from './stack.js';
import { round } from './sweep.js';

/*
 * 1,000,000 cheap operations through one sweep on this machine (SWEEPLAB_BENCH_SCALE_GRID names
 * another grid, e.g. bench/grids/optimization-100k.yaml): it must complete, keep every workflow
 * run's history bounded (continue-as-new), keep the worker's memory under 1 GB and the store under
 * 1 KB per operation, and the results table must still answer its first page and a parameter sort
 * quickly. The worker is its own process, as in production, so its peak resident memory (VmHWM,
 * all its threads) is measured alone.
 */

const QUERY_ROUNDS = 20;

async function p95(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < QUERY_ROUNDS; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.ceil(0.95 * times.length) - 1]!;
}

export async function benchScale(): Promise<Record<string, number | string>> {
  const grid = process.env.SWEEPLAB_BENCH_SCALE_GRID ?? 'bench/grids/optimization-1m.yaml';
  const { spec, admissible } = loadBenchGrid(grid);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-scale-'));
  const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
  const server = await startDevServer({ headless: true, dbFile: path.join(dir, 'temporal.db') });
  const taskQueue = `scale-${process.pid}`;
  const worker = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker.ts')], {
    cwd: repoRoot,
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, SWEEPLAB_TASK_QUEUE: taskQueue, DATABASE_URL: databaseUrl, SWEEPLAB_DATA_ROOT: repoRoot },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const store = await openStore({ url: databaseUrl });
  await store.migrate();
  const { client, connection } = await connectClient(server.address);
  try {
    const sweeps = new Sweeps(client, store, taskQueue);
    const started = performance.now();
    const { id } = await sweeps.submit(spec);
    const view = await sweeps.result(id);
    const seconds = (performance.now() - started) / 1000;
    const peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8'))![1]) / 1024;
    if (view.status !== 'completed' || view.done + view.failed !== admissible) throw new Error(`scale sweep ended ${view.status} with ${view.done}/${admissible}`);
    const runs: number[] = [];
    for await (const run of client.workflow.list({ query: `WorkflowId = "${id}"` })) runs.push(run.historyLength);
    const { total: stored } = await store.queryResults(id, { limit: 1 });
    const firstPage = await p95(() => store.queryResults(id, { sort: spec.primary_metric, limit: 50 }));
    const paramSort = await p95(() => store.queryResults(id, { sort: spec.grid.axes[0]!.label, limit: 50 }));
    // Every byte of the SQLite file and its write-ahead log, over the operations in it, once the log
    // is folded into the file (a log keeps its largest size until then).
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute((store as SqlStore).db);
    const bytes = ['', '-wal'].map((suffix) => `${databaseUrl.slice('sqlite:'.length)}${suffix}`).reduce((sum, f) => sum + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
    return {
      grid,
      operations: admissible,
      stored_rows: stored,
      seconds: round(seconds),
      ops_per_s: round(admissible / seconds),
      workflow_runs: runs.length,
      max_history_events: Math.max(...runs),
      worker_peak_rss_mb: round(peakRssMb),
      store_bytes_per_op: round(bytes / stored),
      results_first_page_p95_ms: round(firstPage),
      results_param_sort_p95_ms: round(paramSort),
    };
  } finally {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
    await connection.close();
    await store.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await benchScale());
}
