import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { Sweeps } from '../../src/client/sweeps.js';
import { comboAt } from '../../src/config/grid.js';
import { loadOptimizationFile, type LoadedOptimization } from '../../src/intake/load.js';
import { optimizationSpec, type OptimizationSpec } from '../../src/config/sweep.js';
import { openStore } from '../../src/store/index.js';
import type { ResultRow, Store } from '../../src/store/types.js';
import type { DevServerOptions } from '../../src/temporal/dev-server.js';
import { workflowsPath } from '../../worker.js';
import { startTestServer, uniqueId, type TestServer } from '../helpers/temporal.js';

/*
 * What every crash drill shares: a Temporal dev server on a temp db file, a SQLite store in a temp
 * dir, worker and API child processes started the way an operator starts them (`node --import tsx
 * worker.ts` with a prebuilt workflow bundle, `sweeplab api`), all appending to one execution log, and
 * the exactness checks a drill ends with.
 */

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Small packs and a small window, so the 480-operation example lasts long enough to be hit mid-way. */
export const OPERATIONS_PER_ACTIVITY = 3;
export const MAX_IN_FLIGHT = 4;
/** Retries of a killed worker's activities start this soon after its last heartbeat. */
export const HEARTBEAT_TIMEOUT_S = 3;
/** A drill takes 10–35 s on two cores; a stuck one fails instead of hanging the run. */
export const DRILL_TIMEOUT_MS = 180_000;

export interface Drill {
  /** The current server; replaced when a drill restarts it. */
  temporal: TestServer;
  store: Store;
  taskQueue: string;
  databaseUrl: string;
  /** SWEEPLAB_EXECUTION_LOG of every worker process of this drill. */
  executionLog: string;
  /** A client API on the current server's client (build a new one after a server restart). */
  sweeps(): Sweeps;
  /** `node --import tsx worker.ts` on the drill's server, queue, store and execution log; `env` adds to or overrides its environment. */
  startWorker(env?: Record<string, string>): ChildProcess;
  /** The same, resolving once the worker polls (its start-up takes 15–25 s on two busy cores). */
  startWorkerReady(): Promise<ChildProcess>;
  /**
   * Of `workers`, the one running every activity of the sweep now (by the identity Temporal records
   * for each attempt, `pid@host`), or null when none runs them all (or none runs).
   */
  soleWorker(id: string, workers: ChildProcess[]): Promise<ChildProcess | null>;
  /** Of `workers`, the one running the most activities of the sweep now; null when none runs any. */
  busiestWorker(id: string, workers: ChildProcess[]): Promise<ChildProcess | null>;
  /** `sweeplab api --port <port>`; resolves with its base URL once it listens. */
  startApi(port: number): Promise<{ child: ChildProcess; url: string }>;
  /** Engine executions so far: the sum of the execution log's lines over all worker processes. */
  executions(): number;
  /** Kills every child still running, closes the store, stops the server, deletes the temp dirs. */
  stop(): Promise<void>;
}

export async function startDrill(name: string, server: Omit<DevServerOptions, 'dbFile'> = {}): Promise<Drill> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sweeplab-drill-${name}-`));
  const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
  const executionLog = path.join(dir, 'executions.log');
  // The workflow code bundled once for every worker of the drill, as production images do (docs/deploy.md):
  // a worker from source otherwise bundles it at start-up, 5–25 s on a busy machine.
  const workflowBundle = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(workflowBundle, (await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') })).code);
  const taskQueue = uniqueId(`drill-${name}`);
  const store = await openStore({ url: databaseUrl });
  await store.migrate();
  const children: ChildProcess[] = [];

  const spawnChild = (args: string[], stdout: 'ignore' | 'pipe', env: Record<string, string> = {}): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: repoRoot,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: drill.temporal.server.address,
        TEMPORAL_NAMESPACE: drill.temporal.namespace,
        SWEEPLAB_TASK_QUEUE: taskQueue,
        DATABASE_URL: databaseUrl,
        SWEEPLAB_DATA_ROOT: repoRoot,
        SWEEPLAB_EXECUTION_LOG: executionLog,
        SWEEPLAB_WORKFLOW_BUNDLE: workflowBundle,
        SWEEPLAB_API_TOKEN: '',
        ...env,
      },
      stdio: ['ignore', stdout, 'inherit'],
    });
    children.push(child);
    return child;
  };

  const drill: Drill = {
    temporal: await startTestServer(server),
    store,
    taskQueue,
    databaseUrl,
    executionLog,
    sweeps: () => new Sweeps(drill.temporal.client, store, taskQueue),
    startWorker: (env) => spawnChild([path.join(repoRoot, 'worker.ts')], 'ignore', env),
    async startWorkerReady() {
      const child = spawnChild([path.join(repoRoot, 'worker.ts')], 'pipe');
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('backtest slots on task queue')) resolve();
        });
        child.once('exit', (code, signal) => reject(new Error(`the worker exited (${code ?? signal}) before polling: ${out}`)));
      });
      return child;
    },
    async soleWorker(id, workers) {
      const { raw } = await drill.temporal.client.workflow.getHandle(id).describe();
      const running = new Set((raw.pendingActivities ?? []).map((activity) => activity.lastWorkerIdentity ?? ''));
      if (running.size !== 1) return null;
      return workers.find((worker) => running.has(`${worker.pid}@${os.hostname()}`)) ?? null;
    },
    async busiestWorker(id, workers) {
      const { raw } = await drill.temporal.client.workflow.getHandle(id).describe();
      const count = (worker: ChildProcess) => (raw.pendingActivities ?? []).filter((a) => a.lastWorkerIdentity === `${worker.pid}@${os.hostname()}`).length;
      const [busiest] = [...workers].sort((a, b) => count(b) - count(a));
      return busiest && count(busiest) > 0 ? busiest : null;
    },
    async startApi(port) {
      const child = spawnChild([path.join(repoRoot, 'src/cli/main.ts'), 'api', '--port', String(port)], 'pipe');
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /sweeplab API at (http:\/\/\S+?)\/? /.exec(out);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code, signal) => reject(new Error(`the API process exited (${code ?? signal}) before listening: ${out}`)));
      });
      return { child, url };
    },
    executions: () => sumLines(executionLog),
    async stop() {
      for (const child of children) await killChild(child);
      await store.close();
      await drill.temporal.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return drill;
}

/** SIGKILL, as a crash would; resolves once the process is gone. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function sumLines(file: string): number {
  if (!fs.existsSync(file)) return 0;
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .reduce((sum, line) => sum + Number(line), 0);
}

export interface ExampleSweep {
  loaded: LoadedOptimization;
  spec: OptimizationSpec;
}

/** examples/optimization.yaml with the drills' small packs and window. */
export function exampleSweep(): ExampleSweep {
  const loaded = loadOptimizationFile(path.join(repoRoot, 'examples/optimization.yaml'), { dataRoot: repoRoot });
  const spec = optimizationSpec(loaded);
  spec.parallel = { ...spec.parallel, operations_per_activity: OPERATIONS_PER_ACTIVITY, max_in_flight: MAX_IN_FLIGHT };
  return { loaded, spec };
}

/** Operations of the sweep stored so far (done or failed), read without writing. */
export async function storedCount(store: Store, id: string): Promise<number> {
  return (await store.queryResults(id, { sort: 'idx', limit: 1 })).total;
}

/**
 * Watches a sweep's stored count every 100 ms from now on. `longestGapAfter(t)` is the longest time
 * after `t` (a performance.now() reading) during which the count did not move, up to the last growth
 * seen: how long a sweep stalled after a kill.
 */
export function watchStored(store: Store, id: string): { longestGapAfter(t: number): number; stop(): Promise<void> } {
  const growth: number[] = [];
  let last = -1;
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      const now = await storedCount(store, id);
      if (now !== last) growth.push(performance.now());
      last = now;
      await sleep(100);
    }
  };
  const polling = poll();
  return {
    longestGapAfter(t) {
      const times = [t, ...growth.filter((g) => g > t)];
      return Math.max(0, ...times.slice(1).map((g, i) => g - times[i]!));
    },
    async stop() {
      stopped = true;
      await polling;
    },
  };
}

/** Polls until `check` holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(100);
  }
}

/**
 * The admissible indices of the example in grid order, by its own rule `fast < slow` written here
 * rather than through the loader's expression compiler. By hand: fast ∈ {5,…,50} (10 values), slow ∈
 * {20,50,100,200}; fast < slow for 3 + 9 + 10 + 10 = 32 pairs, times 3 ATR multipliers × 5
 * risk/reward ratios = 480 of 600 combinations.
 */
export function admissibleIndices(loaded: LoadedOptimization): number[] {
  const indices: number[] = [];
  for (let idx = 0; idx < loaded.grid.size; idx++) {
    const { fast, slow } = comboAt(loaded.grid, idx);
    if ((fast as number) < (slow as number)) indices.push(idx);
  }
  assert.equal(indices.length, 480, 'the example has 480 admissible combinations');
  assert.equal(loaded.admissible, 480, "the loader's admissible count agrees");
  return indices;
}

/**
 * The stored rows are exactly the admissible combinations: one per admissible index, in grid order,
 * each with the params of its index and all done, and no operation hash twice in the sweep.
 */
export function assertRowsExact(rows: ResultRow[], loaded: LoadedOptimization): void {
  const sorted = [...rows].sort((a, b) => a.idx - b.idx);
  assert.deepEqual(
    sorted.map((r) => r.idx),
    admissibleIndices(loaded),
    'one row per admissible index, none missing, none extra',
  );
  for (const row of sorted) assert.deepEqual(row.params, comboAt(loaded.grid, row.idx), `row ${row.idx} holds the params of its index`);
  assert.deepEqual(
    sorted.filter((r) => r.status !== 'done').map((r) => `${r.idx}: ${r.error}`),
    [],
    'every operation succeeded',
  );
  assert.equal(new Set(sorted.map((r) => r.hash)).size, sorted.length, 'no operation hash at two indices (every combination is another operation)');
}

/** Every row of the sweep straight from the store, in grid order. */
export async function storedRows(store: Store, id: string): Promise<ResultRow[]> {
  return (await store.queryResults(id, { sort: 'idx', order: 'asc', limit: 1_000_000 })).rows;
}

/**
 * The execution log against the operation count. Executions are logged as their results are
 * stored, so every stored operation was counted at least once: the log never falls below the
 * operation count. Each crash can hit at most `max_in_flight` activities of
 * `operations_per_activity` operations, which bounds the work it can add: a killed activity's
 * unstored operations run again in its retry, and when the server is down an activity whose first
 * attempt still runs may be retried beside it.
 */
export function assertExecutionsBounded(executions: number, operations: number, crashes: { workerKills: number; serverKills: number }): void {
  const perCrash = MAX_IN_FLIGHT * OPERATIONS_PER_ACTIVITY;
  const lower = operations;
  const upper = operations + (crashes.workerKills + crashes.serverKills) * perCrash;
  const how = `${operations} operations, ${crashes.workerKills} worker and ${crashes.serverKills} server kills × ${MAX_IN_FLIGHT} in flight × ${OPERATIONS_PER_ACTIVITY} per activity`;
  assert.ok(executions >= lower, `${executions} engine executions are at least ${lower} (${how})`);
  assert.ok(executions <= upper, `${executions} engine executions are at most ${upper} (${how})`);
}
